"""A kinetic model of a linear pathway in a growing batch culture.

Species (concentrations in the culture): substrate S (mM), intermediates
I1..I(n−1) (mM), product P (mM), biomass X (gDCW/L). Enzyme i has a
per-cell level E_i (set by promoter × RBS × copy number, constant over the
culture) and converts its substrate by Michaelis–Menten kinetics::

    v_i = kcat_i · E_i · X · I_(i−1) / (Km_i + I_(i−1))        (I_0 = S)
    µ   = µmax · S / (Ks + S) / (1 + burden · ΣE) / (1 + I_tox / K_tox)
    dX/dt = µ·X,   dS/dt = −µ·X / Y − v_1,   dI_i/dt = v_i − v_(i+1),   dP/dt = v_n

Expression costs growth (the burden term) and intermediate ``toxic`` slows
it down, so the best design balances the enzymes instead of maxing them out.
The same equations are written out as SBML (:func:`sbml`), so libRoadRunner
(or any SBML simulator) runs exactly this model, and a user can bring their
own SBML pathway; :func:`simulate` integrates many designs at once with SciPy
(vectorized over designs, which is what enumerating a library for its known
optimum needs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.integrate import solve_ivp

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PathwayKinetics:
    """Parameters of the pathway and of the culture (units in the names)."""

    kcat_per_h: tuple[float, ...] = (0.4, 0.25, 0.6, 0.3)
    km_mm: tuple[float, ...] = (2.0, 0.5, 1.0, 0.8)
    toxic: int = 2
    """Index (1-based) of the toxic intermediate I_toxic."""
    k_tox_mm: float = 0.05
    burden_per_level: float = 0.08
    mu_max_per_h: float = 0.7
    ks_mm: float = 0.5
    yield_gdcw_per_mmol: float = 0.09
    substrate_mm: float = 60.0
    biomass_start_g_l: float = 0.05
    duration_h: float = 24.0
    product_g_mol: float = 536.9
    """Molar mass of the product (lycopene-like), for titers in mg/L."""
    od_per_g_l: float = 2.5

    def __post_init__(self) -> None:
        if len(self.kcat_per_h) != len(self.km_mm) or not self.kcat_per_h:
            raise ValueError("kcat_per_h and km_mm need one value per enzyme")
        if not 1 <= self.toxic < len(self.kcat_per_h):
            raise ValueError(f"toxic must name an intermediate 1..{len(self.kcat_per_h) - 1}")

    @property
    def n_enzymes(self) -> int:
        """Number of enzymes (steps) of the pathway."""
        return len(self.kcat_per_h)


@dataclass(frozen=True)
class CultureResult:
    """End of culture for each design: product titer and optical density."""

    titer_mg_l: Matrix
    od600: Matrix


def simulate(kinetics: PathwayKinetics, enzymes: Matrix) -> CultureResult:
    """Integrate the culture of every design (one row of per-cell enzyme levels each).

    Args:
        kinetics: The model.
        enzymes: Designs × enzymes, per-cell levels (arbitrary units ≥ 0).

    Raises:
        ValueError: Wrong shape or negative levels.
    """
    levels = np.atleast_2d(np.asarray(enzymes, dtype=np.float64))
    n = kinetics.n_enzymes
    if levels.shape[1] != n or (levels < 0).any():
        raise ValueError(f"enzyme levels must be non-negative, {n} per design")
    m = levels.shape[0]
    state = np.zeros((m, n + 2))  # X, S, I1..I(n-1), P
    state[:, 0] = kinetics.biomass_start_g_l
    state[:, 1] = kinetics.substrate_mm
    solution = solve_ivp(
        _rates(kinetics, levels),
        (0.0, kinetics.duration_h),
        state.ravel(),
        method="LSODA",
        lband=n + 1,  # designs are independent: the Jacobian is block-diagonal
        uband=n + 1,
        rtol=1e-6,
        atol=1e-9,
    )
    if not solution.success:  # pragma: no cover - the model is smooth
        raise RuntimeError(f"pathway integration failed: {solution.message}")
    final = solution.y[:, -1].reshape(m, n + 2)
    return CultureResult(
        titer_mg_l=np.maximum(final[:, -1], 0.0) * kinetics.product_g_mol,
        od600=final[:, 0] * kinetics.od_per_g_l,
    )


def _rates(kinetics: PathwayKinetics, levels: Matrix):  # type: ignore[no-untyped-def]
    kcat = np.asarray(kinetics.kcat_per_h)
    km = np.asarray(kinetics.km_mm)
    burden = 1.0 + kinetics.burden_per_level * levels.sum(axis=1)
    m, n = levels.shape

    def rates(_t: float, flat: Matrix) -> Matrix:
        y = np.maximum(flat.reshape(m, n + 2), 0.0)
        biomass, substrate = y[:, 0], y[:, 1]
        pools = y[:, 1 : n + 1]  # S, I1..I(n-1): the substrate of each enzyme
        v = kcat * levels * biomass[:, None] * pools / (km + pools)
        toxic = y[:, 1 + kinetics.toxic]
        mu = kinetics.mu_max_per_h * substrate / (kinetics.ks_mm + substrate)
        mu = mu / burden / (1.0 + toxic / kinetics.k_tox_mm)
        growth = mu * biomass
        d = np.empty_like(y)
        d[:, 0] = growth
        d[:, 1] = -growth / kinetics.yield_gdcw_per_mmol - v[:, 0]
        d[:, 2 : n + 1] = v[:, :-1] - v[:, 1:]
        d[:, n + 1] = v[:, -1]
        return d.ravel()

    return rates


def species_ids(kinetics: PathwayKinetics) -> list[str]:
    """SBML species ids: X, S, I1..I(n−1), P."""
    return ["X", "S", *[f"I{i}" for i in range(1, kinetics.n_enzymes)], "P"]


def sbml(kinetics: PathwayKinetics, enzymes: tuple[float, ...]) -> str:
    """The model of one design as an SBML Level 3 Version 2 document.

    Enzyme levels are global parameters ``E1..En``, so a simulator can set
    them for another design without rebuilding the document.
    """
    n = kinetics.n_enzymes
    species = species_ids(kinetics)
    start = {"X": kinetics.biomass_start_g_l, "S": kinetics.substrate_mm}
    params = {
        "mu_max": kinetics.mu_max_per_h,
        "Ks": kinetics.ks_mm,
        "Y": kinetics.yield_gdcw_per_mmol,
        "burden": kinetics.burden_per_level,
        "K_tox": kinetics.k_tox_mm,
    }
    for i in range(n):
        params |= {
            f"kcat{i + 1}": kinetics.kcat_per_h[i],
            f"Km{i + 1}": kinetics.km_mm[i],
            f"E{i + 1}": enzymes[i],
        }
    total = _apply("plus", *[_ci(f"E{i + 1}") for i in range(n)])
    mu = _apply(
        "divide",
        _apply(
            "divide",
            _apply("divide", _apply("times", _ci("mu_max"), _ci("S")), _sum("Ks", "S")),
            _apply("plus", _cn(1.0), _apply("times", _ci("burden"), total)),
        ),
        _apply("plus", _cn(1.0), _apply("divide", _ci(f"I{kinetics.toxic}"), _ci("K_tox"))),
    )
    growth = _apply("times", mu, _ci("X"))
    reactions = [_reaction("growth", {}, {"X": 1.0}, growth)]
    reactions.append(_reaction("uptake", {"S": 1.0}, {}, _apply("divide", growth, _ci("Y"))))
    for i in range(n):
        source, target = species[1 + i], species[2 + i]
        rate = _apply("times", _ci(f"kcat{i + 1}"), _ci(f"E{i + 1}"), _ci("X"), _ci(source))
        law = _apply("divide", rate, _sum(f"Km{i + 1}", source))
        reactions.append(_reaction(f"step{i + 1}", {source: 1.0}, {target: 1.0}, law))
    species_xml = "\n".join(
        f'      <species id="{s}" compartment="culture" initialConcentration="{start.get(s, 0.0)}"'
        ' hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>'
        for s in species
    )
    params_xml = "\n".join(
        f'      <parameter id="{k}" value="{v!r}" constant="true"/>' for k, v in params.items()
    )
    return _SBML.format(species=species_xml, parameters=params_xml, reactions="\n".join(reactions))


def _reaction(rid: str, reactants: dict[str, float], products: dict[str, float], law: str) -> str:
    def refs(tag: str, items: dict[str, float]) -> str:
        if not items:
            return ""
        inner = "".join(
            f'<speciesReference species="{s}" stoichiometry="{c}" constant="true"/>'
            for s, c in items.items()
        )
        return f"<{tag}>{inner}</{tag}>"

    return (
        f'      <reaction id="{rid}" reversible="false">'
        f"{refs('listOfReactants', reactants)}{refs('listOfProducts', products)}"
        f'<kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">{law}</math>'
        "</kineticLaw></reaction>"
    )


def _ci(name: str) -> str:
    return f"<ci>{name}</ci>"


def _cn(value: float) -> str:
    return f"<cn>{value!r}</cn>"


def _apply(operator: str, *arguments: str) -> str:
    return f"<apply><{operator}/>{''.join(arguments)}</apply>"


def _sum(a: str, b: str) -> str:
    return _apply("plus", _ci(a), _ci(b))


_SBML = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
  <model id="linear_pathway" name="linear pathway in a batch culture" timeUnits="hour">
    <listOfCompartments>
      <compartment id="culture" spatialDimensions="3" size="1" constant="true"/>
    </listOfCompartments>
    <listOfSpecies>
{species}
    </listOfSpecies>
    <listOfParameters>
{parameters}
    </listOfParameters>
    <listOfReactions>
{reactions}
    </listOfReactions>
  </model>
</sbml>
"""
