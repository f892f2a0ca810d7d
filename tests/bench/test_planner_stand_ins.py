"""Configs differing only in the molecule encoding play the same campaigns without molecules."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich.console import Console

from benchmarks.planner_harness import play, table_problem
from benchmarks.planner_protocol import Config, DevTable, build_report, read_cache, run_protocol
from benchmarks.planner_stand_ins import has_molecules, stand_in, with_stand_ins
from benchmarks.synthetic_tables import OBJECTIVE, with_interactions
from planner import Objective

BASE = {
    "prior": "block",
    "warp": True,
    "kernel": "rbf",
}  # the kernel these campaigns were written for
CONFIGS = (
    Config("block+warp", BASE),
    Config("auto", {**BASE, "molecules": "auto"}),
    Config("combined", {**BASE, "molecules": "combined"}),
    Config("dim-auto", {"prior": "dim-scaled", "molecules": "auto"}),
)


def small_table() -> pd.DataFrame:
    table = with_interactions()
    keep = (table["solvent"] == "solv01") & (table["temperature_c"] == 65.0)
    return table[keep].drop(columns=["solvent", "temperature_c"]).reset_index(drop=True)


def molecule_table() -> pd.DataFrame:
    table = small_table()
    bases = sorted(table["base"].unique())
    structures = ["[Na+].[OH-]", "CCN(CC)CC", "C1CCC2=NCCCN2CC1", "[K+].[K+].[O-]C([O-])=O"]
    structures += ["CC(C)(C)[O-].[K+]", "CN1CCCC1"]
    smiles = dict(zip(bases, structures, strict=True))
    return table.assign(base_smiles=table["base"].map(smiles))


TINY = DevTable("tiny", small_table, ["ligand", "base"], OBJECTIVE, budget=10)


def test_molecule_options_play_the_same_campaigns_on_a_table_without_molecules() -> None:
    target = TINY.problem()
    assert not has_molecules(target.problem)
    for seed in (0, 1):
        runs = [play(target, c.strategy, seed, 10, 5, c.options).values for c in CONFIGS[:3]]
        assert runs[0] == runs[1] == runs[2]


def test_with_molecules_the_encoding_changes_the_campaign() -> None:
    objective = [Objective(name=OBJECTIVE)]
    target = table_problem(molecule_table(), ["ligand", "base"], objective, "onehot")
    assert has_molecules(target.problem)
    plain, described = (
        play(target, "bo-candidates", 0, 15, 5, c.options).values for c in CONFIGS[::2][:2]
    )
    assert plain[:5] == described[:5]  # the first batch never depends on the model's encoding
    assert plain != described


def test_stand_in_is_the_config_without_the_encoding_option() -> None:
    assert stand_in(CONFIGS[1], CONFIGS, molecules=False) == "block+warp"
    assert stand_in(CONFIGS[2], CONFIGS, molecules=False) == "block+warp"
    assert stand_in(CONFIGS[1], CONFIGS, molecules=True) is None
    assert stand_in(CONFIGS[0], CONFIGS, molecules=False) is None  # nothing to stand in for
    assert stand_in(CONFIGS[3], CONFIGS, molecules=False) is None  # no config without it


def test_stand_ins_fill_only_missing_seeds_under_their_own_label() -> None:
    rows = [{"table": "t", "config": "block+warp", "seed": s, "values": f"{s}.0"} for s in range(3)]
    rows.append({"table": "t", "config": "auto", "seed": 1, "values": "9.0"})
    merged = with_stand_ins(pd.DataFrame(rows), {("t", "auto"): "block+warp"})
    auto = merged[merged["config"] == "auto"].sort_values("seed")
    assert list(auto["seed"]) == [0, 1, 2]
    assert list(auto["values"]) == ["0.0", "9.0", "2.0"]  # its own campaign is kept


def test_the_protocol_does_not_run_stand_ins_and_reports_them(tmp_path: Path) -> None:
    cache = tmp_path / "protocol.csv"
    run_protocol(cache, [TINY], CONFIGS[:2], 2, Console(quiet=True))
    assert set(read_cache(cache)["config"]) == {"block+warp"}
    report = build_report(read_cache(cache), [TINY], CONFIGS[:2], 2, baseline="block+warp")
    scores = report.scores.loc["tiny"]
    assert scores["auto"] == scores["block+warp"]
    assert list(report.scores.columns) == ["block+warp", "auto"]


def test_the_molecule_table_is_seeded_with_real_molecules() -> None:
    from benchmarks.planner_molecule_tables import PARAMETERS, molecule_descriptors

    table = molecule_descriptors()
    assert len(table) == 800 and table[OBJECTIVE].between(0, 100).all()
    pd.testing.assert_frame_equal(table, molecule_descriptors())
    assert not table.equals(molecule_descriptors(seed=1))
    assert 0.2 < (table[OBJECTIVE] == 0).mean() < 0.3
    objective = [Objective(name=OBJECTIVE)]
    target = table_problem(table, list(PARAMETERS), objective, "onehot")
    assert has_molecules(target.problem) and len(target.outcomes) == 800


INITIAL = (
    Config("maximin", {**BASE, "initial": "maximin"}),
    Config("auto-initial", {**BASE, "initial": "auto"}),
)


def test_maximin_plays_the_campaigns_of_auto_only_above_the_small_set_size() -> None:
    from planner.initial import SMALL_CANDIDATE_SET

    large, small = SMALL_CANDIDATE_SET + 1, SMALL_CANDIDATE_SET
    assert stand_in(INITIAL[0], INITIAL, False, large) == "auto-initial"
    assert stand_in(INITIAL[0], INITIAL, True, large) == "auto-initial"
    assert stand_in(INITIAL[0], INITIAL, False, small) is None
    assert stand_in(INITIAL[1], INITIAL, False, large) is None  # auto is the one that runs


def test_auto_and_maximin_play_the_same_campaigns_on_a_large_table() -> None:
    from benchmarks.synthetic_tables import many_levels
    from planner.initial import SMALL_CANDIDATE_SET

    table = many_levels()
    target = table_problem(table, ["additive", "catalyst", "solvent"], [Objective(name=OBJECTIVE)])
    assert len(target.problem.candidates) > SMALL_CANDIDATE_SET
    runs = [play(target, c.strategy, 0, 10, 5, c.options).values for c in INITIAL]
    assert runs[0] == runs[1]
