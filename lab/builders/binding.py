"""Bind a campaign's protocol section to a lab: designs in, protocols and measurements out.

A builder turns one approved design into a protocol for this lab and, after
the run, turns the raw readings into the measurements that are stored (the
objectives among them). Builders are chosen by the ``builder`` name of the
campaign's protocol section.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from datastore.repository import MeasuredValue
from lab.builders.capabilities import BuildsPlates, DesignBuilder
from lab.builders.errors import BuildConfigError
from lab.devices.lab_spec import LabSpec
from lab.specs.campaign import CampaignSpec, FlowProtocolSpec
from planner.space import ParameterValue
from protocols.errors import ProtocolError
from protocols.flow import BUILDER_INPUTS, Feed, FlowConditions, FlowSetup, build_flow_protocol
from protocols.protocol import Protocol
from protocols.reaction_metrics import METRIC_UNITS, flow_metrics, metric_names


class FlowReactorBuilder:
    """The flow-reactor builder bound to a lab's pumps, heater, analyzer and reactor."""

    def __init__(self, spec: FlowProtocolSpec, lab: LabSpec, parameter_names: list[str]) -> None:
        """Check the protocol section against the lab and the campaign's parameters.

        Raises:
            BuildConfigError: Naming the key of the protocol section at fault.
        """
        self.spec = spec
        self.sources = _input_sources(spec, parameter_names)
        self.setup = _flow_setup(spec, lab)

    def outputs(self) -> list[str]:
        """Reaction metrics and the outlet concentration of every species."""
        return metric_names(self.spec.readout)

    def conditions(self, design: Mapping[str, ParameterValue]) -> FlowConditions:
        """Return the flow conditions of ``design``."""
        values = {
            name: (design[src] if isinstance(src, str) else src)
            for name, src in self.sources.items()
        }
        try:
            return FlowConditions.model_validate(values)
        except ValidationError as exc:
            raise ProtocolError(
                f"design gives impossible flow conditions: {exc.errors()[0]['msg']}"
            ) from None

    def build(self, design: Mapping[str, ParameterValue], name: str) -> Protocol:
        """Return the flow protocol for ``design``."""
        return build_flow_protocol(self.conditions(design), self.setup, name)

    def measurements(
        self, protocol: Protocol, readings: Mapping[str, float]
    ) -> list[MeasuredValue]:
        """Raw outlet concentrations plus the derived reaction metrics."""
        conditions = FlowConditions.model_validate(protocol.metadata["conditions"])
        outlet = {s: readings[f"{s}_mol_l"] for s in self.spec.readout.molar_masses_g_mol}
        metrics = flow_metrics(
            self.spec.readout, conditions.residence_time_min, conditions.concentration_mol_l, outlet
        )
        return [MeasuredValue(k, v, METRIC_UNITS[k]) for k, v in metrics.items()] + [
            MeasuredValue(f"{s}_mol_l", v, "mol/L") for s, v in outlet.items()
        ]


def _input_sources(spec: FlowProtocolSpec, parameter_names: list[str]) -> dict[str, str | float]:
    unknown = sorted(set(spec.inputs) - set(BUILDER_INPUTS))
    if unknown:
        raise BuildConfigError(
            "protocol.inputs",
            f"unknown input(s) {', '.join(unknown)}; allowed: {', '.join(BUILDER_INPUTS)}",
        )
    sources: dict[str, str | float] = {}
    for name in BUILDER_INPUTS:
        source = spec.inputs.get(name, name)
        if isinstance(source, str) and source not in parameter_names:
            raise BuildConfigError(
                f"protocol.inputs.{name}",
                f"no parameter {source!r}; give a parameter name "
                f"({', '.join(parameter_names)}) or a fixed number",
            )
        sources[name] = source
    return sources


def _flow_setup(spec: FlowProtocolSpec, lab: LabSpec) -> FlowSetup:
    if lab.reactor is None:
        raise BuildConfigError(
            "lab",
            f"lab {lab.name!r} has no 'reactor' section; the flow_reactor "
            "builder needs reactor.volume_ml",
        )
    for key in ("heater", "analyzer"):
        name = getattr(spec, key)
        kinds = {d.name: d.kind for d in lab.devices}
        if kinds.get(name) != key:
            options = [n for n, k in kinds.items() if k == key]
            raise BuildConfigError(
                f"protocol.{key}",
                f"lab {lab.name!r} has no {key} {name!r}; "
                f"its {key}s: {', '.join(options) or 'none'}",
            )
    pumps = [d for d in lab.devices if d.kind == "pump"]
    feeds = [
        Feed(pump=p.name, species=p.reservoir.species, stock_mol_l=p.reservoir.concentration_mol_l)
        for p in pumps
        if p.reservoir is not None and p.reservoir.species is not None
    ]
    solvent = [p.name for p in pumps if p.reservoir is None or p.reservoir.species is None]
    if len(solvent) != 1:
        raise BuildConfigError(
            "lab",
            f"lab {lab.name!r} needs exactly one solvent pump (a pump whose "
            f"reservoir has no species); found {len(solvent)}",
        )
    try:
        return FlowSetup(
            reactor_volume_ml=lab.reactor.volume_ml,
            feeds=tuple(feeds),
            solvent_pump=solvent[0],
            heater=spec.heater,
            analyzer=spec.analyzer,
            limiting_species=spec.limiting_species,
            reagent_species=spec.reagent_species,
            steady_state_volumes=spec.steady_state_volumes,
        )
    except ValidationError as exc:
        message = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise BuildConfigError("protocol", message) from None


def make_builder(spec: CampaignSpec, lab: LabSpec) -> DesignBuilder:
    """Return the builder named by the campaign, bound to ``lab``, with objectives checked.

    Raises:
        BuildConfigError: Unknown builder, a mismatch with the lab, or an
            objective the runs cannot produce.
    """
    from lab.builders.hte import HtePlateBuilder
    from lab.builders.pathway import make_pathway_builder
    from lab.builders.route import RouteBuilder
    from lab.builders.station import StationBuilder

    factories: dict[str, Any] = {
        "flow_reactor": FlowReactorBuilder,
        "hte_plate": HtePlateBuilder,
        "station": StationBuilder,
        "route": RouteBuilder,
        "pathway": make_pathway_builder,
    }
    factory = factories.get(spec.protocol.builder)
    if factory is None:
        raise BuildConfigError(
            "protocol.builder",
            f"unknown builder {spec.protocol.builder!r}; allowed: {', '.join(factories)}",
        )
    builder: DesignBuilder = factory(spec.protocol, lab, [p.name for p in spec.parameters])
    _check_batch_fits_plate(spec, builder)
    produced = builder.outputs()
    named = [(f"objectives[{i}].name", o.name) for i, o in enumerate(spec.objectives)] + [
        (f"outcome_constraints[{i}]", c.name) for i, c in enumerate(spec.outcome_constraints)
    ]
    for where, name in named:
        if name not in produced:
            raise BuildConfigError(
                where,
                f"{name!r} is not measured by this protocol; it measures: {', '.join(produced)}",
            )
    return builder


def _check_batch_fits_plate(spec: CampaignSpec, builder: DesignBuilder) -> None:
    """A builder that runs a batch as one plate must fit the whole batch on it."""
    if not isinstance(builder, BuildsPlates):
        return
    wells = int(builder.plate_capacity())
    if spec.batch_size > wells:
        raise BuildConfigError(
            "batch_size",
            f"a batch of {spec.batch_size} experiments does not fit one plate: the plate has "
            f"{wells} usable wells; lower batch_size to {wells} or less",
        )
