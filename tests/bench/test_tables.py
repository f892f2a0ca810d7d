"""A CSV of experiments as a benchmark problem: inference, averaging and bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lab.bench.tables import DatasetError, identifier, load_dataset
from planner import CategoricalParameter, FloatParameter, MoleculeParameter, OrdinalParameter
from simulators.experiment_table import ConditionsNotInTableError
from tests.bench.tables import BEST, write_grid


def test_parameters_are_inferred_leaving_out_ids_aliases_and_smiles(tmp_path: Path) -> None:
    dataset = load_dataset(write_grid(tmp_path / "grid.csv"), "yield")
    kinds = {p.name: type(p) for p in dataset.parameters}
    assert kinds == {
        "catalyst": MoleculeParameter,
        "temperature_C": OrdinalParameter,
        "solvent": CategoricalParameter,
    }
    catalyst = dataset.parameters[0]
    assert isinstance(catalyst, MoleculeParameter)
    assert catalyst.choices["none"] == ""  # an empty SMILES: nothing added
    assert len(dataset.table) == 32
    assert dataset.best == pytest.approx(100.0)  # Pd_B, 70 °C, THF
    assert dataset.worst == pytest.approx(2.0 + 10.0)


def test_repeated_combinations_are_averaged(tmp_path: Path) -> None:
    dataset = load_dataset(write_grid(tmp_path / "grid.csv", repeats=2), "yield")
    assert len(dataset.table) == 32
    assert dataset.table.lookup(BEST) == {"yield": pytest.approx(100.0)}


def test_a_combination_absent_from_the_table_is_refused(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "grid.csv")
    frame = pd.read_csv(path)
    frame = frame[~((frame.catalyst == "Pd_B") & (frame.solvent == "THF"))]
    frame.to_csv(path, index=False)
    dataset = load_dataset(path, "yield")
    assert len(dataset.table) == 28
    with pytest.raises(ConditionsNotInTableError, match="no experiment with catalyst='Pd_B'"):
        dataset.table.lookup(BEST)


def test_many_numeric_levels_make_a_range_and_minimize_flips_best(tmp_path: Path) -> None:
    path = tmp_path / "scatter.csv"
    pd.DataFrame(
        {"t_res_s": [60 + 17 * i for i in range(20)], "impurity": [abs(i - 7) for i in range(20)]}
    ).to_csv(path, index=False)
    dataset = load_dataset(path, "impurity", minimize=True, parameters=["t_res_s"])
    assert isinstance(dataset.parameters[0], FloatParameter)
    assert dataset.parameters[0].bounds == (60.0, 60.0 + 17 * 19)
    assert (dataset.best, dataset.worst) == (0.0, 12.0)


def test_columns_are_made_identifiers(tmp_path: Path) -> None:
    assert identifier("temperature (°C)") == "temperature_C"
    assert identifier("2nd base") == "p_2nd_base"
    path = tmp_path / "odd.csv"
    pd.DataFrame({"base eq": [1, 2, 1, 2], "y": [1.0, 2.0, 3.0, 4.0]}).to_csv(path, index=False)
    dataset = load_dataset(path, "y", parameters=["base eq"])
    assert dataset.columns == {"base_eq": "base eq"}


@pytest.mark.parametrize(
    ("objective", "params", "message"),
    [
        ("yeild", None, "no objective column(s) yeild; its columns: run_id, catalyst"),
        ("solvent", ["catalyst"], "outcome column 'solvent' of .* is not numeric: row 2 holds"),
        ("yield", ["catalyst", "pressure"], "no parameter column(s) pressure"),
        ("yield", ["yield"], "'yield' is the objective"),
        ("yield", ["catalyst", "catalyst"], "names catalyst more than once"),
    ],
)
def test_bad_input_names_the_problem(
    tmp_path: Path, objective: str, params: list[str] | None, message: str
) -> None:
    path = write_grid(tmp_path / "grid.csv")
    with pytest.raises(DatasetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_dataset(path, objective, parameters=params)


def test_missing_parameter_values_are_refused_with_their_lines(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "grid.csv")
    frame = pd.read_csv(path, keep_default_na=False, dtype=str)
    frame.loc[[3, 9], "temperature_C"] = ""
    frame.to_csv(path, index=False)
    with pytest.raises(
        DatasetError, match=r"'temperature_C' .* 2 missing value\(s\) \(file lines 5, 11\)"
    ):
        load_dataset(path, "yield", parameters=["catalyst", "temperature_C"])


def test_a_label_with_two_structures_is_refused(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "grid.csv")
    frame = pd.read_csv(path, keep_default_na=False)
    frame.loc[0, "catalyst_smiles"] = "[Pt]"
    frame.to_csv(path, index=False)
    with pytest.raises(DatasetError, match="label 'Pd_A' has several SMILES"):
        load_dataset(path, "yield")


def test_unreadable_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not found"):
        load_dataset(tmp_path / "nope.csv", "yield")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DatasetError, match="cannot read table"):
        load_dataset(empty, "yield")
