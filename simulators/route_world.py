"""A route world: every reaction step has a yield response with a known optimum.

Each reaction class has a documented response over its conditions
(temperature, equivalents of the excess reactant, time, solvent class), and
each reaction of a class gets its own optimum, drawn from a generator seeded
by the reaction SMILES (and the world's seed), so the same reaction always
behaves the same and two reactions of one class differ. For one step:

``yield = y_max · s(solvent) · conversion · selectivity``, with

- ``conversion = 1 − exp(−k·t)``, ``k = (3 / τ) · 2^((T − T_opt)/10) · min(eq / eq_opt, 1)``
  (the rate doubles every 10 °C; too little excess reactant slows it);
- ``selectivity = exp(−½ ((T − T_opt)/w_T)²) · exp(−c_eq · max(0, eq − eq_opt))``
  (side reactions above the best temperature and with too much excess);
- ``s(solvent)`` is 1 for the class's best solvent class and 0.45–0.9 for the others.

The yield of a route is the product of its steps' yields (telescoped, no
purification losses). ``observe`` adds seeded multiplicative noise to each
step; ``truth`` is noiseless; ``optimum`` finds the best conditions of each
step inside its space (a grid then a local refinement), so tests can check
that a campaign gets close to it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

CLASS_RESPONSES: dict[str, tuple[float, float, float, float, float]] = {
    # class: (T_opt °C, eq_opt, tau_min, w_T °C, y_max)
    "amide_coupling": (25.0, 1.4, 30.0, 18.0, 0.95),
    "ester_formation": (25.0, 1.6, 120.0, 15.0, 0.90),
    "suzuki": (85.0, 1.3, 45.0, 20.0, 0.92),
    "buchwald_hartwig": (100.0, 1.3, 90.0, 18.0, 0.88),
    "snar": (90.0, 2.0, 20.0, 30.0, 0.93),
    "reductive_amination": (20.0, 1.5, 180.0, 15.0, 0.90),
    "n_alkylation": (60.0, 1.8, 180.0, 22.0, 0.80),
    "boc_protection": (20.0, 1.2, 60.0, 15.0, 0.97),
    "boc_deprotection": (20.0, 10.0, 30.0, 15.0, 0.98),
    "nitro_reduction": (60.0, 5.0, 90.0, 20.0, 0.92),
    "sonogashira": (50.0, 1.3, 90.0, 18.0, 0.88),
    "heck": (110.0, 1.5, 240.0, 20.0, 0.80),
    "williamson_ether": (70.0, 1.6, 180.0, 22.0, 0.90),
    "unclassified": (60.0, 1.5, 120.0, 25.0, 0.80),
}
"""Class defaults; each reaction shifts T_opt by up to ±12 °C, eq_opt and τ by up to ±25 %."""


@dataclass(frozen=True)
class StepSpace:
    """Where one step may be run (the route's per-step condition space)."""

    temperature_c: tuple[float, float]
    equivalents: tuple[float, float]
    time_min: tuple[float, float]
    solvents: tuple[str, ...]


@dataclass(frozen=True)
class StepConditions:
    """One step's conditions."""

    temperature_c: float
    equivalents: float
    time_min: float
    solvent: str


@dataclass(frozen=True)
class StepResponse:
    """The yield response of one reaction (seeded by its SMILES)."""

    reaction_class: str
    temperature_opt_c: float
    equivalents_opt: float
    tau_min: float
    width_c: float
    y_max: float
    solvent_factors: Mapping[str, float]
    excess_penalty: float = 0.25

    @classmethod
    def for_reaction(
        cls, reaction_class: str, reaction_smiles: str, solvents: Sequence[str], seed: int = 0
    ) -> StepResponse:
        """The response of one reaction of ``reaction_class`` (unknown: ``unclassified``)."""
        t_opt, eq_opt, tau, width, y_max = CLASS_RESPONSES.get(
            reaction_class, CLASS_RESPONSES["unclassified"]
        )
        digest = hashlib.sha256(f"{seed}|{reaction_smiles}".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        factors = {
            s: (1.0 if i == 0 else float(rng.uniform(0.45, 0.9))) for i, s in enumerate(solvents)
        }
        return cls(
            reaction_class=reaction_class,
            temperature_opt_c=t_opt + float(rng.uniform(-12, 12)),
            equivalents_opt=eq_opt * float(rng.uniform(0.75, 1.25)),
            tau_min=tau * float(rng.uniform(0.75, 1.25)),
            width_c=width,
            y_max=y_max * float(rng.uniform(0.9, 1.0)),
            solvent_factors=factors,
        )

    def fraction(
        self, temperature_c: float, equivalents: float, time_min: float, solvent: str
    ) -> float:
        """Noiseless yield fraction (0-1) of this step."""
        rate = (3.0 / self.tau_min) * 2.0 ** ((temperature_c - self.temperature_opt_c) / 10.0)
        rate *= min(equivalents / self.equivalents_opt, 1.0)
        conversion = 1.0 - np.exp(-rate * time_min)
        selectivity = np.exp(-0.5 * ((temperature_c - self.temperature_opt_c) / self.width_c) ** 2)
        selectivity *= np.exp(-self.excess_penalty * max(0.0, equivalents - self.equivalents_opt))
        return float(self.y_max * self.solvent_factors.get(solvent, 0.3) * conversion * selectivity)

    def optimum(self, space: StepSpace) -> tuple[StepConditions, float]:
        """The best conditions inside ``space`` and their yield fraction."""
        best: tuple[StepConditions, float] | None = None
        for solvent in space.solvents:
            found = self._best_for_solvent(space, solvent)
            if best is None or found[1] > best[1]:
                best = found
        assert best is not None
        return best

    def _best_for_solvent(self, space: StepSpace, solvent: str) -> tuple[StepConditions, float]:
        bounds = [space.temperature_c, space.equivalents, space.time_min]
        grid = [np.linspace(low, high, 15) for low, high in bounds]
        start = max(
            ((t, e, m) for t in grid[0] for e in grid[1] for m in grid[2]),
            key=lambda x: self.fraction(x[0], x[1], x[2], solvent),
        )
        result = minimize(
            lambda x: -self.fraction(x[0], x[1], x[2], solvent),
            np.array(start),
            bounds=bounds,
            method="L-BFGS-B",
        )
        x = result.x if -result.fun >= self.fraction(*start, solvent) else np.array(start)
        conditions = StepConditions(float(x[0]), float(x[1]), float(x[2]), solvent)
        return conditions, self.fraction(x[0], x[1], x[2], solvent)


class RouteWorld:
    """Yields of whole routes: the product of the steps' responses, with seeded noise.

    Args:
        seed: Changes every reaction's optimum (0 for the shipped world).
        noise_relative_sd: Multiplicative noise on each observed step yield.
    """

    def __init__(self, seed: int = 0, noise_relative_sd: float = 0.03) -> None:
        self.seed = seed
        self.noise_relative_sd = noise_relative_sd

    def response(
        self, reaction_class: str, reaction_smiles: str, solvents: Sequence[str]
    ) -> StepResponse:
        """The response of one step."""
        return StepResponse.for_reaction(reaction_class, reaction_smiles, solvents, self.seed)

    def truth(self, steps: Sequence[tuple[StepResponse, StepConditions]]) -> list[float]:
        """Noiseless yield fraction of every step."""
        return [r.fraction(c.temperature_c, c.equivalents, c.time_min, c.solvent) for r, c in steps]

    def observe(
        self, steps: Sequence[tuple[StepResponse, StepConditions]], key: str
    ) -> list[float]:
        """Observed yield fraction of every step: the truth with noise seeded by ``key``."""
        digest = hashlib.sha256(f"{self.seed}|{key}".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        noise = 1.0 + self.noise_relative_sd * rng.standard_normal(len(steps))
        return [
            float(np.clip(y * n, 0.0, 1.0)) for y, n in zip(self.truth(steps), noise, strict=True)
        ]

    @staticmethod
    def overall(step_yields: Sequence[float]) -> float:
        """The yield of a route: the product of its steps' yields."""
        return float(np.prod(step_yields))
