"""Tanimoto kernel, GP fitting and exact candidate posteriors with conditioning."""

from functools import cache

import numpy as np
import pytest
import torch

from planner import CategoricalParameter, FloatParameter, MoleculeParameter, SearchSpace
from planner.encoding import Encoder
from planner.kernels import TanimotoKernel, tanimoto_similarity
from planner.posterior import CandidatePosterior
from planner.surrogate import fit_gp


def test_tanimoto_similarity_of_bit_sets() -> None:
    x = torch.tensor([[1.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    empty = torch.zeros(1, 4)
    similarity = tanimoto_similarity(x, x)
    # shared bit added: |{1,2,*} ∩ {1,*}| / |{1,2,*}| = 2/3; disjoint sets share only *: 1/5
    assert similarity[0, 1] == pytest.approx(2 / 3)
    assert similarity[0, 2] == pytest.approx(1 / 5)
    assert torch.allclose(torch.diagonal(similarity), torch.ones(3))
    assert tanimoto_similarity(empty, empty).item() == 1.0


def test_tanimoto_kernel_is_positive_semidefinite_and_mixes_with_relevance() -> None:
    generator = torch.Generator().manual_seed(0)
    bits = (torch.rand(40, 64, generator=generator, dtype=torch.float64) < 0.2).double()
    kernel = TanimotoKernel().double()
    kernel._set_relevance(0.7)
    with torch.no_grad():
        matrix = kernel(bits, bits).to_dense()
        diagonal = kernel(bits, diag=True)
    assert torch.linalg.eigvalsh(matrix).min() > -1e-10
    assert torch.allclose(matrix, 0.3 + 0.7 * tanimoto_similarity(bits, bits))
    assert torch.allclose(diagonal, torch.ones(40, dtype=torch.float64))


@cache
def fitted(encoding: str):
    """A small fitted GP (cached: fitting is the slow part and the model is not modified)."""
    space = SearchSpace(
        parameters=(
            MoleculeParameter(
                name="base",
                choices={"a": "CCN(CC)CC", "b": "[Na+].[OH-]", "c": "", "d": "CC(C)(C)[O-].[K+]"},
                encoding=encoding,
            ),
            FloatParameter(name="t", bounds=(20, 100)),
            CategoricalParameter(name="s", choices=("x", "y")),
        )
    )
    encoder = Encoder(space)
    rng = np.random.default_rng(0)
    designs = [
        {"base": str(rng.choice(list("abcd"))), "t": float(rng.uniform(20, 100)), "s": "x"}
        for _ in range(25)
    ]
    y = np.array([2.0 * (d["base"] == "b") - (d["t"] - 60) ** 2 / 900 for d in designs])
    y += rng.normal(0, 0.05, len(y))
    x = encoder.encode(designs)
    return encoder, fit_gp(x, y, encoder.blocks, seed=0), torch.as_tensor(x[:6])


@pytest.mark.parametrize("encoding", ["onehot", "morgan", "descriptors"])
def test_candidate_posterior_matches_botorch(encoding: str) -> None:
    _, fit, candidates = fitted(encoding)
    posterior = CandidatePosterior(fit, candidates)
    with torch.no_grad():
        reference = fit.model.posterior(candidates)
    assert torch.allclose(posterior.mean, reference.mean.squeeze(-1), atol=1e-9)
    assert torch.allclose(posterior.variance, reference.variance.squeeze(-1), atol=1e-9)


def test_conditioning_on_picks_matches_fantasy_observations() -> None:
    _, fit, candidates = fitted("morgan")
    posterior = CandidatePosterior(fit, candidates)
    posterior.track(candidates)
    posterior.condition(4)
    posterior.condition(1)
    with torch.no_grad():
        mean = fit.model.posterior(candidates[[4, 1]]).mean
        believed = fit.model.condition_on_observations(candidates[[4, 1]], mean)
        reference = believed.posterior(candidates).variance.squeeze(-1)
    assert torch.allclose(posterior.tracked_variance, reference, atol=1e-9)
    assert posterior.tracked_variance[4] < posterior.variance[4]


def test_standardization_is_per_task_and_needs_varying_values() -> None:
    from planner.errors import PlannerError
    from planner.surrogate import standardize

    y = np.array([1.0, 2.0, 3.0, 100.0, 200.0, 300.0])
    task = np.array([0, 0, 0, 1, 1, 1])
    scaling = standardize(y, task, 2)
    assert scaling.offsets == pytest.approx((2.0, 200.0))
    assert scaling.scales[1] == pytest.approx(100 * scaling.scales[0])
    with pytest.raises(PlannerError, match="different values"):
        standardize(np.array([5.0, 5.0]), np.array([0, 0]), 1)
