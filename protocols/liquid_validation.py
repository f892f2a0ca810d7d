"""Static checks of liquid-handling steps against a deck, before anything is compiled or run.

The check replays the protocol on paper: every well starts with the stock
loaded in it (or empty), every transfer draws from its source and fills its
destination, every new tip is counted against its pipette's racks. It reports
each problem once, naming the step, the well or the stock at fault.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from protocols.deck import Deck, PipetteSpec
from protocols.protocol import Protocol
from protocols.steps import Mix, Transfer, WellRef

_EPS_UL = 1e-6


@dataclass
class _Replay:
    """Volumes, tips and first problems met while replaying the steps."""

    deck: Deck
    volume_ul: dict[tuple[str, str], float] = field(default_factory=dict)
    drawn_ul: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    short_at: dict[str, int] = field(default_factory=dict)
    overflow: dict[tuple[str, str], tuple[int, float]] = field(default_factory=dict)
    tips: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    held: dict[str, WellRef | None] = field(default_factory=dict)
    found: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for stock in self.deck.stocks:
            self.volume_ul[(stock.labware, stock.well)] = stock.volume_ul


def plate_violations(protocol: Protocol, device: str, deck: Deck) -> list[str]:
    """Return every way the liquid steps of ``device`` break the deck's limits.

    Checks labware and wells exist, each volume fits a pipette (and its tips),
    no well overflows, no stock runs below its dead volume, a kept tip only
    serves one source, and the racks hold enough tips.
    """
    replay = _Replay(deck)
    for number, step in enumerate(protocol.steps, start=1):
        if isinstance(step, Transfer | Mix) and step.device == device:
            _replay_step(replay, number, step)
    return (
        replay.found + _stock_problems(replay) + _overflow_problems(replay) + _tip_problems(replay)
    )


def _replay_step(replay: _Replay, number: int, step: Transfer | Mix) -> None:
    where = f"step {number} ({step.kind})"
    wells = [step.source, step.destination] if isinstance(step, Transfer) else [step.well]
    missing = [problem for well in wells if (problem := _well_problem(replay.deck, well))]
    if missing:
        replay.found += [f"{where}: {problem}" for problem in missing]
        return
    pipette = replay.deck.pipette_for(step.volume_ul)
    if pipette is None:
        replay.found.append(
            f"{where}: {step.volume_ul:.4g} µL is outside every pipette's range "
            f"({replay.deck.ranges_text()})"
        )
        return
    if isinstance(step, Mix):
        _new_tip(replay, pipette)
        replay.held[pipette.mount] = None
        _check_mix_volume(replay, where, step)
        return
    _take_tip(replay, where, pipette, step)
    _move(replay, number, step)


def _well_problem(deck: Deck, ref: WellRef) -> str | None:
    try:
        info = deck.labware_named(ref.labware).info()
    except KeyError as exc:
        return str(exc.args[0])
    if ref.well not in info.capacity_ul:
        return f"labware {ref.labware} ({info.load_name}) has no well {ref.well}"
    return None


def _new_tip(replay: _Replay, pipette: PipetteSpec) -> None:
    replay.tips[pipette.mount] += 1


def _take_tip(replay: _Replay, where: str, pipette: PipetteSpec, step: Transfer) -> None:
    held = replay.held.get(pipette.mount)
    if step.new_tip or held is None:
        _new_tip(replay, pipette)
    elif held != step.source:
        replay.found.append(
            f"{where}: keeps the tip that drew from {held} to draw from {step.source} "
            "(cross-contamination); use a new tip"
        )
    replay.held[pipette.mount] = step.source


def _move(replay: _Replay, number: int, step: Transfer) -> None:
    source = (step.source.labware, step.source.well)
    destination = (step.destination.labware, step.destination.well)
    replay.volume_ul[source] = replay.volume_ul.get(source, 0.0) - step.volume_ul
    stock = replay.deck.stock_at(*source)
    floor = stock.dead_volume_ul if stock is not None else 0.0
    key = stock.name if stock is not None else f"{step.source}"
    replay.drawn_ul[key] += step.volume_ul
    if replay.volume_ul[source] < floor - _EPS_UL:
        replay.short_at.setdefault(key, number)
    replay.volume_ul[destination] = replay.volume_ul.get(destination, 0.0) + step.volume_ul
    capacity = replay.deck.labware_named(step.destination.labware).info().capacity_ul
    held = replay.volume_ul[destination]
    if held > capacity[step.destination.well] + _EPS_UL:
        first, peak = replay.overflow.get(destination, (number, held))
        replay.overflow[destination] = (first, max(peak, held))


def _check_mix_volume(replay: _Replay, where: str, step: Mix) -> None:
    held = replay.volume_ul.get((step.well.labware, step.well.well), 0.0)
    if step.volume_ul > held + _EPS_UL:
        replay.found.append(
            f"{where}: mixes {step.volume_ul:.4g} µL in {step.well}, which holds only "
            f"{held:.4g} µL at that point"
        )


def _stock_problems(replay: _Replay) -> list[str]:
    problems = []
    for key, number in replay.short_at.items():
        stock = next((s for s in replay.deck.stocks if s.name == key), None)
        if stock is None:
            problems.append(
                f"well {key} holds no stock and runs dry at step {number} "
                f"({replay.drawn_ul[key]:.4g} µL drawn)"
            )
            continue
        usable = stock.volume_ul - stock.dead_volume_ul
        problems.append(
            f"stock {stock.name!r} ({stock.labware}/{stock.well}) is insufficient: the protocol "
            f"draws {replay.drawn_ul[key]:.4g} µL, it holds {stock.volume_ul:g} µL of which "
            f"{usable:.4g} µL are usable (dead volume {stock.dead_volume_ul:g} µL); "
            f"it runs short at step {number}"
        )
    return problems


def _overflow_problems(replay: _Replay) -> list[str]:
    problems = []
    for (labware, well), (number, peak) in replay.overflow.items():
        capacity = replay.deck.labware_named(labware).info().capacity_ul[well]
        problems.append(
            f"well {labware}/{well} overflows at step {number}: it would hold "
            f"{peak:.4g} µL, its capacity is {capacity:g} µL"
        )
    return problems


def _tip_problems(replay: _Replay) -> list[str]:
    problems = []
    for pipette in replay.deck.pipettes:
        needed = replay.tips.get(pipette.mount, 0)
        racks = [replay.deck.labware_named(r).info() for r in pipette.tipracks]
        available = sum(len(r.wells) for r in racks)
        if needed > available:
            problems.append(
                f"pipette {pipette.load_name} ({pipette.mount}) needs {needed} tips but its "
                f"tip racks ({', '.join(pipette.tipracks)}) hold {available}; add a rack or "
                "use fewer wells"
            )
    return problems
