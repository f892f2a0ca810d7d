"""The benchmark summary as a Rich table for the terminal (fits 100 columns).

Reads the columns :func:`lab.bench.summary.summarize` writes, whatever
checkpoints and thresholds it was given; the row of
:func:`lab.bench.summary.exact_random_row` goes last, set apart.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import pandas as pd
from rich import box
from rich.table import Table
from rich.text import Text

from lab.bench.summary import checkpoint_columns

MISSING = "—"
"""Shown for a figure that does not exist (beyond the budget, or too few seeds reached it)."""

_CHECKPOINT = re.compile(r"^median_at_(\d+)$")
_THRESHOLD = re.compile(r"^experiments_to_(.+)pct_median$")


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_value(value: object) -> str:
    """An objective value, to a precision that suits its size; a dash if missing."""
    if _missing(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    if abs(number) >= 1000:
        return f"{number:,.0f}"
    if abs(number) >= 1:
        return f"{number:.1f}"
    return f"{number:.3g}"


def format_iqr(q25: object, q75: object) -> str:
    """The interquartile range, e.g. ``[94.1–98.0]``; empty if both quartiles are missing."""
    if _missing(q25) and _missing(q75):
        return ""
    return f"[{format_value(q25)}–{format_value(q75)}]"


def format_reached(reached: object, seeds: object) -> str:
    """How many seeds reached a target, e.g. ``(18/20)``."""
    if _missing(reached):
        return ""
    return f"({int(reached)}/{int(seeds)})"  # type: ignore[call-overload]


def format_experiments(median: object) -> str:
    """Median number of experiments to a target, e.g. ``12`` or ``12.5``; a dash if missing."""
    if _missing(median):
        return MISSING
    number = float(median)  # type: ignore[arg-type]
    return f"{number:.0f}" if number.is_integer() else f"{number:.1f}"


def format_seconds(seconds: object) -> str:
    """Planner time per suggest call, e.g. ``0.45 s`` or ``3.2 ms``."""
    if _missing(seconds):
        return ""
    value = float(seconds)  # type: ignore[arg-type]
    if value < 0.01:
        return f"{1000 * value:.1f} ms"
    if value < 10:
        return f"{value:.2f} s"
    return f"{value:.1f} s"


def _two_lines(figure: str, detail: str) -> Text:
    """A cell: the figure, and under it the detail, dimmed."""
    cell = Text(figure)
    if detail:
        cell.append("\n")
        cell.append(detail, style="dim")
    return cell


def _checkpoints(summary: pd.DataFrame) -> list[int]:
    found = (_CHECKPOINT.match(str(column)) for column in summary.columns)
    return sorted(int(match.group(1)) for match in found if match)


def _thresholds(summary: pd.DataFrame) -> list[str]:
    """Threshold labels in column order, e.g. ['95', '99']."""
    found = (_THRESHOLD.match(str(column)) for column in summary.columns)
    return [match.group(1) for match in found if match]


def _caption(with_thresholds: bool) -> str:
    caption = "after n: best so far after n experiments, median [IQR] over seeds"
    if with_thresholds:
        caption += "; to X %: median experiments to reach X % of the table's range (seeds that did)"
    return caption


def strategy_table(title: str, caption: str) -> Table:
    """An empty compact table of one row per strategy (its first column), for a terminal."""
    table = Table(
        title=title,
        caption=caption,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("strategy", max_width=13)
    return table


def summary_table(
    summary: pd.DataFrame, *, title: str, random_row: Mapping[str, object] | None
) -> Table:
    """Render the per-strategy summary (and the exact random expectation) as a Rich table.

    Each cell is two lines, so that four checkpoints and two thresholds fit a
    100-column terminal: the strategy over its number of seeds; per checkpoint
    the median best-so-far over seeds over its interquartile range
    (``96.3`` / ``[94.1–98.0]``); per threshold the median number of
    experiments to reach it over how many seeds did (``12`` / ``(18/20)``);
    last the median planner time per suggest call (``0.45 s``). A dash marks a
    figure that does not exist: a checkpoint beyond the strategy's budget, a
    median that fewer than half the seeds reached, or a quartile that falls on
    a seed with no success yet.
    """
    checkpoints = _checkpoints(summary)
    thresholds = _thresholds(summary)
    table = strategy_table(title, _caption(bool(thresholds)))
    for k in checkpoints:
        table.add_column(f"after {k}", justify="right")
    for label in thresholds:
        table.add_column(f"to {label} %", justify="right")
    table.add_column("suggest", justify="right")

    for index, row in enumerate(summary.to_dict("records")):
        seeds = row["seeds"]
        cells = [_two_lines(str(row["strategy"]), f"{seeds} seeds")]
        for k in checkpoints:
            median, q25, q75 = (row[c] for c in checkpoint_columns(k))
            cells.append(_two_lines(format_value(median), format_iqr(q25, q75)))
        for label in thresholds:
            median = row[f"experiments_to_{label}pct_median"]
            reached = row[f"reached_{label}pct"]
            cells.append(_two_lines(format_experiments(median), format_reached(reached, seeds)))
        cells.append(Text(format_seconds(row.get("median_suggest_seconds"))))
        last = index == len(summary) - 1
        table.add_row(*cells, end_section=last and random_row is not None)
    if random_row is not None:
        cells = [Text(str(random_row.get("strategy", "random")))]
        cells += [Text(format_value(random_row.get(checkpoint_columns(k)[0]))) for k in checkpoints]
        cells += [Text("")] * (len(thresholds) + 1)
        table.add_row(*cells, style="italic")
    return table


def criterion_table(stats: pd.DataFrame, title: str) -> Table:
    """Per strategy: seeds that met a criterion, median and mean ± sd experiments to it.

    ``stats`` is :func:`lab.bench.driver.criterion_summary`'s frame.
    """
    table = Table(title=title)
    for column in ("strategy", "reached", "median experiments", "mean ± sd (seeds that did)"):
        table.add_column(column, justify="left" if column == "strategy" else "right")
    median, mean, sd = (
        next(c for c in stats.columns if c.endswith(suffix))
        for suffix in ("_median", "_mean", "_sd")
    )
    reached = next(c for c in stats.columns if c.startswith("reached_"))
    for row in stats.to_dict(orient="records"):
        spread = "—" if _missing(row[mean]) else f"{row[mean]:.1f} ± {row[sd]:.1f}"
        table.add_row(
            str(row["strategy"]),
            f"{int(row[reached])}/{int(row['seeds'])}",
            format_experiments(row[median]),
            spread,
        )
    return table
