"""``dbtl model``: what a campaign's model predicts for the candidates it has not measured."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from datastore import Datastore
from datastore.engine import DEFAULT_URL
from lab.services.models import CandidateReport, candidate_predictions

model_app = typer.Typer(
    help="What a campaign's model predicts, and how well.", no_args_is_help=True
)
console = Console()


@model_app.command("report")
def report(
    campaign: Annotated[str, typer.Argument(help="Campaign name.", show_default=False)],
    threshold: Annotated[
        float,
        typer.Option(
            "--threshold", help="A candidate is 'reactive' at or above this objective value."
        ),
    ],
    db: Annotated[str, typer.Option("--db", envvar="DBTL_DB", help="Database URL.")] = DEFAULT_URL,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="CSV of every unmeasured candidate's prediction."),
    ] = None,
) -> None:
    """Fit the campaign's model on its results and predict every unmeasured candidate.

    On a campaign that replays a table, the predictions are scored against the
    table: accuracy and ROC AUC of 'reactive' (objective >= --threshold) and R².
    """
    store = Datastore.for_reading(db)
    found = candidate_predictions(store, campaign, threshold)
    console.print(summary_table(found))
    if output is not None:
        found.predictions.to_csv(output, index=False)
        console.print(f"wrote {len(found.predictions)} prediction(s) to {output}")


def summary_table(found: CandidateReport) -> Table:
    """The report as a key/value table."""
    table = Table(
        show_header=False,
        title=f"Model of {found.campaign}: {found.objective} >= {found.threshold:g} is reactive",
    )
    table.add_column(style="bold")
    table.add_column(justify="right")
    unmeasured = len(found.predictions)
    share = found.predicted_reactive / unmeasured if unmeasured else 0.0
    options = found.options
    rows = [
        ("fitted on", f"{found.measured} result(s)"),
        ("model", f"prior {options.prior}, warp {'on' if options.warp else 'off'}"),
        ("molecule encoding", encoding_text(found.encoding)),
        ("unmeasured candidates", f"{unmeasured:,}"),
        ("predicted reactive", f"{found.predicted_reactive:,} ({share:.0%})"),
    ]
    scores = found.scores
    if scores is not None:
        baseline = max(scores.reactive_share, 1 - scores.reactive_share)
        rows += [
            ("truly reactive", f"{scores.reactive_share:.0%} of {scores.count:,}"),
            ("accuracy", f"{scores.accuracy:.3f} (always guessing the majority: {baseline:.3f})"),
            ("ROC AUC", f"{scores.roc_auc:.3f}"),
            ("R² of the values", f"{scores.r2:.3f}"),
        ]
    else:
        rows.append(("scored", "no: the true values of the candidates are not known"))
    for key, value in rows:
        table.add_row(key, value)
    return table


def encoding_text(encoding: dict[str, Any]) -> str:
    """The molecule encoding the model used, with the reason (and LOO scores when compared)."""
    text = f"{encoding['molecules']} ({encoding['reason']})"
    scores = encoding.get("loo_log_density")
    if scores:
        text += "; LOO log density " + ", ".join(f"{k} {v:.3f}" for k, v in scores.items())
    return text
