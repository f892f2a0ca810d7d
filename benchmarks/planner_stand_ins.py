"""Campaigns that are the same by construction, so the protocol plays them once.

The surrogate option ``molecules`` only changes how *molecule* parameters are
encoded (and, with ``auto``, only when the space has one). On a development
table without molecule parameters, a configuration that differs from another
only in ``molecules`` plays exactly the same campaigns: the same designs
proposed, the same values measured (the test suite checks this on real
campaigns). The protocol then does not run it there, and the report uses the
other configuration's cached campaigns under its label, saying so.

Likewise ``initial: auto`` is ``initial: maximin`` on a candidate set of
more than :data:`planner.initial.SMALL_CANDIDATE_SET` designs: there a
configuration with ``initial: maximin`` is not run when the same one with
``initial: auto`` is, and is reported from its campaigns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import pandas as pd

from planner import MoleculeParameter, Problem
from planner.initial import SMALL_CANDIDATE_SET

ENCODING_ONLY = ("molecules",)
"""Options that only matter for spaces with molecule parameters."""


class _Config(Protocol):
    @property
    def label(self) -> str: ...
    @property
    def options(self) -> Mapping[str, Any]: ...
    @property
    def strategy(self) -> str: ...


def has_molecules(problem: Problem) -> bool:
    """Whether the problem's space has a molecule parameter."""
    return any(isinstance(p, MoleculeParameter) for p in problem.space.parameters)


def stand_in(
    config: _Config, configs: Sequence[_Config], molecules: bool, n_candidates: int = 0
) -> str | None:
    """The label of the configuration whose campaigns ``config``'s are, or ``None``.

    Args:
        config: The configuration to play.
        configs: Every configuration (the stand-in is one of them).
        molecules: Whether the table has molecule parameters (then the
            ``molecules`` option matters).
        n_candidates: The table's number of candidates (above the small-set
            size, ``initial: maximin`` plays the campaigns of ``initial: auto``).
    """
    if not molecules and any(k in config.options for k in ENCODING_ONLY):
        base = {k: v for k, v in config.options.items() if k not in ENCODING_ONLY}
        return _same(config, configs, base)
    if n_candidates > SMALL_CANDIDATE_SET and config.options.get("initial") == "maximin":
        return _same(config, configs, {**config.options, "initial": "auto"})
    return None


def _same(config: _Config, configs: Sequence[_Config], base: Mapping[str, Any]) -> str | None:
    """The first other configuration of ``config``'s strategy whose options are ``base``."""
    for other in configs:
        same_strategy = other.strategy == config.strategy and other.label != config.label
        if same_strategy and dict(other.options) == base:
            return other.label
    return None


def with_stand_ins(cache: pd.DataFrame, stand_ins: Mapping[tuple[str, str], str]) -> pd.DataFrame:
    """The cache plus, per (table, config) of ``stand_ins``, the stand-in's rows under its label.

    Only seeds the configuration has no campaign of its own for are filled in
    (a configuration run anyway is reported from its own campaigns).
    """
    extra = []
    for (table, label), other in stand_ins.items():
        here = cache["table"] == table
        own = set(cache.loc[here & (cache["config"] == label), "seed"].astype(int))
        rows = cache[here & (cache["config"] == other)]
        rows = rows[~rows["seed"].astype(int).isin(own)]
        extra.append(rows.assign(config=label))
    return pd.concat([cache, *extra], ignore_index=True) if extra else cache
