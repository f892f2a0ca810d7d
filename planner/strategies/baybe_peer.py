"""BayBE as a peer optimizer, registered as ``baybe``, to benchmark our planner against.

BayBE (https://github.com/emdgroup/baybe) is an optional extra
(``pip install -c constraints.txt 'dbtl[bench]'``). Registering and listing
the strategy does not import it; the first proposal does
(:mod:`planner.baybe_campaign`, :mod:`planner.baybe_space`).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.util import find_spec
from typing import Literal

from planner.errors import PlannerError
from planner.problem import Design, Observation, Problem, Proposal
from planner.registry import register
from planner.strategies.candidate_bo import MAX_CANDIDATES

INSTALL_HINT = "pip install -c constraints.txt 'dbtl[bench]'"


@register("baybe")
class BayBEStrategy:
    """BayBE's default recommender (random first batch, then a GP with qLogEI).

    Each call builds a new BayBE campaign from the problem and the
    observations, so the strategy is as stateless and reproducible as ours.
    With a candidate table, BayBE chooses among its rows only, and never one
    already observed (failed or not) or pending. Several objectives become a
    BayBE Pareto objective (qLogNEHVI). Outcome constraints and
    fixed-per-batch parameters are refused.
    """

    name = "baybe"

    def __init__(
        self,
        molecules: Literal["onehot", "substance"] = "onehot",
        max_candidates: int = MAX_CANDIDATES,
    ) -> None:
        """Create the strategy.

        Args:
            molecules: How molecule parameters reach BayBE: ``"onehot"`` (one-hot
                categories of their labels) or ``"substance"`` (BayBE's
                ``SubstanceParameter`` fingerprints of the SMILES; needs BayBE's
                chem extra). The parameters' own ``encoding`` is not used.
            max_candidates: Largest discrete space (or discrete part of a space
                with floats) enumerated when the problem has no candidate table.

        Raises:
            PlannerError: BayBE is not installed.
            ValueError: A bad option value, or ``"substance"`` without the chem extra.
        """
        if find_spec("baybe") is None:
            raise PlannerError(_missing())
        if molecules not in ("onehot", "substance"):
            raise ValueError(f"molecules must be 'onehot' or 'substance', got {molecules!r}")
        if molecules == "substance" and find_spec("skfp") is None:
            raise ValueError(
                "molecules='substance' needs BayBE's chem extra (scikit-fingerprints), "
                "which is not installed: pip install 'baybe[chem]', or use molecules='onehot'"
            )
        if max_candidates < 1:
            raise ValueError(f"max_candidates must be positive, got {max_candidates}")
        self.molecules: Literal["onehot", "substance"] = molecules
        self.max_candidates = max_candidates

    def suggest(
        self,
        problem: Problem,
        observations: Sequence[Observation],
        pending: Sequence[Design],
        n: int,
        seed: int,
    ) -> Proposal:
        """Propose ``n`` designs with a fresh BayBE campaign (see :mod:`planner.baybe_campaign`).

        Raises:
            PlannerError: BayBE is not installed, or the problem uses a feature
                BayBE cannot express (the message names it).
            InfeasibleSpaceError: Fewer than ``n`` candidates are left.
        """
        if find_spec("baybe") is None:
            raise PlannerError(_missing())
        try:
            from planner.baybe_campaign import BayBESettings, propose
        except ModuleNotFoundError as exc:  # BayBE installed without one of its dependencies
            raise PlannerError(
                f"the baybe strategy cannot import BayBE ({exc}); reinstall it: {INSTALL_HINT}"
            ) from None
        settings = BayBESettings(self.name, self.molecules, self.max_candidates)
        return propose(problem, observations, pending, n, seed, settings)


def _missing() -> str:
    return (
        f"the baybe strategy needs BayBE, an optional extra that is not installed: {INSTALL_HINT}"
    )
