"""The defaults protocol's report: its figures and their Markdown tables.

Built by :func:`benchmarks.planner_protocol.build_report` from the cache;
printed here, so that every table of ``docs/planner-protocol.md`` comes from
the cached campaigns alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.protocol_report import TableFacts


@dataclass(frozen=True)
class ProtocolReport:
    """Every figure of the protocol: per table and config, the scores and the held-out choice."""

    summaries: pd.DataFrame
    """:func:`benchmarks.protocol_report.table_summary` rows of every complete table."""
    scores: pd.DataFrame
    """Gap closed at the checkpoint, one row per table, one column per config."""
    choice: pd.DataFrame | None
    """:func:`benchmarks.protocol_report.leave_one_table_out` (None below two tables)."""
    facts: dict[str, TableFacts]
    peers: tuple[str, ...] = ()
    """Labels of peer planners among the configs (reported, never chosen)."""
    baseline: str = "default"
    """The configuration paired differences and the held-out comparison refer to."""


def _percent(share: Any) -> str:
    return f"{100 * float(share):.0f} %"


def _pm(mean: Any, se: Any) -> str:
    mean, se = float(mean), float(se)
    if np.isfinite(se) and se <= 1e-9 * max(1.0, abs(mean)):
        se = 0.0  # every seed found the same value: no spread, not rounding noise
    return f"{mean:.3g} ± {se:.2g}" if np.isfinite(se) else f"{mean:.3g}"


def markdown(report: ProtocolReport) -> str:
    """The protocol's tables as Markdown (for ``planner/PROTOCOL.md`` and the README)."""
    frame = report.summaries
    if frame.empty:
        return "(no complete table in the cache yet)\n"
    configs = list(report.scores.columns)
    lines = ["### Mean best so far at the checkpoint (± SE over seeds), next to exact random", ""]
    lines.append("| table (designs, budget, @k) | exact random | " + " | ".join(configs) + " |")
    lines.append("|---" * (len(configs) + 2) + "|")
    for name, facts in report.facts.items():
        rows = frame[frame["table"] == name].set_index("config")
        k = facts.checkpoint
        cells = [_pm(rows.loc[c, f"mean_at_{k}"], rows.loc[c, f"se_at_{k}"]) for c in configs]
        random = rows[f"random_mean_at_{k}"].iloc[0]
        seeds = int(rows["seeds"].iloc[0])
        label = f"{name} ({facts.values.size}, {facts.budget}, @{k}; {seeds} seeds)"
        lines.append(f"| {label} | {random:.3g} | " + " | ".join(cells) + " |")
    base = report.baseline
    others = [c for c in configs if c != base]
    lines += ["", f"### Paired difference from {base} at the checkpoint (± paired SE)", ""]
    lines.append("| table | " + " | ".join(others) + " |")
    lines.append("|---" * len(configs) + "|")
    for name in report.facts:
        rows = frame[frame["table"] == name].set_index("config")
        cells = [_pm(rows.loc[c, "delta_vs_default"], rows.loc[c, "delta_se"]) for c in others]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "### Gap closed (0 = exact random, 1 = the table's best every time)", ""]
    lines.append("| table | " + " | ".join(configs) + " |")
    lines.append("|---" * (len(configs) + 1) + "|")
    for held, scores in report.scores.iterrows():
        lines.append(f"| {held} | " + " | ".join(f"{v:.3f}" for v in scores) + " |")
    means = report.scores.mean(axis=0)
    lines.append("| **mean** | " + " | ".join(f"**{v:.3f}**" for v in means) + " |")
    at_budget = frame.pivot(index="table", columns="config", values="gap_closed_at_budget")
    at_budget = at_budget.loc[list(report.facts), configs]
    lines += ["", "### Gap closed at the budget (30, or 15 on the small tables)", ""]
    lines.append("| table | " + " | ".join(configs) + " |")
    lines.append("|---" * (len(configs) + 1) + "|")
    for held, scores in at_budget.iterrows():
        lines.append(f"| {held} | " + " | ".join(f"{v:.3f}" for v in scores) + " |")
    means = at_budget.mean(axis=0)
    lines.append("| **mean** | " + " | ".join(f"**{v:.3f}**" for v in means) + " |")
    if report.choice is not None:
        lines += ["", "### Leave one table out", ""]
        lines.append(
            f"| held-out table | chosen on the others | its gap closed | {base}'s | best here |"
        )
        lines.append("|---|---|---|---|---|")
        for row in report.choice.itertuples(index=False):
            lines.append(
                f"| {row.held_out} | {row.chosen} | {row.chosen_score:.3f} | "
                f"{row.default_score:.3f} | {row.best_config_on_table} |"
            )
        choice = report.choice
        peers = list(report.peers)
        wins = int((choice["chosen_score"] > choice["default_score"]).sum())
        lines += [
            "",
            f"Held out, the configuration chosen on the other tables closed "
            f"{choice['chosen_score'].mean():.3f} of the gap on average against {base}'s "
            f"{choice['default_score'].mean():.3f}, and beat {base} on {wins} of "
            f"{len(choice)} tables. Highest mean gap closed over all tables: "
            f"**{report.scores.drop(columns=peers, errors='ignore').mean(axis=0).idxmax()}**.",
        ]
    lines += [
        "",
        "### Median best so far below the exact random expectation, after the first batch",
        "",
        "Experiments k (after the first batch) at which the median over seeds of best so far "
        "is worse than the exact random expectation at k.",
        "",
    ]
    lines.append("| table | " + " | ".join(configs) + " |")
    lines.append("|---" * (len(configs) + 1) + "|")
    for name in report.facts:
        rows = frame[frame["table"] == name].set_index("config")
        cells = [str(rows.loc[c, "median_below_random_at"]) for c in configs]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "### Top-1 % designs and planner time", ""]
    lines.append(
        "| table | config | found top 1 % by 20 / budget (random) | "
        "median experiments to it, KM (random) | s/batch |"
    )
    lines.append("|---|---|---|---|---|")
    for record in frame.to_dict("records"):
        facts = report.facts[str(record["table"])]
        by = sorted({min(20, facts.budget), facts.budget})
        odds = " / ".join(
            f"{_percent(record[f'p_top1pct_by_{n}'])} "
            f"({_percent(record[f'random_p_top1pct_by_{n}'])})"
            for n in by
        )
        km = record["experiments_to_top1pct_km_median"]
        km_text = f"> {facts.budget}" if not np.isfinite(km) else f"{km:.0f}"
        lines.append(
            f"| {record['table']} | {record['config']} | {odds} | {km_text} "
            f"({record['random_experiments_to_top1pct_median']:.0f}) | "
            f"{record['median_suggest_seconds']:.2f} |"
        )
    return "\n".join(lines) + "\n"
