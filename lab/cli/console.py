"""Rich rendering: a progress bar per cycle while running, readable tables afterwards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from datastore.models import Experiment
from lab.review.views import CampaignView, best_row, pareto_rows
from planner import Objective, Proposal


def fmt(value: object) -> str:
    """Format a cell: numbers to 4 significant digits, missing as a dash."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


class RichReporter:
    """Shows one progress bar per cycle: planning, then each experiment."""

    def __init__(self, console: Console, objectives: Sequence[Objective]) -> None:
        self.console = console
        self.objectives = list(objectives)
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.best: float | None = None

    def recovered(self, numbers: Sequence[int]) -> None:
        """Say which interrupted experiments need a person."""
        self.console.print(
            f"[yellow]resumed after a crash: experiment(s) {', '.join(map(str, numbers))} were "
            "running and are flagged needs_attention (not re-run)[/yellow]"
        )

    def planning(self, cycle: int, n: int) -> None:
        """Start the cycle's bar."""
        self._close()
        self.progress = Progress(
            TextColumn(f"cycle {cycle:>3}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self.progress.start()
        self.task = self.progress.add_task("planning…", total=n)

    def planned(self, cycle: int, proposal: Proposal, seconds: float) -> None:
        """Note how long the planner took."""
        if self.progress is not None and self.task is not None:
            self.progress.update(
                self.task,
                description=f"planned in {seconds:.1f} s "
                f"({proposal.report.diagnostics.get('generator', proposal.report.strategy)})",
            )

    def experiment_started(self, experiment: Experiment) -> None:
        """Nothing to show until it finishes."""

    def experiment_finished(
        self, experiment: Experiment, values: Mapping[str, float], error: str | None
    ) -> None:
        """Advance the bar and show the best value so far."""
        if self.progress is None or self.task is None:
            return
        objective = self.objectives[0]
        value = values.get(objective.name)
        if value is not None and (self.best is None or objective.better(value, self.best)):
            self.best = value
        note = (
            f"[red]#{experiment.number} failed[/red]"
            if error
            else f"best {objective.name} {fmt(self.best)}"
        )
        self.progress.update(self.task, advance=1, description=note)

    def waiting(self, reason: str) -> None:
        """Say what the campaign waits for."""
        self._close()
        self.console.print(f"[cyan]waiting:[/cyan] {reason}")

    def alert(self, message: str) -> None:
        """Shout something an operator must act on."""
        self.console.print(f"[bold red]ALERT:[/bold red] {message}")

    def close(self) -> None:
        """Stop the last bar."""
        self._close()

    def _close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


class LineReporter:
    """One line per event, prefixed with the campaign: for orchestrators serving many."""

    def __init__(self, console: Console, campaign: str) -> None:
        self.console = console
        self.prefix = f"[bold cyan]{campaign}[/bold cyan]"

    def _say(self, text: str) -> None:
        self.console.print(f"{self.prefix} {text}", highlight=False)

    def recovered(self, numbers: Sequence[int]) -> None:
        """Report experiments flagged after a crash."""
        self._say(
            f"[yellow]after a crash: #{', #'.join(map(str, numbers))} need attention[/yellow]"
        )

    def planning(self, cycle: int, n: int) -> None:
        """Report planning."""
        self._say(f"cycle {cycle}: planning {n} experiment(s)")

    def planned(self, cycle: int, proposal: Proposal, seconds: float) -> None:
        """Report the planner's time."""
        self._say(f"cycle {cycle}: proposed {len(proposal.suggestions)} in {seconds:.1f} s")

    def experiment_started(self, experiment: Experiment) -> None:
        """Report a start."""
        self._say(f"#{experiment.number} running")

    def experiment_finished(
        self, experiment: Experiment, values: Mapping[str, float], error: str | None
    ) -> None:
        """Report an outcome."""
        shown = ", ".join(f"{k}={fmt(v)}" for k, v in list(values.items())[:3])
        self._say(
            f"#{experiment.number} [red]failed[/red]: {error}"
            if error
            else f"#{experiment.number} completed: {shown}"
        )

    def waiting(self, reason: str) -> None:
        """Report a wait."""
        self._say(f"waiting: {reason}")

    def alert(self, message: str) -> None:
        """Report an alert."""
        self._say(f"[bold red]ALERT:[/bold red] {message}")


def summary_tables(view: CampaignView, last_cycles: int | None = None) -> list[Table]:
    """The tables ``dbtl run`` ends with and ``dbtl show`` starts with.

    Args:
        view: The campaign.
        last_cycles: Show only the last cycles of the progress table (all when ``None``).
    """
    objectives = view.objectives
    if not objectives:
        return []
    tables = [best_table(view, objectives)]
    tables.append(progress_table(view, objectives[0], last_cycles))
    return tables


def best_table(view: CampaignView, objectives: list[Objective]) -> Table:
    """Best conditions (one objective) or the Pareto front (several)."""
    columns = ["#", *view.parameter_names, *(o.name for o in objectives)]
    if len(objectives) == 1:
        best = best_row(view.table, objectives[0])
        rows = [] if best is None else [best]
        title = f"Best conditions ({objectives[0].direction} {objectives[0].name})"
    else:
        front = pareto_rows(view.table, objectives)
        rows = [r for _, r in front.iterrows()]
        title = f"Pareto front ({len(rows)} experiments)"
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(fmt(int(row["number"])), *(fmt(row[c]) for c in columns[1:]))
    return table


def progress_table(
    view: CampaignView, objective: Objective, last_cycles: int | None = None
) -> Table:
    """Per cycle: completed experiments, the cycle's best and the best so far.

    With ``last_cycles``, only the last that many cycles (the title says of how many).
    """
    progress = view.best_so_far(objective)
    title = f"Best-so-far per cycle ({objective.name})"
    if last_cycles is not None and len(progress) > last_cycles:
        title += f" (last {last_cycles:,} of {len(progress):,} cycles)"
        progress = progress.tail(last_cycles)
    table = Table(title=title)
    for column in ("cycle", "completed", "cycle best", "best so far", "planner", "fit R²"):
        table.add_column(column, justify="right")
    snapshots = {s.cycle: s for s in view.snapshots}
    for _, row in progress.iterrows():
        snapshot = snapshots.get(int(row["cycle"]))
        generator = snapshot.diagnostics.get("generator", snapshot.strategy) if snapshot else "–"
        cv = (snapshot.diagnostics.get("cv") or {}).get(objective.name, {}) if snapshot else {}
        table.add_row(
            fmt(int(row["cycle"])),
            fmt(int(row["completed"])),
            fmt(row["cycle_best"]),
            fmt(row["best_so_far"]),
            str(generator),
            fmt(cv.get("r2")),
        )
    return table


def experiments_table(view: CampaignView, limit: int | None = None) -> Table:
    """Every experiment (or the last ``limit``) with its predictions and outcomes."""
    objectives = view.objectives
    title = f"Experiments of {view.campaign.name}"
    if limit is not None and view.counts is not None:
        total = sum(view.counts.values())
        title += f" (last {min(limit, total):,} of {total:,})" if total > limit else ""
    table = Table(title=title)
    columns = ["#", "cycle", "status", *view.parameter_names]
    for column in columns:
        table.add_column(column, justify="right")
    for o in objectives:
        table.add_column(o.name, justify="right")
        table.add_column("predicted", justify="right", style="dim")
    frame = view.table if limit is None else view.table.tail(limit)
    for _, row in frame.iterrows():
        cells = [
            fmt(int(row["number"])),
            fmt(int(row["cycle"])),
            _status(row),
            *(fmt(row[c]) for c in view.parameter_names),
        ]
        for o in objectives:
            mean, sd = row.get(f"{o.name}_predicted_mean"), row.get(f"{o.name}_predicted_sd")
            cells += [
                fmt(row.get(o.name)),
                "–" if mean is None or pd.isna(mean) else f"{mean:.4g} ± {sd:.2g}",
            ]
        table.add_row(*cells)
    return table


def _status(row: pd.Series) -> str:
    colors = {
        "completed": "green",
        "failed": "red",
        "needs_attention": "yellow",
        "rejected": "magenta",
    }
    status = str(row["status"])
    return f"[{colors[status]}]{status}[/{colors[status]}]" if status in colors else status


def event_details(kind: str, payload: Mapping[str, object]) -> str:
    """A readable summary of one event's payload (edits as before → after)."""
    if kind == "edited":
        before = payload.get("before") or {}
        after = payload.get("after") or {}
        assert isinstance(before, dict) and isinstance(after, dict)
        changes = [
            f"{k}: {fmt(before.get(k))} → {fmt(v)}" for k, v in after.items() if before.get(k) != v
        ]
        comment = f" ({payload['comment']})" if payload.get("comment") else ""
        return "; ".join(changes) + comment
    parts = []
    for key, value in payload.items():
        if key == "parameters" or value in (None, {}, []):
            continue
        if key == "error" and value == payload.get("reason"):
            continue
        if key.endswith("sha256") and isinstance(value, str):
            value = value[:12]
        if isinstance(value, dict):
            value = ", ".join(f"{k}={fmt(v)}" for k, v in list(value.items())[:4])
        elif isinstance(value, list):
            value = "; ".join(map(str, value))
        parts.append(f"{key}: {fmt(value)}")
    return "; ".join(parts)


def events_table(view: CampaignView) -> Table:
    """The audit trail: who did what, when, with edits shown as before → after."""
    table = Table(title=f"Audit trail of {view.campaign.name}")
    for column in ("time (UTC)", "#", "event", "from → to", "by"):
        table.add_column(column, no_wrap=column == "time (UTC)")
    table.add_column("details", overflow="fold")
    numbers = (
        dict(zip(view.table["id"], view.table["number"], strict=True)) if len(view.table) else {}
    )
    for e in view.events:
        moved = f"{e.from_status or ''} → {e.to_status}" if e.to_status else ""
        table.add_row(
            f"{e.created_at:%Y-%m-%d %H:%M:%S}",
            fmt(numbers.get(e.experiment_id)),
            e.kind,
            moved,
            e.actor,
            event_details(e.kind, e.payload),
        )
    return table
