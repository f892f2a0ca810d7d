"""Reaction metrics computed from the conditions and the measured outlet.

These are what chemists optimize: space-time yield, E-factor, yield and
conversion. They are pure arithmetic on the analyzer's concentrations, so a
real HPLC and the simulator go through the same code.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, model_validator

E_FACTOR_CAP = 1000.0


class Readout(BaseModel):
    """What the analyzer reports and how to turn it into reaction metrics.

    The analyzer reports ``<species>_mol_l`` for every species in
    ``molar_masses_g_mol``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    product: str
    limiting_species: str
    molar_masses_g_mol: dict[str, float]
    solvent_density_g_ml: float = Field(gt=0)

    @model_validator(mode="after")
    def _check(self) -> Readout:
        for role, name in (("product", self.product), ("limiting_species", self.limiting_species)):
            if name not in self.molar_masses_g_mol:
                raise ValueError(f"{role} {name!r} has no entry in molar_masses_g_mol")
        return self


METRIC_UNITS = {
    "sty_kg_m3_h": "kg m^-3 h^-1",
    "e_factor": "kg/kg",
    "yield_pct": "%",
    "conversion_pct": "%",
}
"""Derived metrics and their units."""


def metric_names(readout: Readout) -> list[str]:
    """Return every quantity a flow experiment with ``readout`` produces."""
    return [*METRIC_UNITS, *(f"{s}_mol_l" for s in readout.molar_masses_g_mol)]


def flow_metrics(
    readout: Readout,
    residence_time_min: float,
    limiting_inlet_mol_l: float,
    outlet_mol_l: Mapping[str, float],
) -> dict[str, float]:
    """Compute the reaction metrics of one flow experiment.

    Args:
        readout: Species, molar masses and solvent density.
        residence_time_min: Residence time, minutes.
        limiting_inlet_mol_l: Inlet concentration of the limiting reagent.
        outlet_mol_l: Measured outlet concentration of each species.

    Returns:
        ``sty_kg_m3_h`` (product mass per reactor volume per hour), ``e_factor``
        (mass of all else leaving the reactor, solvent included, per mass of
        product; capped at 1000), ``yield_pct`` and ``conversion_pct``.
    """
    masses = readout.molar_masses_g_mol
    product_g_l = masses[readout.product] * outlet_mol_l[readout.product]
    waste_g_l = 1000.0 * readout.solvent_density_g_ml + sum(
        masses[s] * outlet_mol_l[s] for s in masses if s != readout.product
    )
    limiting_out = outlet_mol_l[readout.limiting_species]
    return {
        "sty_kg_m3_h": product_g_l * 60.0 / residence_time_min,
        "e_factor": min(waste_g_l / product_g_l, E_FACTOR_CAP)
        if product_g_l > 1e-9
        else E_FACTOR_CAP,
        "yield_pct": 100.0 * outlet_mol_l[readout.product] / limiting_inlet_mol_l,
        "conversion_pct": 100.0 * (1.0 - limiting_out / limiting_inlet_mol_l),
    }
