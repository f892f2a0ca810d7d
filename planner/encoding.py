"""Designs as model features: every parameter becomes a block of columns.

- float and int ranges: one column scaled to [0, 1] (on a log scale if asked);
- ordinal levels: one column, the level's rank scaled to [0, 1];
- categorical choices: one-hot columns;
- molecules, by the parameter's ``encoding`` (or the encoder's override for
  every molecule parameter): one-hot; RDKit 2D descriptors, cleaned,
  standardized and decorrelated onto a few principal components; both at
  once (``combined``: a one-hot part and a descriptor part, which the kernel
  mixes, so unseen levels borrow strength from similar molecules while each
  level can still differ on its own); or Morgan fingerprint bits (modelled
  with a Tanimoto kernel).

An optional ``task`` block (one-hot) marks which campaign an observation
comes from, so a model can learn how related campaigns are (transfer).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from planner.chemistry import descriptor_matrix, morgan_matrix
from planner.errors import PlannerError
from planner.parameters import (
    CategoricalParameter,
    FloatParameter,
    IntParameter,
    MoleculeParameter,
    OrdinalParameter,
    Parameter,
    choices_of,
)
from planner.space import SearchSpace

BlockKind = Literal["numeric", "onehot", "descriptors", "fingerprint", "combined"]
MoleculeEncoding = Literal["onehot", "descriptors", "morgan", "combined"]
Matrix = npt.NDArray[np.float64]

DESCRIPTOR_VARIANCE = 0.95
"""Share of the descriptors' variance the kept principal components explain."""
MAX_DESCRIPTOR_COMPONENTS = 5
"""At most this many principal components per molecule parameter (each gets a lengthscale)."""

TASK_BLOCK = "task"


@dataclass(frozen=True)
class Block:
    """The columns of one parameter (or of the task) in the feature matrix."""

    name: str
    kind: BlockKind
    start: int
    stop: int
    diameter: float = 1.0
    """Largest distance between two of the block's values (1 for a range scaled to [0, 1])."""
    parts: tuple[Block, ...] = ()
    """A ``combined`` block's one-hot and descriptor parts (their own columns and diameters)."""

    @property
    def columns(self) -> list[int]:
        """Column numbers of the block."""
        return list(range(self.start, self.stop))


class Encoder:
    """Turns designs of a space (and optionally a task label) into feature rows."""

    def __init__(
        self,
        space: SearchSpace,
        tasks: Sequence[str] = (),
        molecules: MoleculeEncoding | None = None,
    ) -> None:
        """Prepare the per-parameter encodings.

        Args:
            space: The search space.
            tasks: Task labels, the current campaign's first; when there are two or
                more, a one-hot ``task`` block is appended.
            molecules: Encoding of every molecule parameter, overriding each
                parameter's own ``encoding`` (``None``: as each declares).

        Raises:
            PlannerError: A molecule cannot be featurized (naming parameter and SMILES).
        """
        self.space = space
        self.tasks = tuple(tasks)
        self.molecules = molecules
        self.notes: dict[str, str] = {}
        """Per parameter, why it is encoded other than asked (e.g. one-hot fallback)."""
        self._tables: dict[str, tuple[dict[Any, int], Matrix]] = {}
        self._parts: dict[str, int] = {}
        blocks: list[Block] = []
        start = 0
        for parameter in space.parameters:
            kind, width = self._prepare(parameter)
            blocks.append(self._block(parameter.name, kind, start, width))
            start += width
        if len(self.tasks) > 1:
            self._tables[TASK_BLOCK] = _one_hot(self.tasks)
            width = len(self.tasks)
            blocks.append(Block(TASK_BLOCK, "onehot", start, start + width, math.sqrt(2.0)))
            start += len(self.tasks)
        self.blocks = tuple(blocks)
        self.width = start

    def encode(self, designs: Sequence[Mapping[str, Any]], task: str | None = None) -> Matrix:
        """Feature rows of ``designs`` (all of task ``task``, the current one by default)."""
        frame = pd.DataFrame(list(designs), columns=self.space.names)
        return self.encode_frame(frame, [task or self._target] * len(frame))

    def encode_frame(self, frame: pd.DataFrame, tasks: Sequence[str] | None = None) -> Matrix:
        """Feature rows of a table whose columns are the parameters.

        Args:
            frame: One design per row.
            tasks: Each row's task label (only used when the encoder has a task block).

        Raises:
            PlannerError: A value the space does not allow, or an unknown task.
        """
        out = np.empty((len(frame), self.width), dtype=np.float64)
        for block in self.blocks:
            if block.name == TASK_BLOCK:
                values: Sequence[Any] = list(tasks or [self._target] * len(frame))
            else:
                values = frame[block.name].tolist()
            out[:, block.start : block.stop] = self._encode_block(block.name, values)
        return out

    def block_table(self, name: str) -> Matrix:
        """Feature rows of every value of a choice block (one per choice, in order).

        Raises:
            KeyError: ``name`` is a numeric range (it has no table).
        """
        return self._tables[name][1]

    @property
    def _target(self) -> str:
        return self.tasks[0] if self.tasks else ""

    def encoding_of(self, parameter: MoleculeParameter) -> MoleculeEncoding:
        """The encoding used for a molecule parameter (the override, else its own)."""
        return self.molecules or parameter.encoding

    def _block(self, name: str, kind: BlockKind, start: int, width: int) -> Block:
        table = self._tables.get(name)
        if kind != "combined" or table is None:
            return Block(name, kind, start, start + width, _diameter(table))
        split = self._parts[name]
        rows = table[1]
        onehot = Block(name, "onehot", start, start + split, _diameter((table[0], rows[:, :split])))
        described = (table[0], rows[:, split:])
        descriptors = Block(name, "descriptors", start + split, start + width, _diameter(described))
        return Block(name, kind, start, start + width, _diameter(table), (onehot, descriptors))

    def _prepare(self, parameter: Parameter) -> tuple[BlockKind, int]:
        if isinstance(parameter, FloatParameter | IntParameter):
            return "numeric", 1
        if isinstance(parameter, OrdinalParameter):
            levels = choices_of(parameter)
            ranks = np.linspace(0.0, 1.0, len(levels))[:, None]
            self._tables[parameter.name] = ({v: i for i, v in enumerate(levels)}, ranks)
            return "numeric", 1
        if isinstance(parameter, MoleculeParameter) and self.encoding_of(parameter) != "onehot":
            return self._prepare_molecule(parameter)
        assert isinstance(parameter, CategoricalParameter | MoleculeParameter)
        if isinstance(parameter, CategoricalParameter) and self.molecules not in (None, "onehot"):
            self.notes[parameter.name] = "one-hot: a categorical parameter has no SMILES"
        self._tables[parameter.name] = _one_hot(choices_of(parameter))
        return "onehot", len(choices_of(parameter))

    def _prepare_molecule(self, parameter: MoleculeParameter) -> tuple[BlockKind, int]:
        encoding = self.encoding_of(parameter)
        index = {v: i for i, v in enumerate(parameter.choices)}
        kind, table = _molecule_table(
            parameter, "descriptors" if encoding == "combined" else encoding
        )
        if kind == "onehot":
            self.notes[parameter.name] = f"one-hot: its molecules do not differ by {encoding}"
        elif encoding == "combined":
            self._parts[parameter.name] = len(index)
            table = np.hstack([np.eye(len(index)), table])
            kind = "combined"
        self._tables[parameter.name] = (index, table)
        return kind, table.shape[1]

    def _encode_block(self, name: str, values: Sequence[Any]) -> Matrix:
        if name in self._tables:
            index, table = self._tables[name]
            try:
                rows = np.fromiter((index[v] for v in values), dtype=np.intp, count=len(values))
            except KeyError as exc:
                raise PlannerError(f"{name}={exc.args[0]!r} is not a value of {name}") from None
            return table[rows]
        parameter = self.space.parameter(name)
        assert isinstance(parameter, FloatParameter | IntParameter)
        return _scaled(parameter, np.asarray(values, dtype=np.float64))[:, None]


def _diameter(table: tuple[dict[Any, int], Matrix] | None) -> float:
    """Largest distance between two rows of a block's table (1 without a table or spread)."""
    if table is None or len(table[1]) < 2:
        return 1.0
    rows = table[1]
    squared = ((rows[:, None, :] - rows[None, :, :]) ** 2).sum(-1)
    widest = float(np.sqrt(squared.max()))
    return widest if widest > 0 else 1.0


def _one_hot(values: Sequence[Any]) -> tuple[dict[Any, int], Matrix]:
    return {v: i for i, v in enumerate(values)}, np.eye(len(values))


def _scaled(parameter: FloatParameter | IntParameter, values: Matrix) -> Matrix:
    low, high = float(parameter.lower), float(parameter.upper)
    if parameter.log_scale:
        return (np.log(values) - math.log(low)) / (math.log(high) - math.log(low))
    return (values - low) / (high - low)


def _molecule_table(
    parameter: MoleculeParameter, encoding: MoleculeEncoding
) -> tuple[BlockKind, Matrix]:
    smiles = tuple(parameter.choices.values())
    try:
        if encoding == "descriptors":
            table = descriptor_table(smiles)
            kind: BlockKind = "descriptors"
        else:
            table = occupied_bits(morgan_matrix(smiles))
            kind = "fingerprint"
    except ValueError as exc:
        raise PlannerError(f"parameter {parameter.name!r}: {exc}") from None
    if table.shape[1] == 0:  # the molecules are indistinguishable by this encoding
        return "onehot", np.eye(len(smiles))
    return kind, table


@lru_cache(maxsize=256)
def descriptor_table(smiles: tuple[str, ...]) -> Matrix:
    """Reduced RDKit 2D descriptors of a parameter's molecules (cached per set of SMILES).

    Fitted on the parameter's levels alone (all of them are known up front), so
    the same molecules always get the same features whatever was measured.

    Raises:
        ValueError: A SMILES does not parse.
    """
    table = reduce_descriptors(descriptor_matrix(smiles))
    table.setflags(write=False)
    return table


def reduce_descriptors(
    matrix: Matrix,
    variance: float = DESCRIPTOR_VARIANCE,
    max_components: int = MAX_DESCRIPTOR_COMPONENTS,
) -> Matrix:
    """Decorrelate and reduce a molecules × descriptors matrix.

    Descriptors that are undefined for any molecule or constant are dropped,
    the rest standardized and rotated onto their principal components
    (uncorrelated over the molecules); the fewest leading components
    explaining ``variance`` of the total, at most ``max_components``, are
    kept, each scaled to [0, 1] (so an outlier such as "nothing added" on the
    first component does not squeeze the other molecules together).

    Returns:
        A molecules × components matrix (no columns if nothing varies).
    """
    usable = matrix[:, np.all(np.isfinite(matrix), axis=0)]
    spread = usable.std(axis=0)
    usable = usable[:, spread > 1e-12 * np.maximum(1.0, np.abs(usable).max(axis=0))]
    if usable.shape[1] == 0 or usable.shape[0] < 2:
        return np.empty((matrix.shape[0], 0))
    z = (usable - usable.mean(axis=0)) / usable.std(axis=0)
    u, s, _ = np.linalg.svd(z, full_matrices=False)
    explained = np.cumsum(s**2) / np.sum(s**2)
    keep = min(int(np.searchsorted(explained, variance - 1e-12) + 1), max_components)
    keep = min(keep, int(np.sum(s > 1e-9 * s[0])))
    scores = u[:, :keep] * s[:keep]
    low, width = scores.min(axis=0), np.ptp(scores, axis=0)
    return (scores - low) / np.where(width > 0, width, 1.0)


def occupied_bits(bits: Matrix) -> Matrix:
    """Keep the fingerprint bits set in at least one molecule (others carry no information)."""
    return bits[:, bits.any(axis=0)]
