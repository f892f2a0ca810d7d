"""Compile the liquid-handling steps of a protocol to an Opentrons Python protocol (API v2).

The compiled file is self-contained and readable: the deck layout (labware,
pipettes, stocks as loaded liquids) is written out as constants, and the
transfers as a CSV table. The table is also declared as a CSV runtime
parameter (``transfers``, API level 2.20+), so the same protocol can be run
with another table from the Opentrons App or the HTTP API; without one, the
compiled table is used. A ``return_tips`` runtime parameter returns tips to
their racks (dry runs). Every row is checked inside the protocol before the
first movement, so a bad table fails analysis instead of half a plate.

Nothing is executed here: the output is text to print, diff, simulate with
``opentrons.simulate`` or upload.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from protocols.deck import Deck
from protocols.errors import ProtocolError, ProtocolValidationError
from protocols.liquid_validation import plate_violations
from protocols.protocol import Protocol
from protocols.steps import Mix, Transfer

TRANSFERS_PARAMETER = "transfers"
RETURN_TIPS_PARAMETER = "return_tips"
CSV_COLUMNS = (
    "action",
    "mount",
    "source_labware",
    "source_well",
    "dest_labware",
    "dest_well",
    "volume_ul",
    "new_tip",
    "position",
    "repetitions",
)
_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")


@dataclass(frozen=True)
class CompiledProtocol:
    """An Opentrons protocol file and the transfer table it embeds."""

    filename: str
    text: str
    transfers_csv: str
    robot_type: str
    api_level: str
    source_digest: str
    """Digest of the dbtl protocol it was compiled from."""


def compile_opentrons(protocol: Protocol, deck: Deck, device: str) -> CompiledProtocol:
    """Compile the transfer and mix steps addressed to ``device``.

    Args:
        protocol: The dbtl protocol (other devices' steps are left out).
        deck: The liquid handler's deck from the lab file.
        device: Name of the liquid handler in the lab file.

    Raises:
        ProtocolError: No liquid-handling step for ``device``.
        ProtocolValidationError: The steps break the deck's limits (volumes,
            wells, stocks, tips); nothing is compiled.
    """
    steps = [s for s in protocol.steps if isinstance(s, Transfer | Mix) and s.device == device]
    if not steps:
        raise ProtocolError(f"protocol {protocol.name!r} has no liquid-handling step for {device}")
    found = plate_violations(protocol, device, deck)
    if found:
        raise ProtocolValidationError(protocol.name, found)
    table = transfers_csv(steps, deck)
    text = _render(protocol, deck, table)
    return CompiledProtocol(
        filename=f"{_safe(protocol.name)}.py",
        text=text,
        transfers_csv=table,
        robot_type=deck.robot_type,
        api_level=deck.api_level,
        source_digest=protocol.digest(),
    )


def transfers_csv(steps: list[Transfer | Mix], deck: Deck) -> str:
    """Return the transfer table: one row per transfer or mix, with the pipette mount chosen."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for step in steps:
        pipette = deck.pipette_for(step.volume_ul)
        assert pipette is not None  # validated before
        if isinstance(step, Transfer):
            writer.writerow(
                [
                    "transfer",
                    pipette.mount,
                    step.source.labware,
                    step.source.well,
                    step.destination.labware,
                    step.destination.well,
                    f"{step.volume_ul:g}",
                    int(step.new_tip),
                    step.dispense_position,
                    0,
                ]
            )
        else:
            well = step.well
            row = ["mix", pipette.mount, "", "", well.labware, well.well, f"{step.volume_ul:g}"]
            writer.writerow([*row, 1, "bottom", step.repetitions])
    return buffer.getvalue()


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", name).strip("_") or "protocol"


def _render(protocol: Protocol, deck: Deck, table: str) -> str:
    labware = [(lw.name, lw.load_name, lw.slot, lw.version) for lw in deck.labware]
    pipettes = [(p.mount, p.load_name, list(p.tipracks)) for p in deck.pipettes]
    stocks = [
        (s.name, s.labware, s.well, s.volume_ul, _describe_stock(s.species, s.concentration_mol_l))
        for s in deck.stocks
    ]
    header = _HEADER.format(
        name=protocol.name,
        digest=protocol.digest(),
        metadata={
            "protocolName": protocol.name[:100],
            "author": "dbtl",
            "description": f"{len(protocol.steps)} dbtl steps; source digest {protocol.digest()}",
        },
        requirements={"robotType": deck.robot_type, "apiLevel": deck.api_level},
    )
    constants = "\n".join(
        [
            f"LABWARE = {labware!r}",
            f"PIPETTES = {pipettes!r}",
            f"TRASH_SLOT = {deck.trash!r}",
            f"STOCKS = {stocks!r}",
            f"COLORS = {_COLORS!r}",
            f"COLUMNS = {CSV_COLUMNS!r}",
            f"TRANSFERS_PARAMETER = {TRANSFERS_PARAMETER!r}",
            f"RETURN_TIPS_PARAMETER = {RETURN_TIPS_PARAMETER!r}",
            f'PLATE_CSV = """\\\n{table}"""',
        ]
    )
    return f"{header}\n{constants}\n{_BODY}"


def _describe_stock(species: str | None, concentration_mol_l: float | None) -> str:
    if species is None or concentration_mol_l is None:
        return "solvent"
    return f"{species} {concentration_mol_l:g} mol/L"


_HEADER = '''"""dbtl plate protocol {name}.

Compiled by dbtl from protocol digest {digest}; recompile rather than edit.
The transfers come from the CSV runtime parameter 'transfers' when a file is
given, else from PLATE_CSV below (the compiled batch).
"""

import csv
import io

from opentrons import protocol_api

metadata = {metadata!r}
requirements = {requirements!r}
'''

_BODY = '''

def add_parameters(parameters):
    """Runtime parameters: another transfer table, and returning tips for dry runs."""
    parameters.add_csv_file(
        display_name="Plate transfers",
        variable_name=TRANSFERS_PARAMETER,
        description="Transfer table; same columns as the compiled PLATE_CSV",
    )
    parameters.add_bool(
        display_name="Return tips",
        variable_name=RETURN_TIPS_PARAMETER,
        default=False,
        description="Put tips back in their racks (dry runs)",
    )


def run(protocol: protocol_api.ProtocolContext):
    """Load the deck, check every row of the table, then pipette it."""
    labware = {
        name: protocol.load_labware(load_name, slot, label=name, version=version)
        for name, load_name, slot, version in LABWARE
    }
    if requirements["robotType"] == "Flex":
        protocol.load_trash_bin(TRASH_SLOT)
    pipettes = {
        mount: protocol.load_instrument(load_name, mount, tip_racks=[labware[r] for r in racks])
        for mount, load_name, racks in PIPETTES
    }
    for index, (name, where, well, volume, description) in enumerate(STOCKS):
        liquid = protocol.define_liquid(
            name, description=description, display_color=COLORS[index % len(COLORS)]
        )
        labware[where][well].load_liquid(liquid, volume)
    rows = read_rows(protocol)
    for number, row in enumerate(rows, start=1):
        check_row(number, row, labware, pipettes)
    return_tips = getattr(protocol.params, RETURN_TIPS_PARAMETER)
    for row in rows:
        perform(row, labware, pipettes[row["mount"]], return_tips)
    for pipette in pipettes.values():
        if pipette.has_tip:
            discard(pipette, return_tips)


def read_rows(protocol):
    """Rows of the CSV runtime parameter if a file was given, else of PLATE_CSV."""
    try:
        text = getattr(protocol.params, TRANSFERS_PARAMETER).contents
        protocol.comment("transfers from the CSV runtime parameter")
    except protocol_api.RuntimeParameterRequiredError:
        text = PLATE_CSV
        protocol.comment("transfers compiled into the protocol")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError("transfer table lacks column(s) " + ", ".join(missing))
    return [row for row in reader if any((value or "").strip() for value in row.values())]


def check_row(number, row, labware, pipettes):
    """Raise ValueError naming the row if it cannot be performed."""
    where = "transfer table row " + str(number)
    if row["action"] not in ("transfer", "mix"):
        raise ValueError(where + ": unknown action " + repr(row["action"]))
    if row["mount"] not in pipettes:
        raise ValueError(where + ": no pipette on mount " + repr(row["mount"]))
    wells = [("dest_labware", "dest_well")]
    if row["action"] == "transfer":
        wells.append(("source_labware", "source_well"))
    for labware_key, well_key in wells:
        name, well = row[labware_key], row[well_key]
        if name not in labware or well not in labware[name].wells_by_name():
            raise ValueError(where + ": no well " + repr(well) + " in labware " + repr(name))
    pipette = pipettes[row["mount"]]
    volume = float(row["volume_ul"])
    if not pipette.min_volume <= volume <= pipette.max_volume:
        raise ValueError(
            where + ": " + str(volume) + " uL is outside the " + row["mount"] + " pipette's "
            + "range " + str(pipette.min_volume) + "-" + str(pipette.max_volume) + " uL"
        )


def perform(row, labware, pipette, return_tips):
    """Pipette one row: a transfer (aspirate, dispense) or a mix, with its tip policy."""
    target = labware[row["dest_labware"]][row["dest_well"]]
    volume = float(row["volume_ul"])
    if row["new_tip"] == "1" and pipette.has_tip:
        discard(pipette, return_tips)
    if not pipette.has_tip:
        pipette.pick_up_tip()
    if row["action"] == "mix":
        pipette.mix(int(row["repetitions"]), volume, target)
        discard(pipette, return_tips)
        return
    pipette.aspirate(volume, labware[row["source_labware"]][row["source_well"]])
    if row["position"] == "top":
        pipette.dispense(volume, target.top(-1))
        pipette.blow_out(target.top(-1))
    else:
        pipette.dispense(volume, target)


def discard(pipette, return_tips):
    """Drop the tip in the trash, or put it back in its rack."""
    if return_tips:
        pipette.return_tip()
    else:
        pipette.drop_tip()
'''
