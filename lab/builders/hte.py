"""The HTE plate builder bound to a lab: a batch of designs in, one plate protocol out.

The campaign loop calls :meth:`HtePlateBuilder.build_plate` with the batch's
``(experiment number, design)`` pairs, runs the plate, and hands the plate
reader's ``{well: {quantity: value}}`` to :meth:`HtePlateBuilder.plate_measurements`,
which returns the measurements of each experiment. :meth:`build` (one design
as a one-well plate) lets approvals check a single proposal against the deck.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from datastore.repository import MeasuredValue
from lab.builders.errors import BuildConfigError
from lab.devices.catalog import find_driver
from lab.devices.lab_spec import LabSpec
from lab.specs.hte import HteProtocolSpec
from planner.space import ParameterValue
from protocols.deck import Deck
from protocols.hte import (
    Component,
    PlatePlan,
    build_plate,
    plate_well_map,
    readings_by_experiment,
)
from protocols.protocol import Protocol


class HtePlateBuilder:
    """Turns batches of designs into plates on a lab's liquid handler, and readings back."""

    def __init__(self, spec: HteProtocolSpec, lab: LabSpec, parameter_names: list[str]) -> None:
        """Check the protocol section against the lab and the campaign's parameters.

        Raises:
            BuildConfigError: Naming the key of the protocol section at fault.
        """
        self.spec = spec
        self.recipe = spec.recipe()
        self.deck = _deck(spec, lab)
        _check_devices(spec, lab)
        _check_parameters(spec, parameter_names)
        _check_stocks(spec, self.deck)
        self.lab = lab

    def run_problem(self) -> str | None:
        """Why this campaign cannot run on the lab as it is (compiling it is still fine)."""
        return _readout_problem(self.spec, self.lab, self.deck)

    def outputs(self) -> list[str]:
        """The quantities the plate reader reports per well."""
        return list(self.spec.readout)

    def plate_capacity(self) -> int:
        """How many experiments one plate holds: the recipe's wells, else the whole plate."""
        return len(self.recipe.wells or self.deck.labware_named(self.recipe.plate).info().wells)

    def plate_robot(self) -> str:
        """The liquid handler that pipettes each plate (one Opentrons program per plate)."""
        return self.recipe.liquid_handler

    def build_plate(
        self, designs: Sequence[tuple[int, Mapping[str, ParameterValue]]], name: str
    ) -> PlatePlan:
        """Return the plate protocol of a batch and its experiment → well map.

        Raises:
            ProtocolError: A design is impossible, or the batch does not fit the plate.
        """
        return build_plate(designs, self.recipe, self.deck, name)

    def build(self, design: Mapping[str, ParameterValue], name: str) -> Protocol:
        """Return one design alone on a plate (to check it against the deck)."""
        return self.build_plate([(1, design)], name).protocol

    def plate_measurements(
        self, protocol: Protocol, readings: Mapping[str, Mapping[str, float]]
    ) -> dict[int, list[MeasuredValue]]:
        """Turn a plate reading into each experiment's measurements.

        Raises:
            ProtocolError: A well of the plate was not read.
        """
        values = readings_by_experiment(plate_well_map(protocol), readings)
        return {number: self._measured(found) for number, found in values.items()}

    def measurements(
        self, protocol: Protocol, readings: Mapping[str, float]
    ) -> list[MeasuredValue]:
        """The readout quantities of a single-well run."""
        return self._measured(readings)

    def _measured(self, readings: Mapping[str, float]) -> list[MeasuredValue]:
        return [
            MeasuredValue(name, float(readings[name]), unit)
            for name, unit in self.spec.readout.items()
            if name in readings
        ]


def _deck(spec: HteProtocolSpec, lab: LabSpec) -> Deck:
    handlers = {d.name: d for d in lab.devices if d.kind == "liquid_handler"}
    device = handlers.get(spec.liquid_handler)
    if device is None or device.deck is None:
        raise BuildConfigError(
            "protocol.liquid_handler",
            f"lab {lab.name!r} has no liquid handler {spec.liquid_handler!r}; "
            f"its liquid handlers: {', '.join(handlers) or 'none'}",
        )
    if spec.plate not in {item.name for item in device.deck.labware}:
        raise BuildConfigError(
            "protocol.plate",
            f"the deck of {device.name} has no labware {spec.plate!r}; "
            f"it has: {device.deck.labware_names()}",
        )
    return device.deck


def _check_devices(spec: HteProtocolSpec, lab: LabSpec) -> None:
    readers = [d.name for d in lab.devices if d.kind == "plate_reader"]
    if spec.plate_reader not in readers:
        raise BuildConfigError(
            "protocol.plate_reader",
            f"lab {lab.name!r} has no plate reader {spec.plate_reader!r}; "
            f"its plate readers: {', '.join(readers) or 'none'}",
        )


def _readout_problem(spec: HteProtocolSpec, lab: LabSpec, deck: Deck) -> str | None:
    """A simulated composition reader reports compositions only: other readouts cannot run."""
    if spec.plate_reader is None:
        return None
    reader = lab.device(spec.plate_reader)
    entry = find_driver(reader.kind, reader.driver)
    if entry is None or not entry.reports_composition_only:
        return None
    species = {s.species for s in deck.stocks if s.species}
    available = {f"{name}_mol_l" for name in species} | {"volume_ul"}
    missing = sorted(set(spec.readout) - available)
    if not missing:
        return None
    return (
        f"plate reader {reader.name!r} ({reader.driver}) reports each well's "
        f"composition (<species>_mol_l, volume_ul), not {', '.join(missing)}; this lab is for "
        "compiling and checking plates (dbtl protocol compile); to run plates in simulation "
        "use a reader that measures them (see examples/labs/ot2_suzuki.yaml)"
    )


def _check_parameters(spec: HteProtocolSpec, parameter_names: list[str]) -> None:
    for index, component in _components(spec):
        for name in component.parameters():
            if name not in parameter_names:
                raise BuildConfigError(
                    index,
                    f"no parameter {name!r}; parameters: {', '.join(parameter_names)}",
                )


def _check_stocks(spec: HteProtocolSpec, deck: Deck) -> None:
    stocks = {s.name for s in deck.stocks}
    for index, component in _components(spec):
        named = [component.stock] if component.stock else []
        for stock in [*named, *component.options.values()]:
            if stock not in stocks:
                raise BuildConfigError(
                    index, f"no stock {stock!r} on the deck; stocks: {', '.join(sorted(stocks))}"
                )


def _components(spec: HteProtocolSpec) -> list[tuple[str, Component]]:
    pairs: list[tuple[str, Component]] = [
        ("protocol.limiting", spec.limiting),
        ("protocol.solvent", spec.solvent),
    ]
    pairs += [(f"protocol.reagents[{i}]", c) for i, c in enumerate(spec.reagents)]
    return pairs
