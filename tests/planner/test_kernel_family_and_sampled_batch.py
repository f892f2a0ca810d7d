"""The ``kernel`` (RBF or Matérn-5/2) and ``batch`` (believer or sampled q-EI) options."""

import pandas as pd
import pytest
import torch
from gpytorch.kernels import MaternKernel, RBFKernel

from planner import (
    CandidateSet,
    CategoricalParameter,
    FloatParameter,
    Objective,
    Observation,
    Problem,
    SearchSpace,
    suggest,
)
from planner.acquisition import Scorer, greedy_batch
from planner.encoding import Encoder
from planner.kernels import LENGTHSCALE_PRIOR, block_kernel, block_rbf
from planner.model_options import DEFAULT_OPTIONS
from planner.posterior import CandidatePosterior
from planner.sampled_batch import joint_samples, sampled_ei_batch
from planner.strategies.candidate_bo import CandidateBayesianOptimization
from planner.surrogate import DTYPE, FittedGP, Standardization


def two_block_space() -> SearchSpace:
    return SearchSpace(
        parameters=(
            FloatParameter(name="t", bounds=(20, 100)),
            CategoricalParameter(name="s", choices=("x", "y", "z")),
        )
    )


def test_matern_family_keeps_each_blocks_prior_and_unknown_families_are_refused() -> None:
    blocks = Encoder(two_block_space()).blocks
    rbf, matern = block_kernel(blocks, "block"), block_kernel(blocks, "block", "matern52")
    rbf_parts = [m for m in rbf.modules() if isinstance(m, RBFKernel)]
    matern_parts = [m for m in matern.modules() if isinstance(m, MaternKernel)]
    assert len(rbf_parts) == len(matern_parts) == len(blocks) == 2
    assert not any(isinstance(m, RBFKernel) for m in matern.modules())
    concentration, rate = LENGTHSCALE_PRIOR
    for block, part, reference in zip(blocks, matern_parts, rbf_parts, strict=True):
        assert part.nu == 2.5
        prior = part.lengthscale_prior
        assert float(prior.concentration) == concentration
        assert float(prior.rate) == pytest.approx(rate / block.diameter)
        assert torch.allclose(part.lengthscale, reference.lengthscale)
    with pytest.raises(ValueError, match="kernel family"):
        block_rbf(blocks[0], "laplace")  # type: ignore[arg-type]


def hand_made_posterior(candidates: torch.Tensor) -> CandidatePosterior:
    """A 1-D GP (lengthscale 0.05) that saw three points around 0.5 and nothing near 0.9."""
    from botorch.models import SingleTaskGP

    train_x = torch.tensor([[0.45], [0.5], [0.55]], dtype=DTYPE)
    train_z = torch.tensor([[0.3], [0.4], [0.3]], dtype=DTYPE)
    model = SingleTaskGP(train_x, train_z, outcome_transform=None)
    model.covar_module.lengthscale = 0.05
    model.likelihood.noise = 1e-4
    model.mean_module.constant.data.fill_(0.0)
    model.eval()
    scaling = Standardization((0.0,), (1.0,))
    fit = FittedGP(model, train_x, train_z.squeeze(-1), torch.zeros(3, dtype=torch.long), scaling)
    return CandidatePosterior(fit, candidates)


def test_sampled_batch_does_not_repeat_a_pick_the_believer_repeats() -> None:
    # rows 0 and 1 are one design in effect (high mean); row 2 is far from the data
    candidates = torch.tensor([[0.52], [0.521], [0.9]], dtype=DTYPE)
    posterior = hand_made_posterior(candidates)
    assert posterior.mean[0] > posterior.mean[2] and posterior.variance[2] > 0.5
    best = -3.0  # every candidate improves on it: only the batch rule decides
    rows = torch.arange(3)
    none = torch.empty(0, 1, dtype=DTYPE)
    scorer = Scorer(posterior.mean, torch.zeros(3, dtype=DTYPE), best)
    assert greedy_batch(posterior, scorer, rows, 2, none) == [0, 1]
    picks = sampled_ei_batch(posterior, posterior.mean, best, 1.0, rows, 2, none, seed=3)
    assert picks == [0, 2]
    assert sampled_ei_batch(posterior, posterior.mean, best, 1.0, rows, 2, none, seed=3) == picks
    # a pending design at row 0's place counts as reached: the batch starts elsewhere
    pending = candidates[:1]
    assert sampled_ei_batch(posterior, posterior.mean, best, 1.0, rows, 1, pending, seed=3) == [2]


def test_joint_samples_follow_the_joint_posterior() -> None:
    candidates = torch.tensor([[0.52], [0.521], [0.9]], dtype=DTYPE)
    posterior = hand_made_posterior(candidates)
    mean, covariance = posterior.joint(candidates)
    assert torch.allclose(covariance.diagonal(), posterior.variance, atol=1e-9)
    samples = joint_samples(posterior, candidates, seed=0)
    assert torch.allclose(samples.mean(0), mean, atol=0.15)
    correlation = torch.corrcoef(samples.T)
    assert correlation[0, 1] > 0.99 and abs(float(correlation[0, 2])) < 0.2


def grid_problem() -> Problem:
    space = two_block_space()
    rows = [{"t": t, "s": s} for t in (20.0, 40.0, 60.0, 80.0, 100.0) for s in ("x", "y", "z")]
    return Problem(
        space=space,
        objectives=(Objective(name="y"),),
        candidates=CandidateSet(space, pd.DataFrame(rows)),
    )


def yield_of(design: dict) -> float:
    return -((float(design["t"]) - 70.0) ** 2) / 400 + {"x": 0.0, "y": 1.0, "z": 0.3}[design["s"]]


@pytest.mark.parametrize(
    ("options", "label"),
    [({"batch": "qei"}, "qEI"), ({"kernel": "matern52"}, "logEI"), ({}, "logEI")],
)
def test_options_propose_reproducibly_and_say_how(options: dict, label: str) -> None:
    problem = grid_problem()
    first = suggest(problem, [], [], 5, 1, "bo-candidates", options)
    observed = [Observation(s.parameters, {"y": yield_of(s.parameters)}) for s in first.suggestions]
    again = [suggest(problem, observed, [], 4, 1, "bo-candidates", options) for _ in range(2)]
    designs = [[s.parameters for s in p.suggestions] for p in again]
    assert designs[0] == designs[1]
    assert (
        len(
            {tuple(d.items()) for d in designs[0]} | {tuple(o.parameters.items()) for o in observed}
        )
        == 9
    )
    assert again[0].suggestions[0].generator == f"bo-candidates:{label}"


def test_unknown_kernel_or_batch_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="kernel must be one of rbf, matern52"):
        CandidateBayesianOptimization(kernel="laplace")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="batch must be one of believer, qei"):
        CandidateBayesianOptimization(batch="kb")  # type: ignore[arg-type]
    defaults = CandidateBayesianOptimization()
    assert (defaults.surrogate_options.kernel, defaults.batch) == ("matern52", "believer")
    assert defaults.surrogate_options == DEFAULT_OPTIONS  # the catalog default is the same
