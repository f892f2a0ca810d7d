"""The best-so-far plot of a benchmark: median and IQR band per strategy, and the random baseline.

Drawn on a :class:`matplotlib.figure.Figure` of its own (no pyplot, no global
state), written as PNG by the Agg renderer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from lab.bench.summary import RANDOM_LABEL, Direction, seed_curves, seed_quantiles

FIGURE_SIZE_INCHES = (8.0, 5.0)
DOTS_PER_INCH = 120


def plot_best_so_far(
    traces: pd.DataFrame,
    path: Path,
    *,
    title: str,
    direction: Direction,
    objective_label: str,
    random_curve: np.ndarray | None = None,
    reference_best: float | None = None,
) -> Path:
    """Plot best-so-far against experiment number for every strategy; write a PNG; return path.

    Each strategy gets its median over seeds as a line ending in a dot at its
    budget, and the 25th–75th percentile band shaded (see
    :func:`lab.bench.summary.seed_quantiles`; the curves are cut to the
    strategy's shortest campaign). ``random_curve`` (the exact expectation of
    random sampling from the table, experiment 1 first) is drawn dashed black,
    cut to the longest strategy's budget; ``reference_best`` (the table's
    best) as a dotted horizontal line.
    """
    curves = seed_curves(traces, direction)
    figure = Figure(figsize=FIGURE_SIZE_INCHES, dpi=DOTS_PER_INCH, layout="constrained")
    axes = figure.add_subplot()
    longest = max(matrix.shape[1] for matrix in curves.values())
    for strategy, matrix in curves.items():
        q25, median, q75 = seed_quantiles(matrix, (0.25, 0.5, 0.75), direction)
        experiments = np.arange(1, matrix.shape[1] + 1)
        (line,) = axes.plot(
            experiments, median, linewidth=2, label=f"{strategy} ({matrix.shape[0]} seeds)"
        )
        axes.fill_between(experiments, q25, q75, color=line.get_color(), alpha=0.2, linewidth=0)
        # the budget's end, and visible even where the median is defined at one point only
        axes.plot(experiments[-1:], median[-1:], marker="o", color=line.get_color(), clip_on=False)
    if random_curve is not None:
        expected = np.asarray(random_curve, dtype=float)[:longest]
        axes.plot(
            np.arange(1, expected.size + 1),
            expected,
            color="black",
            linestyle="--",
            linewidth=1.5,
            label=RANDOM_LABEL,
        )
    if reference_best is not None:
        axes.axhline(
            reference_best,
            color="grey",
            linestyle=":",
            linewidth=1.5,
            label=f"table best ({reference_best:g})",
        )
    axes.set_title(title)
    axes.set_xlabel("experiment number")
    better = "higher" if direction == "maximize" else "lower"
    axes.set_ylabel(f"best {objective_label} so far ({better} is better)")
    axes.set_xlim(1, max(longest, 2))
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(True, alpha=0.3)
    axes.legend(title="median over seeds, IQR shaded", loc="best", fontsize="small")
    figure.savefig(path, dpi=DOTS_PER_INCH)
    return path
