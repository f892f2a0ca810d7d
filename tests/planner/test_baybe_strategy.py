"""BayBE as a peer strategy (``baybe``): an optional extra, pure like ours, inside the table."""

import itertools
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner import (
    CandidateSet,
    CategoricalParameter,
    Exclusion,
    FloatParameter,
    InfeasibleSpaceError,
    IntParameter,
    MoleculeParameter,
    Objective,
    Observation,
    OrdinalParameter,
    OutcomeConstraint,
    PlannerError,
    Problem,
    SearchSpace,
    get_strategy,
    suggest,
)
from planner.sampling import design_key

ROOT = Path(__file__).resolve().parents[2]
SOLVENTS = {"MeCN": "CC#N", "THF": "C1CCOC1", "DMF": "CN(C)C=O", "none": ""}


def needs_baybe() -> None:
    pytest.importorskip("baybe")


def table_problem(direction: str = "maximize") -> Problem:
    """3 catalysts x 4 solvents x 3 loadings (ordinal) = 36 rows; a few rows left out."""
    sp = SearchSpace(
        parameters=(
            CategoricalParameter(name="catalyst", choices=("Pd", "Ni", "Cu")),
            MoleculeParameter(name="solvent", choices=SOLVENTS),
            OrdinalParameter(name="loading", levels=(0.5, 1.0, 2.0)),
        )
    )
    rows = [
        dict(zip(sp.names, combo, strict=True))
        for combo in itertools.product(("Pd", "Ni", "Cu"), SOLVENTS, (0.5, 1.0, 2.0))
    ]
    table = pd.DataFrame(rows[:-3])  # Cu/none is not on the plate
    return Problem(
        space=sp,
        objectives=(Objective(name="y", direction=direction),),
        candidates=CandidateSet(sp, table),
    )


def line_problem(direction: str) -> Problem:
    """One float column of 41 rows: the optimum of the test function is a single row."""
    sp = SearchSpace(parameters=(FloatParameter(name="x", bounds=(0.0, 4.0)),))
    table = pd.DataFrame({"x": np.linspace(0.0, 4.0, 41)})
    return Problem(
        space=sp,
        objectives=(Objective(name="y", direction=direction),),
        candidates=CandidateSet(sp, table),
    )


def bump(x: float) -> float:
    """Peak at x = 2.7 on top of a gentle slope (a minimizer must go to x = 0)."""
    return float(np.exp(-((x - 2.7) ** 2) / 0.3) + 0.1 * x)


def keys(problem: Problem, designs) -> set:
    return {design_key(d, problem.space.names) for d in designs}


def test_import_and_listing_do_not_import_baybe() -> None:
    code = (
        "import planner, sys; names = planner.strategy_names(); "
        "assert 'baybe' in names, names; planner.strategy_options('baybe'); "
        "assert 'baybe' not in sys.modules, 'baybe imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


def test_missing_baybe_is_a_planner_error_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "baybe", None)  # import baybe now fails
    with pytest.raises(PlannerError, match=r"pip install -c constraints.txt 'dbtl\[bench\]'"):
        get_strategy("baybe")
    with pytest.raises(PlannerError, match="not installed"):
        suggest(table_problem(), [], [], 2, seed=0, strategy="baybe")


def test_missing_baybe_at_suggest_time_is_a_planner_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    needs_baybe()
    strategy = get_strategy("baybe")
    monkeypatch.setitem(sys.modules, "baybe", None)
    with pytest.raises(PlannerError, match=r"dbtl\[bench\]"):
        strategy.suggest(table_problem(), [], [], 2, 0)


def test_options_are_checked() -> None:
    needs_baybe()
    with pytest.raises(PlannerError, match="molecules must be 'onehot' or 'substance'"):
        get_strategy("baybe", {"molecules": "morgan"})
    with pytest.raises(PlannerError, match="no option"):
        get_strategy("baybe", {"failures": "avoid"})
    with pytest.raises(PlannerError, match="positive"):
        get_strategy("baybe", {"max_candidates": 0})


def test_substance_without_the_chem_extra_is_refused() -> None:
    needs_baybe()
    try:
        import skfp  # noqa: F401
    except ImportError:
        with pytest.raises(PlannerError, match=r"chem extra.*molecules='onehot'"):
            get_strategy("baybe", {"molecules": "substance"})
    else:  # pragma: no cover - only where scikit-fingerprints is installed
        with pytest.raises(PlannerError, match="no SMILES"):
            suggest(table_problem(), [], [], 2, 0, "baybe", {"molecules": "substance"})


def test_proposals_stay_in_the_table_and_never_repeat_used_designs() -> None:
    needs_baybe()
    problem = table_problem()
    assert problem.candidates is not None
    rows = problem.candidates.rows()
    table = keys(problem, rows)
    observed = [Observation(rows[i], {"y": float(i % 7)}) for i in (0, 5, 11, 17, 23)]
    failed = [Observation(rows[i], failed=True) for i in (2, 8)]
    pending = [rows[3], rows[30]]
    used = keys(problem, [o.parameters for o in observed + failed] + pending)
    proposal = suggest(problem, observed + failed, pending, 6, seed=1, strategy="baybe")
    designs = [s.parameters for s in proposal.suggestions]
    assert len(designs) == 6 and len(keys(problem, designs)) == 6
    assert keys(problem, designs) <= table
    assert not keys(problem, designs) & used
    for d in designs:  # our values and types, not BayBE's
        assert problem.space.validate_design(d) == d
        assert isinstance(d["loading"], float) and isinstance(d["solvent"], str)
    report = proposal.report
    assert report.strategy == "baybe" and report.n_train == 5
    assert report.diagnostics["failed"] == 2
    assert report.diagnostics["generator"] == "baybe:BotorchRecommender"


def test_a_failed_or_pending_design_at_the_optimum_is_not_proposed_again() -> None:
    needs_baybe()
    problem = line_problem("maximize")
    assert problem.candidates is not None
    x = problem.candidates.rows()  # x[i]["x"] = i / 10
    observations = [
        Observation(x[i], {"y": bump(float(x[i]["x"]))}) for i in (0, 10, 20, 26, 28, 40)
    ] + [Observation(x[27], failed=True)]
    pending = [x[25], x[29]]
    for seed in range(3):
        proposal = suggest(problem, observations, pending, 3, seed=seed, strategy="baybe")
        found = {round(float(s.parameters["x"]), 6) for s in proposal.suggestions}
        assert not found & {2.7, 2.5, 2.9, 2.6, 2.8}, found
        assert proposal.report.n_train == 6


def test_fewer_free_candidates_than_asked_is_infeasible() -> None:
    needs_baybe()
    problem = table_problem()
    assert problem.candidates is not None
    rows = problem.candidates.rows()
    observed = [Observation(r, {"y": 1.0}) for r in rows[:-3]]
    failed = [Observation(rows[-3], failed=True)]
    with pytest.raises(InfeasibleSpaceError, match="only 2 of 33 candidates are left"):
        suggest(problem, observed + failed, [], 3, seed=0, strategy="baybe")
    last = suggest(problem, observed + failed, [], 2, seed=0, strategy="baybe")
    assert keys(problem, [s.parameters for s in last.suggestions]) == keys(problem, rows[-2:])


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_finds_the_best_row_of_a_line_in_few_batches(direction: str) -> None:
    needs_baybe()
    problem = line_problem(direction)
    best = 2.7 if direction == "maximize" else 0.0
    observations: list[Observation] = []
    for _ in range(4):  # 12 of 41 rows: 1 random batch, then 3 model batches
        proposal = suggest(problem, observations, [], 3, seed=5, strategy="baybe")
        observations += [
            Observation(s.parameters, {"y": bump(float(s.parameters["x"]))})
            for s in proposal.suggestions
        ]
    found = [float(o.parameters["x"]) for o in observations]
    assert any(abs(x - best) < 1e-9 for x in found), (direction, found)


def test_same_inputs_same_proposals_and_global_random_state_untouched() -> None:
    needs_baybe()
    import torch

    problem = table_problem()
    assert problem.candidates is not None
    rows = problem.candidates.rows()
    observed = [Observation(rows[i], {"y": float(i % 5)}) for i in (1, 9, 14, 20)]
    random.seed(123)
    np.random.seed(123)
    torch.manual_seed(123)
    before = (random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state())
    first = suggest(problem, observed, [rows[4]], 3, seed=7, strategy="baybe")
    after = (random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state())
    assert before[0] == after[0]
    assert np.array_equal(before[1], after[1]) and torch.equal(before[2], after[2])
    again = suggest(problem, observed, [rows[4]], 3, seed=7, strategy="baybe")
    assert [s.parameters for s in first.suggestions] == [s.parameters for s in again.suggestions]
    starts = {
        tuple(design_key(s.parameters, problem.space.names) for s in proposal.suggestions)
        for proposal in (suggest(problem, [], [], 3, seed=s, strategy="baybe") for s in range(4))
    }
    assert len(starts) > 1  # the random first batch follows the seed


def test_other_campaigns_observations_are_not_used() -> None:
    needs_baybe()
    problem = table_problem()
    assert problem.candidates is not None
    rows = problem.candidates.rows()
    related = [Observation(rows[0], {"y": 1.0}, task="other plate")]
    proposal = suggest(problem, related, [], 2, seed=0, strategy="baybe")
    assert proposal.report.n_train == 0
    assert proposal.report.diagnostics["other_campaigns_ignored"] == 1


def mixed_space(**fields: object) -> SearchSpace:
    return SearchSpace.model_validate(
        {
            "parameters": [
                FloatParameter(name="temperature_c", bounds=(20, 80)),
                FloatParameter(name="time_min", bounds=(1, 100), log_scale=True),
                IntParameter(name="equivalents", bounds=(1, 2)),
                CategoricalParameter(name="base", choices=("K2CO3", "Et3N")),
            ],
            **fields,
        }
    )


def test_spaces_with_floats_give_typed_feasible_designs() -> None:
    needs_baybe()
    sp = mixed_space(
        constraints=("temperature_c <= 70",),
        exclusions=(Exclusion.model_validate("base = Et3N and equivalents = 2"),),
    )
    problem = Problem(space=sp, objectives=(Objective(name="y", direction="minimize"),))
    rng = np.random.default_rng(0)
    observations = []
    for i in range(4):
        design = {
            "temperature_c": float(rng.uniform(20, 70)),
            "time_min": float(rng.uniform(1, 100)),
            "equivalents": 1 + i % 2,
            "base": "K2CO3",
        }
        observations.append(Observation(design, {"y": float(rng.normal())}))
    proposal = suggest(problem, observations, [], 2, seed=3, strategy="baybe")
    designs = [s.parameters for s in proposal.suggestions]
    assert len(designs) == 2
    for d in designs:
        assert sp.validate_design(d) == d and sp.is_feasible(d)
        assert isinstance(d["equivalents"], int) and d["base"] in ("K2CO3", "Et3N")
        assert (d["base"], d["equivalents"]) != ("Et3N", 2)
        assert 1 <= float(d["time_min"]) <= 100
    assert not keys(problem, designs) & keys(problem, [o.parameters for o in observations])


def test_a_repeated_design_in_a_continuous_space_is_asked_for_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    needs_baybe()
    from baybe import Campaign

    sp = SearchSpace(parameters=(FloatParameter(name="x", bounds=(0, 1)),))
    problem = Problem(space=sp, objectives=(Objective(name="y"),))
    observations = [Observation({"x": x}, {"y": x}) for x in (0.0, 0.5, 1.0)]
    real = Campaign.recommend
    calls: list = []

    def repeats_first(self, batch_size, pending_experiments=None):
        calls.append((batch_size, pending_experiments))
        if len(calls) == 1:  # x = 1.0 is observed already
            return pd.DataFrame({"x": [1.0, 0.25]})
        return real(self, batch_size, pending_experiments=pending_experiments)

    monkeypatch.setattr(Campaign, "recommend", repeats_first)
    proposal = suggest(problem, observations, [{"x": 0.75}], 2, seed=0, strategy="baybe")
    found = [s.parameters["x"] for s in proposal.suggestions]
    assert found[0] == 0.25 and len(found) == 2 and found[1] not in (0.0, 0.5, 1.0, 0.75)
    assert calls[1][0] == 1
    assert sorted(calls[1][1]["x"]) == [0.25, 0.75, 1.0]  # accepted, pending and the repeat

    monkeypatch.setattr(Campaign, "recommend", lambda *a, **k: pd.DataFrame({"x": [0.5]}))
    with pytest.raises(PlannerError, match="proposed only 0 designs"):
        suggest(problem, observations, [], 1, seed=0, strategy="baybe")


def test_a_discrete_space_without_a_table_is_listed() -> None:
    needs_baybe()
    sp = SearchSpace(
        parameters=(
            IntParameter(name="n", bounds=(1, 4)),
            OrdinalParameter(name="level", levels=("low", "mid", "high")),
        ),
        exclusions=(Exclusion.model_validate("n = 4 and level = high"),),
    )
    problem = Problem(space=sp, objectives=(Objective(name="y"),))
    observations = [Observation({"n": 1, "level": "mid"}, {"y": 1.0})]
    proposal = suggest(problem, observations, [{"n": 2, "level": "low"}], 9, 0, "baybe")
    designs = [s.parameters for s in proposal.suggestions]
    assert len(keys(problem, designs)) == 9  # 11 allowed, 2 used
    assert {"n": 4, "level": "high"} not in designs
    assert all(isinstance(d["n"], int) for d in designs)
    with pytest.raises(PlannerError, match="max_candidates=5"):
        suggest(problem, [], [], 1, 0, "baybe", {"max_candidates": 5})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"outcome_constraints": (OutcomeConstraint.model_validate("y >= 1"),)}, "outcome"),
        ({"space": mixed_space(fixed_per_batch=("base",))}, "fixed_per_batch"),
        (
            {"space": mixed_space(constraints=("temperature_c + equivalents <= 60",))},
            "mix float and int",
        ),
        (
            {"space": mixed_space(constraints=("temperature_c + time_min <= 90",))},
            "log-scaled parameters",
        ),
        (
            {
                "objectives": (
                    Objective(name="y", reference_point=0.0),
                    Objective(name="z", direction="minimize"),
                )
            },
            "reference_point on every objective",
        ),
    ],
)
def test_what_baybe_cannot_express_is_refused(change: dict, message: str) -> None:
    needs_baybe()
    fields = {"space": mixed_space(), "objectives": (Objective(name="y"),), **change}
    problem = Problem(**fields)
    with pytest.raises(PlannerError, match=message):
        suggest(problem, [], [], 2, seed=0, strategy="baybe")


@pytest.mark.slow  # the first qLogNEHVI of a machine compiles BoTorch's fused kernel
def test_two_objectives_become_a_pareto_objective() -> None:
    needs_baybe()
    base = table_problem()
    assert base.candidates is not None
    objectives = (
        Objective(name="y", reference_point=0.0),
        Objective(name="cost", direction="minimize", reference_point=10.0),
    )
    problem = base.model_copy(update={"objectives": objectives})
    rows = base.candidates.rows()
    observations = [
        Observation(rows[i], {"y": float(i % 4), "cost": float(i % 3) + 1.0})
        for i in (0, 7, 13, 21)
    ]
    proposal = suggest(problem, observations, [], 2, seed=0, strategy="baybe")
    designs = [s.parameters for s in proposal.suggestions]
    assert keys(problem, designs) <= keys(problem, rows)
    from planner.baybe_space import recommender

    # BayBE's hypervolume maximizes every target: a minimized one's reference flips sign
    acquisition = recommender(problem).recommender.acquisition_function
    assert acquisition.reference_point == (0.0, -10.0)
    assert not keys(problem, designs) & keys(problem, [o.parameters for o in observations])
