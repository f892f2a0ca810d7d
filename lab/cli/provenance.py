"""``dbtl provenance EXPERIMENT``: the whole chain of one experiment, for a reviewer."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from datastore import Datastore
from datastore.engine import DEFAULT_URL
from lab.services import exports as export_service
from lab.services import provenance as provenance_service
from lab.services.exports import Validate

console = Console()


def provenance(
    experiment: Annotated[int, typer.Argument(help="Experiment id.", show_default=False)],
    db: Annotated[
        str, typer.Option(envvar="DBTL_DB", help="SQLAlchemy URL of the datastore.")
    ] = DEFAULT_URL,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the chain as JSON (every stored link).")
    ] = False,
) -> None:
    """Show where one experiment's result came from and where it went.

    The model that proposed it (strategy, options, seed, software, training
    set size and hash, that cycle's model report), the proposal and its
    prediction, every decision (account, edits before → after, comment), the
    protocol's sha256 and steps, the device commands with idempotency keys and
    device identities, the raw instrument records, the outcomes, and the later
    cycles that trained on it.
    """
    chain = provenance_service.chain(Datastore(db), experiment)
    if as_json:
        typer.echo(json.dumps(chain, indent=2, default=str))
        return
    for table in render(chain):
        console.print(table)


def render(chain: dict[str, Any]) -> list[Table]:
    """The chain as tables, one per link."""
    tables = [_plan_table(chain), _decisions_table(chain)]
    for run in chain["runs"]:
        tables += [_run_table(run), _commands_table(run)]
    tables.append(_outcome_table(chain))
    return tables


def _pairs(title: str, rows: list[tuple[str, Any]]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in rows:
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        table.add_row(key, text)
    return table


def _plan_table(chain: dict[str, Any]) -> Table:
    e, plan, proposal = chain["experiment"], chain["plan"] or {}, chain["proposal"]
    report = plan.get("model_report", {})
    return _pairs(
        f"Experiment {e['id']} (#{e['number']} of {e['campaign']}, cycle {e['cycle']}): "
        f"{e['status']}",
        [
            ("strategy", f"{plan.get('strategy', '?')} (seed {plan.get('seed', '?')})"),
            ("options", plan.get("options", {})),
            ("software", plan.get("software", {})),
            (
                "training set",
                f"{plan.get('training_size', '?')} experiment(s), sha256 "
                f"{plan.get('training_sha256', '?')} (events ≤ {plan.get('training_event_id')})",
            ),
            ("model report", report),
            ("proposed", proposal["parameters"]),
            ("prediction", proposal["predicted"]),
        ],
    )


def _decisions_table(chain: dict[str, Any]) -> Table:
    table = Table(title="Decisions", title_justify="left")
    for column in ("when (UTC)", "decision", "account", "before → after", "comment"):
        table.add_column(column, overflow="fold")
    for d in chain["decisions"]:
        edit = f"{d['before']} → {d['after']}" if d["before"] is not None else ""
        note = d["comment"] or (", ".join(d["flags"]) if d["flags"] else "")
        table.add_row(d["at"][:19], d["decision"], d["account"], edit, note)
    return table


def _run_table(run: dict[str, Any]) -> Table:
    protocol = run["protocol"]
    steps = [f"{s['step']}. {s['kind']} {_step_text(s)}" for s in run["steps_of_well"]]
    files = [f"{f['file_name']} sha256 {f['sha256']}" for f in run["instrument_records"]]
    return _pairs(
        f"Run {run['run_key']}" + (f", well {run['well']}" if run["well"] else ""),
        [
            ("protocol", f"{protocol.get('name', '')} sha256 {protocol['sha256']}"),
            (
                "compiled",
                f"{protocol.get('compiled_name')} sha256 {protocol.get('compiled_sha256')}",
            ),
            ("steps", f"{len(steps)} of {protocol.get('step_count', '?')}:\n" + "\n".join(steps)),
            ("instrument records", "\n".join(files) or "none"),
        ],
    )


def _step_text(step: dict[str, Any]) -> str:
    shown = {k: v for k, v in step.items() if k not in ("step", "kind", "device")}
    return f"[{step.get('device', '')}] " + ", ".join(f"{k}={v}" for k, v in shown.items())


def _commands_table(run: dict[str, Any]) -> Table:
    table = Table(title="Device commands", title_justify="left")
    for column in ("device", "command", "idempotency key", "model", "firmware"):
        table.add_column(column, overflow="fold")
    for c in run["device_commands"]:
        table.add_row(
            c["device"], c["command"], c["idempotency_key"], c["device_model"], c["device_firmware"]
        )
    return table


def _outcome_table(chain: dict[str, Any]) -> Table:
    out = chain["outcomes"]
    values = ", ".join(f"{m['name']}={m['value']:g} {m['unit'] or ''}" for m in out["measurements"])
    later = ", ".join(str(c) for c in chain["trained_on_by"]) or "none yet"
    return _pairs(
        "Outcome",
        [
            ("status", f"{out['status']} by {out['recorded_by']} at {out['at']}"),
            ("measurements", values or "none"),
            ("trained on by cycles", later),
        ],
    )


def export_ord_command(
    store: Datastore, name: str, output: Path, validate: Validate = "sample"
) -> None:
    """``dbtl export NAME --format ord``: write and report the ORD dataset.

    The record creator's email (ORD requires one) is ``$DBTL_CONTACT_EMAIL``
    when set. ``validate`` is ``all``, ``sample`` or ``none``
    (:mod:`datastore.ord_builder`).
    """
    email = os.environ.get("DBTL_CONTACT_EMAIL") or None
    count = export_service.ord_dataset(store, name, output, validate, email)
    checked = {
        "all": "every record validated",
        "sample": "every distinct input, setup and conditions and a sample of records validated",
        "none": "not validated",
    }[validate]
    console.print(f"wrote {count} ORD reaction(s) of {name} to {output} ({checked})")
