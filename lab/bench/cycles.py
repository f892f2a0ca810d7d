"""Best-so-far per cycle, and each strategy's improvement over its first cycle.

For benchmarks run as ``--cycles C --batch B`` (a DBTL campaign of C
plates): the best objective after each cycle (median over seeds) and the
gain of the last cycle's best over the first cycle's, per seed, summarized as
median and mean, and as a ratio to random's gain when random ran.
"""

from __future__ import annotations

import pandas as pd
from rich.table import Table

from lab.bench.tables import Direction


def cycle_table(
    traces: pd.DataFrame, batch: int, cycles: int, direction: Direction
) -> pd.DataFrame:
    """One row per strategy: median best after each cycle, and the gain over cycle 1.

    Args:
        traces: ``strategy, seed, experiment, best_so_far`` rows (experiment numbered from 1).
        batch: Experiments per cycle.
        cycles: Cycles per campaign.
        direction: Whether a gain is an increase or a decrease.
    """
    sign = 1.0 if direction == "maximize" else -1.0
    rows = []
    for strategy, runs in traces.groupby("strategy", sort=False):
        per_seed = []
        for _, run in runs.groupby("seed"):
            ordered = run.sort_values("experiment")
            bests = [
                ordered.loc[ordered["experiment"] <= k * batch, "best_so_far"].dropna()
                for k in range(1, cycles + 1)
            ]
            per_seed.append([float(b.iloc[-1]) if len(b) else float("nan") for b in bests])
        frame = pd.DataFrame(per_seed, columns=[f"cycle_{k}" for k in range(1, cycles + 1)])
        gain = sign * (frame[f"cycle_{cycles}"] - frame["cycle_1"])
        row: dict[str, object] = {"strategy": strategy, "seeds": len(frame)}
        row |= {c: float(frame[c].median()) for c in frame.columns}
        row |= {"gain_median": float(gain.median()), "gain_mean": float(gain.mean())}
        rows.append(row)
    out = pd.DataFrame(rows)
    if "random" in set(out["strategy"]):
        base = float(out.loc[out["strategy"] == "random", "gain_mean"].iloc[0])
        out["gain_vs_random"] = out["gain_mean"] / base if base > 0 else float("nan")
    return out


def cycle_rich_table(table: pd.DataFrame, title: str) -> Table:
    """The per-cycle table for the console."""
    rich = Table(title=title)
    cycles = [c for c in table.columns if c.startswith("cycle_")]
    columns = ["strategy", "seeds", *cycles, "gain_median", "gain_mean"]
    if "gain_vs_random" in table.columns:
        columns.append("gain_vs_random")
    for column in columns:
        rich.add_column(
            column.replace("_", " "), justify="left" if column == "strategy" else "right"
        )
    for _, row in table.iterrows():
        cells = [str(row["strategy"]), str(int(row["seeds"]))]
        cells += [f"{row[c]:,.0f}" for c in columns[2:] if c != "gain_vs_random"]
        if "gain_vs_random" in table.columns:
            cells.append(f"{row['gain_vs_random']:.2f}×")
        rich.add_row(*cells)
    return rich
