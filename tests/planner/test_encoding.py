"""Designs as features: blocks, molecular encodings, bad values."""

import numpy as np
import pandas as pd
import pytest

from planner import (
    CategoricalParameter,
    FloatParameter,
    IntParameter,
    MoleculeParameter,
    OrdinalParameter,
    PlannerError,
    SearchSpace,
)
from planner.encoding import Encoder, reduce_descriptors

BASES = {"none": "", "NaOH": "[Na+].[OH-]", "Et3N": "CCN(CC)CC", "DBU": "C1CCC2=NCCCN2CC1"}


def space(encoding: str) -> SearchSpace:
    return SearchSpace(
        parameters=(
            FloatParameter(name="t", bounds=(1, 100), log_scale=True),
            IntParameter(name="n", bounds=(0, 4)),
            OrdinalParameter(name="level", levels=("low", "mid", "high")),
            CategoricalParameter(name="s", choices=("a", "b", "c")),
            MoleculeParameter(name="base", choices=BASES, encoding=encoding),
        )
    )


def test_ranges_ordinals_and_one_hot_blocks() -> None:
    encoder = Encoder(space("onehot"))
    assert [(b.name, b.kind, b.stop - b.start) for b in encoder.blocks] == [
        ("t", "numeric", 1),
        ("n", "numeric", 1),
        ("level", "numeric", 1),
        ("s", "onehot", 3),
        ("base", "onehot", 4),
    ]
    row = encoder.encode([{"t": 10.0, "n": 1, "level": "high", "s": "b", "base": "Et3N"}])[0]
    np.testing.assert_allclose(row, [0.5, 0.25, 1.0, 0, 1, 0, 0, 0, 1, 0])


def test_descriptors_are_reduced_to_unit_range_components() -> None:
    encoder = Encoder(space("descriptors"))
    block = encoder.blocks[-1]
    assert block.kind == "descriptors"
    table = encoder.block_table("base")
    assert table.shape[0] == 4 and 1 <= table.shape[1] <= 3
    assert table.min() == pytest.approx(0.0) and table.max() == pytest.approx(1.0)
    assert len({tuple(r) for r in np.round(table, 9)}) == 4  # the molecules stay distinct


def test_morgan_keeps_only_bits_some_molecule_sets() -> None:
    encoder = Encoder(space("morgan"))
    table = encoder.block_table("base")
    assert encoder.blocks[-1].kind == "fingerprint"
    assert set(np.unique(table)) <= {0.0, 1.0}
    assert table.any(axis=0).all()
    assert not table[0].any()  # "nothing added" has no bits


def test_reduce_descriptors_drops_undefined_and_constant_columns() -> None:
    matrix = np.array([[1.0, 5.0, np.nan], [2.0, 5.0, 1.0], [4.0, 5.0, 2.0]])
    reduced = reduce_descriptors(matrix)
    assert reduced.shape == (3, 1)
    np.testing.assert_allclose(reduced[:, 0], [0.0, 1 / 3, 1.0])


def test_task_block_and_frame_encoding() -> None:
    encoder = Encoder(space("onehot"), tasks=("", "other"))
    frame = pd.DataFrame([{"t": 1.0, "n": 0, "level": "low", "s": "a", "base": "none"}] * 2)
    rows = encoder.encode_frame(frame, ["", "other"])
    np.testing.assert_allclose(rows[:, -2:], [[1, 0], [0, 1]])


def test_values_outside_the_space_are_named() -> None:
    encoder = Encoder(space("onehot"))
    with pytest.raises(PlannerError, match="s='z' is not a value of s"):
        encoder.encode([{"t": 1.0, "n": 0, "level": "low", "s": "z", "base": "none"}])
