"""Combined (one-hot + descriptor) molecule encodings, their kernel and the per-campaign choice."""

import numpy as np
import pandas as pd
import pytest
import torch

from planner import (
    CandidateSet,
    CategoricalParameter,
    FloatParameter,
    MoleculeParameter,
    Objective,
    Observation,
    Problem,
    SearchSpace,
    suggest,
)
from planner.encoding import (
    MAX_DESCRIPTOR_COMPONENTS,
    Encoder,
    descriptor_table,
    reduce_descriptors,
)
from planner.encoding_choice import BEFORE_CHOICE, MIN_CHOICE_OBSERVATIONS, fit_chosen
from planner.kernels import LENGTHSCALE_PRIOR, MixtureKernel, block_rbf, parameter_kernel
from planner.model_options import SurrogateOptions
from planner.strategies.candidate_bo import CandidateBayesianOptimization

ALCOHOLS = {f"C{n}OH": "C" * n + "O" for n in range(1, 13)}
"""Twelve linear alcohols: a homologous series, so descriptors order them by chain length."""


def alcohol_space(encoding: str = "onehot") -> SearchSpace:
    return SearchSpace(
        parameters=(
            MoleculeParameter(name="alcohol", choices=ALCOHOLS, encoding=encoding),
            CategoricalParameter(name="vessel", choices=("glass", "steel")),
        )
    )


def chain_yield(label: str) -> float:
    """A smooth response to chain length, best at C7: the descriptors carry the answer."""
    n = int(label[1:-2])
    return 100.0 - 2.5 * (n - 7) ** 2


def alcohol_problem() -> Problem:
    space = alcohol_space()
    rows = [{"alcohol": a, "vessel": v} for a in ALCOHOLS for v in ("glass", "steel")]
    table = pd.DataFrame(rows)
    return Problem(
        space=space,
        objectives=(Objective(name="yield"),),
        candidates=CandidateSet(space, table),
    )


def observed(labels: list[str]) -> list[Observation]:
    return [
        Observation({"alcohol": a, "vessel": "glass"}, {"yield": chain_yield(a)}) for a in labels
    ]


SEEN = ["C1OH", "C2OH", "C4OH", "C5OH", "C8OH", "C10OH", "C11OH", "C12OH", "C3OH"]


def test_combined_block_is_one_hot_then_descriptors_with_their_own_diameters() -> None:
    encoder = Encoder(alcohol_space(), molecules="combined")
    block = encoder.blocks[0]
    onehot, descriptors = block.parts
    assert block.kind == "combined" and (onehot.kind, descriptors.kind) == ("onehot", "descriptors")
    assert (onehot.start, onehot.stop, descriptors.start) == (0, 12, 12)
    assert descriptors.stop == block.stop
    table = encoder.block_table("alcohol")
    np.testing.assert_array_equal(table[:, :12], np.eye(12))
    np.testing.assert_allclose(table[:, 12:], descriptor_table(tuple(ALCOHOLS.values())))
    assert onehot.diameter == pytest.approx(np.sqrt(2.0))
    assert 0 < descriptors.diameter <= np.sqrt(descriptors.stop - descriptors.start) + 1e-12
    assert encoder.blocks[1].kind == "onehot"  # the categorical is left alone...
    assert "no SMILES" in encoder.notes["vessel"]  # ...and the report says why


def test_declared_encoding_is_kept_without_an_override() -> None:
    assert Encoder(alcohol_space("descriptors")).blocks[0].kind == "descriptors"
    assert Encoder(alcohol_space("descriptors"), molecules="onehot").blocks[0].kind == "onehot"
    assert Encoder(alcohol_space()).notes == {}


def test_descriptor_components_are_few_uncorrelated_and_cached() -> None:
    table = descriptor_table(tuple(ALCOHOLS.values()))
    assert 1 <= table.shape[1] <= MAX_DESCRIPTOR_COMPONENTS
    assert table.min() == pytest.approx(0.0) and table.max() == pytest.approx(1.0)
    correlation = np.corrcoef(table, rowvar=False)
    off = correlation[~np.eye(len(correlation), dtype=bool)]
    assert np.abs(off).max() < 1e-8  # decorrelated over the levels
    assert descriptor_table(tuple(ALCOHOLS.values())) is table  # cached per set of SMILES
    assert not table.flags.writeable


def test_reduction_is_invariant_to_descriptor_units_and_level_order() -> None:
    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(9, 30)) @ rng.normal(size=(30, 30))

    def distances(m: np.ndarray) -> np.ndarray:
        reduced = reduce_descriptors(m)
        return np.sqrt(((reduced[:, None] - reduced[None]) ** 2).sum(-1))

    base = distances(matrix)
    rescaled = distances(matrix * rng.uniform(0.001, 1000.0, size=30) + 7.0)
    np.testing.assert_allclose(rescaled, base, atol=1e-9)
    order = rng.permutation(9)
    np.testing.assert_allclose(distances(matrix[order]), base[np.ix_(order, order)], atol=1e-9)


def test_mixture_kernel_has_unit_variance_and_interpolates_its_parts() -> None:
    encoder = Encoder(alcohol_space(), molecules="combined")
    block = encoder.blocks[0]
    x = torch.as_tensor(encoder.block_table("alcohol"), dtype=torch.float64)
    kernel = parameter_kernel(block)
    assert isinstance(kernel, MixtureKernel)
    onehot, descriptors = (k(x).to_dense() for k in (kernel.first, kernel.second))
    for share in (0.0, 0.3, 1.0):
        kernel._set_share(share)
        with torch.no_grad():
            matrix = kernel(x).to_dense()
        expected = (1 - kernel.share) * onehot + kernel.share * descriptors
        torch.testing.assert_close(matrix, expected.detach())
        torch.testing.assert_close(torch.diagonal(matrix), torch.ones(12, dtype=torch.float64))
        assert float(torch.linalg.eigvalsh(matrix).min()) > -1e-9
    assert float(kernel.share.detach()) == pytest.approx(1.0, abs=1e-6)
    torch.testing.assert_close(matrix, descriptors.detach())  # share 1: descriptors alone


def test_each_part_has_its_lengthscale_prior_in_units_of_its_own_diameter() -> None:
    block = Encoder(alcohol_space(), molecules="combined").blocks[0]
    concentration, rate = LENGTHSCALE_PRIOR
    for part in block.parts:
        kernel = block_rbf(part)
        mode = part.diameter * (concentration - 1) / rate
        np.testing.assert_allclose(kernel.lengthscale.detach().numpy(), mode)
        assert float(kernel.lengthscale_prior.rate) == pytest.approx(rate / part.diameter)


def test_auto_prefers_descriptors_where_chain_length_decides() -> None:
    problem = alcohol_problem()
    options = SurrogateOptions("block", True, "auto")
    encoder, models, choice = fit_chosen(problem, observed(SEEN), 0, False, options)
    assert set(choice.scores) == {"onehot", "descriptors", "combined"}
    assert choice.scores["descriptors"] > choice.scores["onehot"] + 0.2
    assert choice.encoding == max(choice.scores, key=choice.scores.__getitem__)
    assert choice.encoding != "onehot" and encoder.molecules == choice.encoding
    assert "yield" in models.fits
    again = fit_chosen(problem, observed(SEEN), 0, False, options)[2]
    assert again == choice  # deterministic given the data


def test_auto_waits_for_enough_observations_and_needs_molecules() -> None:
    options = SurrogateOptions("block", True, "auto")
    few = observed(SEEN[: MIN_CHOICE_OBSERVATIONS - 1])
    _, _, choice = fit_chosen(alcohol_problem(), few, 0, False, options)
    assert choice.encoding == BEFORE_CHOICE and not choice.scores
    assert f"{MIN_CHOICE_OBSERVATIONS - 1} of the {MIN_CHOICE_OBSERVATIONS}" in choice.reason
    space = SearchSpace(parameters=(FloatParameter(name="t", bounds=(0, 1)),))
    plain = Problem(space=space, objectives=(Objective(name="yield"),))
    points = [Observation({"t": t}, {"yield": t * t}) for t in np.linspace(0, 1, 9)]
    assert fit_chosen(plain, points, 0, False, options)[2].encoding == "declared"


def test_the_proposal_reports_the_encoding_and_the_first_batch_ignores_it() -> None:
    problem = alcohol_problem()
    first = {
        m: suggest(problem, [], [], 4, 5, "bo-candidates", {"molecules": m})
        for m in ("declared", "auto", "descriptors")
    }
    designs = {m: [s.parameters for s in p.suggestions] for m, p in first.items()}
    assert designs["auto"] == designs["declared"] == designs["descriptors"]
    proposal = suggest(problem, observed(SEEN), [], 2, 5, "bo-candidates", {"molecules": "auto"})
    encoding = proposal.report.diagnostics["encoding"]
    assert encoding["molecules"] in ("descriptors", "combined")
    assert set(encoding["loo_log_density"]) == {"onehot", "descriptors", "combined"}
    assert f"molecules={encoding['molecules']} by LOO" in proposal.suggestions[0].generator


def test_an_unknown_molecules_option_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="molecules must be one of declared, onehot"):
        CandidateBayesianOptimization(molecules="fingerprints")  # type: ignore[arg-type]


def test_unseen_levels_borrow_strength_in_the_predictions_of_the_chosen_encoding() -> None:
    from planner.reactivity import predict_with_encoding

    problem = alcohol_problem()
    assert problem.candidates is not None
    table = problem.candidates.table

    def predicted_c7(molecules: str) -> tuple[float, str]:
        options = SurrogateOptions("block", True, molecules)  # type: ignore[arg-type]
        free, predicted, choice = predict_with_encoding(problem, observed(SEEN), 0, options)
        row = int(table.index[(table["alcohol"] == "C7OH") & (table["vessel"] == "glass")][0])
        return float(predicted[free.index(row)]), choice.encoding

    onehot, _ = predicted_c7("onehot")
    auto, chosen = predicted_c7("auto")
    assert chosen != "onehot"
    assert auto > onehot + 10.0  # C7 was never measured; its neighbours C5 and C8 were
    assert abs(auto - chain_yield("C7OH")) < 15.0


def test_loo_log_density_matches_refitting_without_each_point() -> None:
    from planner.diagnostics import loo_log_density
    from planner.surrogate import fit_gp

    encoder = Encoder(alcohol_space(), molecules="descriptors")
    x = encoder.encode([{"alcohol": a, "vessel": "glass"} for a in SEEN])
    fit = fit_gp(x, np.array([chain_yield(a) for a in SEEN]), encoder.blocks, 0)
    model, z = fit.model, fit.train_z
    with torch.no_grad():
        k = model.covar_module(fit.train_x).to_dense()
        noise = float(model.likelihood.noise.item())
        mean = float(model.mean_module.constant.item())
        densities = []
        for i in range(len(z)):
            rest = [j for j in range(len(z)) if j != i]
            k_rr = k[rest][:, rest] + noise * torch.eye(len(rest), dtype=k.dtype)
            k_ir = k[i, rest]
            mu = mean + k_ir @ torch.linalg.solve(k_rr, z[rest] - mean)
            var = k[i, i] + noise - k_ir @ torch.linalg.solve(k_rr, k_ir)
            normal = torch.distributions.Normal(mu, var.sqrt())
            densities.append(float(normal.log_prob(z[i])))
    assert loo_log_density(fit) == pytest.approx(float(np.mean(densities)), abs=1e-8)
