"""The chemists' table of a benchmark: each figure over its exact random value (Rich, 100 columns).

Reads the columns :func:`lab.bench.outcomes.outcome_summary` writes (merged
into the benchmark summary); a figure the summary lacks is a dash.
"""

from __future__ import annotations

import math
import re

import pandas as pd
from rich.table import Table
from rich.text import Text

from lab.bench.report import MISSING, format_experiments, format_value, strategy_table

_MEAN = re.compile(r"^mean_at_(\d+)$")
_BY = re.compile(r"^p_(top[\d.]+pct)_by_(\d+)$")
_TOP = re.compile(r"^experiments_to_(top[\d.]+pct)_km_median$")


def _number(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def format_mean_se(mean: object, se: object) -> str:
    """``96.7 ± 0.8``; the mean alone for one seed; a dash if missing."""
    m, s = _number(mean), _number(se)
    if m is None:
        return MISSING
    return format_value(m) if s is None else f"{format_value(m)} ± {format_value(s)}"


def format_share(share: object) -> str:
    """A probability as a percentage, e.g. ``43 %``."""
    value = _number(share)
    return MISSING if value is None else f"{100 * value:.0f} %"


def format_time_to_hit(median: object, budget: int) -> str:
    """The Kaplan–Meier median experiments, or ``> budget`` when fewer than half hit."""
    value = _number(median)
    return f"> {budget}" if value is None else format_experiments(value)


def _cell(figure: str, random_figure: str) -> Text:
    cell = Text(figure)
    cell.append(f"\nrandom {random_figure}", style="dim")
    return cell


def outcome_table(summary: pd.DataFrame, *, title: str, budget: int) -> Table:
    """Per strategy: mean ± SE of best so far, odds of a top design, time to one; random below each.

    Columns: one per checkpoint (``mean ± SE`` over seeds, under it the exact
    random mean), one per "found a top-1 % design by n" (share of seeds, under
    it the exact random probability) and "to top 1 %" (Kaplan–Meier median
    experiments, campaigns that never found one censored at the budget; ``>
    budget`` when fewer than half found one), under it random's median.
    """
    checkpoints = sorted(int(m.group(1)) for c in summary.columns if (m := _MEAN.match(str(c))))
    odds = [(m.group(1), int(m.group(2))) for c in summary.columns if (m := _BY.match(str(c)))]
    top = next((m.group(1) for c in summary.columns if (m := _TOP.match(str(c)))), None)
    table = strategy_table(
        title, "mean ± SE over seeds; dim: the exact random-screen value (without replacement)"
    )
    for k in checkpoints:
        table.add_column(f"mean @{k}", justify="right")
    label = "" if top is None else top.removeprefix("top").removesuffix("pct")
    for _, n in odds:
        table.add_column(f"top {label} % by {n}", justify="right")
    if top is not None:
        table.add_column(f"to top {label} %", justify="right")
    for row in summary.to_dict("records"):
        cells: list[Text | str] = [str(row["strategy"])]
        for k in checkpoints:
            cells.append(
                _cell(
                    format_mean_se(row.get(f"mean_at_{k}"), row.get(f"se_at_{k}")),
                    format_value(row.get(f"random_mean_at_{k}")),
                )
            )
        for name, n in odds:
            cells.append(
                _cell(
                    format_share(row.get(f"p_{name}_by_{n}")),
                    format_share(row.get(f"random_p_{name}_by_{n}")),
                )
            )
        if top is not None:
            cells.append(
                _cell(
                    format_time_to_hit(row.get(f"experiments_to_{top}_km_median"), budget),
                    format_experiments(row.get(f"random_experiments_to_{top}_median")),
                )
            )
        table.add_row(*cells)
    return table
