"""Issue-2 benchmarks: the loop's own overhead, and BO against random on the SnAr simulator."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from benchmarks.registry import benchmark
from datastore import Datastore
from datastore import repository as repo
from lab.review.views import load_view
from lab.running.campaigns import LoadedCampaign, load_campaign
from lab.running.runner import run_campaign, with_spec
from lab.specs.campaign import StrategySpec

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "snar_flow.yaml"


def _fresh_store(folder: str, name: str) -> Datastore:
    return Datastore(f"sqlite:///{Path(folder) / name}.db")


def overhead_ms_per_experiment(loaded: LoadedCampaign, folder: str) -> tuple[float, float]:
    """Run a random-strategy campaign; return (ms per experiment without planner, total s)."""
    store = _fresh_store(folder, loaded.spec.name)
    started = time.perf_counter()
    run_campaign(store, loaded)
    total_s = time.perf_counter() - started
    with store.session() as session:
        campaign = repo.get_campaign(session, loaded.spec.name)
        planner_s = sum(s.suggest_seconds for s in repo.list_snapshots(session, campaign.id or 0))
    store.dispose()
    return 1000.0 * (total_s - planner_s) / loaded.spec.budget, total_s


@benchmark("loop-overhead")
def loop_overhead(console: Console) -> None:
    """Time per experiment, excluding the planner, at 100 and 2000 experiments."""
    base = load_campaign(EXAMPLE)
    table = Table(title="Loop overhead (random strategy, simulated SnAr lab, SQLite, batch 10)")
    for column in ("experiments", "total s", "ms / experiment (excl. planner)", "vs 100"):
        table.add_column(column, justify="right")
    reference = None
    with tempfile.TemporaryDirectory() as folder:
        for budget in (100, 2000):
            loaded = with_spec(
                base,
                name=f"overhead-{budget}",
                budget=budget,
                batch_size=10,
                strategy=StrategySpec(name="random", seed=1),
            )
            ms, total = overhead_ms_per_experiment(loaded, folder)
            reference = reference or ms
            table.add_row(str(budget), f"{total:.1f}", f"{ms:.2f}", f"{ms / reference:.2f}×")
    console.print(table)
    console.print(
        "target: under 20 ms per experiment, flat (ratio ≈ 1) in the number of experiments"
    )


def best_so_far_curve(store: Datastore, name: str, budget: int) -> np.ndarray:
    """Best STY after each experiment (by experiment number)."""
    with store.session() as session:
        view = load_view(session, name)
    objective = view.objectives[0]
    values = np.full(budget, np.nan)
    for _, row in view.table.iterrows():
        if row["status"] == "completed" and int(row["number"]) <= budget:
            values[int(row["number"]) - 1] = float(row[objective.name])
    return np.fmax.accumulate(np.nan_to_num(values, nan=-np.inf))


@benchmark("snar-bo-vs-random")
def snar_bo_vs_random(console: Console, seeds: int = 5, budget: int = 30, batch: int = 3) -> None:
    """Median best-so-far STY of BO and random over 5 seeds, budget 30, batch 3."""
    base = load_campaign(EXAMPLE)
    curves: dict[str, list[np.ndarray]] = {"bo": [], "random": []}
    with tempfile.TemporaryDirectory() as folder:
        for strategy in curves:
            for seed in range(seeds):
                name = f"snar-{strategy}-{seed}"
                loaded = with_spec(
                    base,
                    name=name,
                    budget=budget,
                    batch_size=batch,
                    strategy=StrategySpec(name=strategy, seed=seed),
                )
                store = _fresh_store(folder, name)
                run_campaign(store, loaded)
                curves[strategy].append(best_so_far_curve(store, name, budget))
                store.dispose()
    medians = {k: np.median(np.vstack(v), axis=0) for k, v in curves.items()}
    table = Table(
        title=f"SnAr STY (kg m⁻³ h⁻¹), median best-so-far of {seeds} seeds, batch {batch}"
    )
    for column in ("experiments", "bo", "random", "bo − random"):
        table.add_column(column, justify="right")
    for n in range(batch, budget + 1, batch):
        bo, rnd = medians["bo"][n - 1], medians["random"][n - 1]
        table.add_row(str(n), f"{bo:,.0f}", f"{rnd:,.0f}", f"{bo - rnd:+,.0f}")
    console.print(table)
    initial = 6  # the BO strategy's Sobol initial design for 4 parameters, rounded up to batches
    after = range(initial + 1, budget + 1)
    ahead = all(medians["bo"][n - 1] > medians["random"][n - 1] for n in after)
    console.print(
        f"BO median above random at every count after the initial design "
        f"({initial}): {'yes' if ahead else 'NO'}"
    )
