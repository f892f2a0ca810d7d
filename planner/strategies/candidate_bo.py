"""Bayesian optimization over candidate sets, registered as ``bo-candidates``.

The heavy lifting (RDKit features, BoTorch GPs) lives in
:mod:`planner.discrete_bo` and is imported on first use, so that listing the
strategies stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from planner.problem import Design, Observation, Problem, Proposal
from planner.registry import register

MAX_CANDIDATES = 100_000
"""Largest discrete space enumerated when the problem has no candidate table."""


@register("bo-candidates")
class CandidateBayesianOptimization:
    """GP Bayesian optimization that scores every candidate of a finite set.

    Works on a problem's candidate table, or on every design of a discrete
    space (at most ``max_candidates``). Molecule parameters are encoded as
    their ``encoding`` says (one-hot, reduced RDKit descriptors, or Morgan
    fingerprints with a Tanimoto kernel).
    """

    name = "bo-candidates"

    def __init__(
        self,
        failures: Literal["ignore", "avoid"] = "ignore",
        initial: Literal["maximin", "random"] = "maximin",
        max_candidates: int = MAX_CANDIDATES,
    ) -> None:
        """Create the strategy.

        Args:
            failures: ``"ignore"``: failed experiments only are never proposed again;
                ``"avoid"``: also learn where experiments fail and weigh each
                candidate by its predicted chance of success.
            initial: How the first batch (before any model) is spread: ``"maximin"``
                (each design far from the others in feature space) or ``"random"``.
            max_candidates: Largest discrete space enumerated without a table.
        """
        if failures not in ("ignore", "avoid"):
            raise ValueError(f"failures must be 'ignore' or 'avoid', got {failures!r}")
        if initial not in ("maximin", "random"):
            raise ValueError(f"initial must be 'maximin' or 'random', got {initial!r}")
        if max_candidates < 1:
            raise ValueError(f"max_candidates must be positive, got {max_candidates}")
        self.failures = failures
        self.initial = initial
        self.max_candidates = max_candidates

    def suggest(
        self,
        problem: Problem,
        observations: Sequence[Observation],
        pending: Sequence[Design],
        n: int,
        seed: int,
    ) -> Proposal:
        """Propose ``n`` unused candidates (see :mod:`planner.discrete_bo`)."""
        from planner.discrete_bo import Settings, propose

        settings = Settings(self.name, self.failures, self.initial, self.max_candidates)
        return propose(problem, observations, pending, n, seed, settings)
