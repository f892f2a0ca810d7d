"""Uncertainty sampling over a candidate set, registered as ``explore``.

For mapping a space rather than optimizing it (which conditions react, which
do not): each batch goes where the GP of the first objective is least sure,
conditioned on every pick and pending design. Everything else (encodings,
priors, the first batch, failures) is as in ``bo-candidates``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from planner.model_options import Initial
from planner.problem import Design, Observation, Problem, Proposal
from planner.registry import register
from planner.strategies.candidate_bo import MAX_CANDIDATES, CandidateBayesianOptimization


@register("explore")
class UncertaintySampling(CandidateBayesianOptimization):
    """GP uncertainty sampling: propose the candidates the model knows least about."""

    name = "explore"

    def __init__(
        self,
        initial: Initial = "maximin",
        max_candidates: int = MAX_CANDIDATES,
        prior: Literal["block", "dim-scaled"] = "block",
        warp: bool = False,
        warm_start: bool = True,
    ) -> None:
        """Create the strategy (the options mean what they do for ``bo-candidates``)."""
        super().__init__(
            initial=initial,
            max_candidates=max_candidates,
            prior=prior,
            warp=warp,
            warm_start=warm_start,
        )

    def suggest(
        self,
        problem: Problem,
        observations: Sequence[Observation],
        pending: Sequence[Design],
        n: int,
        seed: int,
    ) -> Proposal:
        """Propose the ``n`` candidates of largest (jointly conditioned) posterior variance."""
        from planner.discrete_bo import Settings, propose

        settings = Settings(
            self.name,
            self.failures,
            self.initial,
            self.max_candidates,
            self.surrogate,
            0,
            self.warm,
            "explore",
        )
        return propose(problem, observations, pending, n, seed, settings)
