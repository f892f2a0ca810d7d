"""Server-side plots of a campaign as inline SVG (matplotlib, Agg, no pyplot state).

Each function returns SVG text, or ``None`` when there is nothing to plot yet.
Figures are made with :class:`matplotlib.figure.Figure` directly, so requests
drawing at the same time share no global state.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from datastore.models import ModelSnapshot
from lab.review.views import best_so_far_by_cycle, completed_rows, pareto_rows
from planner import Objective

_LOCK = threading.Lock()  # the SVG backend's font cache is shared
_COLOR = "#2b6cb0"
RASTER_POINTS = 300
"""Above this many points a scatter is embedded as an image inside the SVG (small, fast)."""


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    with _LOCK:
        figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def best_so_far_svg(table: pd.DataFrame, objective: Objective) -> str | None:
    """Best-so-far (line) and each cycle's best (dots) against the cycle."""
    return progress_svg(best_so_far_by_cycle(table, objective), objective)


def progress_svg(frame: pd.DataFrame, objective: Objective) -> str | None:
    """Plot a :func:`~lab.review.views.best_so_far_by_cycle` frame (one row per cycle)."""
    if frame.empty:
        return None
    figure = Figure(figsize=(6.0, 3.0))
    ax = figure.subplots()
    ax.step(frame["cycle"], frame["best_so_far"], where="post", color=_COLOR, label="best so far")
    ax.plot(frame["cycle"], frame["cycle_best"], "o", color="#dd6b20", label="cycle best")
    ax.set_xlabel("cycle")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(objective.name)
    ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    return _svg(figure)


def parameters_svg(
    table: pd.DataFrame, parameters: Sequence[str], objective: Objective
) -> str | None:
    """One panel per parameter: the objective of every completed experiment against it."""
    rows = completed_rows(table, objective)
    names = [p for p in parameters if p in rows]
    if rows.empty or not names:
        return None
    columns = min(3, len(names))
    lines = math.ceil(len(names) / columns)
    figure = Figure(figsize=(3.0 * columns, 2.4 * lines))
    axes = figure.subplots(lines, columns, squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        x = rows[name]
        if not pd.api.types.is_numeric_dtype(x):
            x = _category_positions(ax, x.astype(str))
        ax.scatter(
            x,
            rows[objective.name].astype(float),
            s=14,
            color=_COLOR,
            alpha=0.8,
            rasterized=len(rows) > RASTER_POINTS,
        )
        ax.set_xlabel(name, fontsize="small")
        ax.set_ylabel(objective.name, fontsize="small")
        ax.tick_params(labelsize="x-small", labelrotation=0)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    figure.tight_layout()
    return _svg(figure)


def _category_positions(ax: Any, values: pd.Series) -> Any:
    """Categories as positions 0, 1, … with a small deterministic spread, labelled on the axis.

    Much faster than matplotlib's string axis for thousands of points.
    """
    import numpy as np

    codes, labels = pd.factorize(values, sort=True)
    spread = ((np.arange(len(codes)) * 0.618034) % 1.0 - 0.5) * 0.4
    ax.set_xticks(range(len(labels)), [str(label) for label in labels], rotation=30, ha="right")
    return codes + spread


def pareto_svg(table: pd.DataFrame, objectives: Sequence[Objective]) -> str | None:
    """The first two objectives of every completed experiment, the Pareto front highlighted."""
    if len(objectives) < 2:
        return None
    first, second = objectives[0], objectives[1]
    done = table[table["status"] == "completed"].dropna(subset=[first.name, second.name])
    if done.empty:
        return None
    front = pareto_rows(table, list(objectives)).sort_values(first.name)
    figure = Figure(figsize=(4.5, 3.5))
    ax = figure.subplots()
    ax.scatter(
        done[first.name],
        done[second.name],
        s=12,
        color="#a0aec0",
        label="experiments",
        rasterized=len(done) > RASTER_POINTS,
    )
    ax.plot(front[first.name], front[second.name], "o-", color="#c53030", label="Pareto front")
    ax.set_xlabel(f"{first.name} ({first.direction})")
    ax.set_ylabel(f"{second.name} ({second.direction})")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return _svg(figure)


def diagnostics_svg(
    snapshots: Sequence[ModelSnapshot], table: pd.DataFrame, objective: Objective
) -> str | None:
    """The surrogate per cycle: leave-one-out R² and 95 % interval coverage; and a parity plot.

    The parity panel puts each completed experiment's measured value against
    the mean ± sd the model predicted when it was proposed.
    """
    cycles, r2, coverage = [], [], []
    for snapshot in snapshots:
        cv: dict[str, Any] = (snapshot.diagnostics.get("cv") or {}).get(objective.name) or {}
        if cv:
            cycles.append(snapshot.cycle)
            r2.append(cv.get("r2"))
            coverage.append(cv.get("coverage_95"))
    parity = _parity(table, objective)
    if not cycles and parity is None:
        return None
    figure = Figure(figsize=(9.0, 3.0))
    left, right = figure.subplots(1, 2)
    if cycles:
        left.plot(cycles, [v if v is not None else math.nan for v in r2], "o-", label="LOO R²")
        left.plot(cycles, coverage, "s--", label="95 % coverage")
        left.axhline(0.95, color="#718096", lw=0.8, ls=":")
        left.set_xlabel("cycle")
        left.xaxis.set_major_locator(MaxNLocator(integer=True))
        left.set_ylim(min(0.0, *(v for v in r2 if v is not None)) if any(r2) else 0.0, 1.05)
        left.legend(fontsize="small")
    left.set_title("leave-one-out, per cycle", fontsize="small")
    if parity is not None:
        measured, mean, sd = parity
        right.errorbar(
            mean,
            measured,
            xerr=sd,
            fmt="o",
            ms=3,
            color=_COLOR,
            alpha=0.8,
            rasterized=len(mean) > RASTER_POINTS,
        )
        low, high = min(*measured, *mean), max(*measured, *mean)
        right.plot([low, high], [low, high], color="#718096", lw=0.8)
        right.set_xlabel(f"predicted {objective.name}")
        right.set_ylabel(f"measured {objective.name}")
    right.set_title("predicted at proposal vs measured", fontsize="small")
    figure.tight_layout()
    return _svg(figure)


def _parity(
    table: pd.DataFrame, objective: Objective
) -> tuple[list[float], list[float], list[float]] | None:
    mean_col, sd_col = f"{objective.name}_predicted_mean", f"{objective.name}_predicted_sd"
    rows = completed_rows(table, objective)
    if rows.empty or mean_col not in rows or sd_col not in rows:
        return None
    rows = rows.dropna(subset=[mean_col, sd_col])
    if rows.empty:
        return None
    return (
        rows[objective.name].astype(float).tolist(),
        rows[mean_col].astype(float).tolist(),
        rows[sd_col].astype(float).tolist(),
    )
