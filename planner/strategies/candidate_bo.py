"""Bayesian optimization over candidate sets, registered as ``bo-candidates``.

The heavy lifting (RDKit features, BoTorch GPs) lives in
:mod:`planner.discrete_bo` and is imported on first use, so that listing the
strategies stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from planner.model_options import (
    BATCH_CHOICES,
    INITIAL_CHOICES,
    KERNEL_CHOICES,
    MOLECULE_CHOICES,
    BatchRule,
    Initial,
    KernelFamily,
    MoleculeChoice,
    SurrogateOptions,
)
from planner.problem import Design, Observation, Problem, Proposal
from planner.registry import register
from planner.warm_hyperparameters import WarmStart

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
        initial: Initial = "auto",
        max_candidates: int = MAX_CANDIDATES,
        prior: Literal["block", "dim-scaled"] = "block",
        warp: bool = True,
        stagnation: int = 0,
        warm_start: bool = True,
        molecules: MoleculeChoice = "declared",
        kernel: KernelFamily = "matern52",
        batch: BatchRule = "believer",
    ) -> None:
        """Create the strategy.

        Args:
            failures: ``"ignore"``: failed experiments only are never proposed again;
                ``"avoid"``: also learn where experiments fail and weigh each
                candidate by its predicted chance of success.
            initial: How the first batch (before any model) is spread: ``"balanced"``
                (every parameter's levels used evenly), ``"maximin"`` (each design
                far from the others in feature space), ``"random"``, ``"medoids"``
                (representative points of the candidates, not their corners) or
                ``"auto"``, the default since the third run of the protocol of
                ``docs/planner-protocol.md`` (``medoids`` on sets of at most 150
                candidates, else ``maximin``); see :mod:`planner.initial`.
            max_candidates: Largest discrete space enumerated without a table.
            prior: Kernel priors: ``"block"`` (per parameter, in units of its
                diameter, with a noise prior admitting assay noise; the default
                since the protocol of ``docs/planner-protocol.md``) or
                ``"dim-scaled"`` (BoTorch's prior over all columns, the old default).
            warp: Rank-warp the outcomes before modelling (bounded, zero-inflated
                yields); on by default since the same protocol.
            stagnation: After this many batches without improvement, one slot of
                each batch goes to the most uncertain candidate (0: never).
            warm_start: When this object proposes again, start each GP fit from its
                previous fit's hyperparameters (fewer optimizer steps). A fresh
                object always fits cold, so its proposals depend on its inputs alone.
            molecules: How the models encode molecule parameters: ``"declared"``
                (each parameter's ``encoding``), one encoding for all
                (``"onehot"``, ``"descriptors"``, ``"morgan"``, ``"combined"``: one-hot
                plus descriptors), or ``"auto"``: per campaign, the encoding of
                largest leave-one-out likelihood (see :mod:`planner.encoding_choice`).
            kernel: Each parameter block's kernel with the block prior: ``"rbf"``
                (squared exponential) or ``"matern52"`` (Matérn-5/2, as BayBE and
                EDBO use); see :func:`planner.kernels.block_kernel`.
            batch: How a model batch is built after its first pick: ``"believer"``
                (log EI, each pick conditioned on the earlier ones at their
                predicted means) or ``"qei"`` (greedy expected improvement of the
                whole batch from joint posterior samples, so picks that would
                only repeat an earlier one's outcome add little; objective-only
                problems, else ``believer``); see :mod:`planner.sampled_batch`.
        """
        if failures not in ("ignore", "avoid"):
            raise ValueError(f"failures must be 'ignore' or 'avoid', got {failures!r}")
        if initial not in INITIAL_CHOICES:
            raise ValueError(
                f"initial must be one of {', '.join(INITIAL_CHOICES)}, got {initial!r}"
            )
        if prior not in ("block", "dim-scaled"):
            raise ValueError(f"prior must be 'block' or 'dim-scaled', got {prior!r}")
        if stagnation < 0:
            raise ValueError(f"stagnation must be 0 or more batches, got {stagnation}")
        if molecules not in MOLECULE_CHOICES:
            raise ValueError(
                f"molecules must be one of {', '.join(MOLECULE_CHOICES)}, got {molecules!r}"
            )
        if kernel not in KERNEL_CHOICES:
            raise ValueError(f"kernel must be one of {', '.join(KERNEL_CHOICES)}, got {kernel!r}")
        if batch not in BATCH_CHOICES:
            raise ValueError(f"batch must be one of {', '.join(BATCH_CHOICES)}, got {batch!r}")
        if max_candidates < 1:
            raise ValueError(f"max_candidates must be positive, got {max_candidates}")
        self.failures = failures
        self.initial = initial
        self.max_candidates = max_candidates
        self.surrogate = SurrogateOptions(prior, bool(warp), molecules, kernel)
        self.batch = batch
        self.stagnation = stagnation
        self.warm = WarmStart() if warm_start else None

    @property
    def surrogate_options(self) -> SurrogateOptions:
        """How this strategy's outcome models are built (prior, warp, molecule encoding)."""
        return self.surrogate

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

        settings = Settings(
            self.name,
            self.failures,
            self.initial,
            self.max_candidates,
            self.surrogate,
            self.stagnation,
            self.warm,
            batch=self.batch,
        )
        return propose(problem, observations, pending, n, seed, settings)
