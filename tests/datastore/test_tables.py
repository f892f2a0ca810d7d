"""Exports of experiments, events and model reports (CSV, Parquet), and `dbtl import`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import select
from typer.testing import CliRunner

from datastore import Datastore
from datastore import repository as repo
from datastore.models import Event, Experiment
from lab.cli.main import app
from tests.datastore.conftest import SuzukiRun

ROWS = (
    "electrophile,nucleophile,ligand,base,solvent,yield_pct,notes\n"
    "chloroquinoline,boronic_acid,XPhos,CsF,MeOH,50.5,first\n"
    "iodoquinoline,pinacol_boronate,SPhos,KOH,THF,,no reading\n"
)


def _dbtl(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))  # a user error is raised (main prints it)
    return result.exit_code, result.output + (str(result.exception) if result.exception else "")


def _created(examples: Path, tmp_path: Path) -> tuple[Datastore, str]:
    url = f"sqlite:///{tmp_path / 'import.db'}"
    code, text = _dbtl("campaign", "create", str(examples / "suzuki_hte.yaml"), "--db", url)
    assert code == 0, text
    return Datastore(url), url


def _experiments(store: Datastore) -> list[Experiment]:
    with store.session() as session:
        return list(session.exec(select(Experiment).order_by(Experiment.number)))


def test_import_stores_rows_as_cycle_zero_results(examples: Path, tmp_path: Path) -> None:
    store, url = _created(examples, tmp_path)
    prior = tmp_path / "prior.csv"
    prior.write_text(ROWS)
    code, text = _dbtl("import", str(prior), "--campaign", "suzuki-hte-demo", "--db", url)
    assert code == 0, text
    first, second = _experiments(store)
    assert (first.status, first.cycle, first.parameters["ligand"]) == ("completed", 0, "XPhos")
    assert second.status == "failed"  # no objective value: a failed result, never a zero
    with store.session() as session:
        values = repo.campaign_measurements(session, first.campaign_id)
        events = list(session.exec(select(Event).where(Event.kind == "imported")))
    assert values == {first.id: {"yield_pct": 50.5}}
    assert [e.payload["row"] for e in events] == [1, 2]
    assert all(e.payload["source_sha256"] and e.actor == "import" for e in events)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("XPhos", "NoSuchLigand"), "row 1 (line 2), column 'ligand'"),
        (("50.5", "lots"), "row 1 (line 2), column 'yield_pct': 'lots' is not a number"),
        (("SPhos,KOH,THF", "SPhos,KOH,"), "row 2 (line 3), column 'solvent': empty"),
        (("electrophile,", "halide,"), "no column for electrophile"),
    ],
)
def test_import_refuses_a_row_that_does_not_fit_and_stores_nothing(
    examples: Path, tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    store, url = _created(examples, tmp_path)
    prior = tmp_path / "bad.csv"
    prior.write_text(ROWS.replace(*edit, 1))
    code, text = _dbtl("import", str(prior), "--campaign", "suzuki-hte-demo", "--db", url)
    assert code != 0 and message in " ".join(text.split())
    assert _experiments(store) == []


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_tables_export_every_row(suzuki_run: SuzukiRun, tmp_path: Path, fmt: str) -> None:
    url = str(suzuki_run.store.url)
    frames = {}
    for table in ("experiments", "events", "model-reports"):
        out = tmp_path / f"{table}.{fmt}"
        code, text = _dbtl(
            "export-table", "suzuki-prov", table, "-f", fmt, "-o", str(out), "--db", url
        )
        assert code == 0, text
        frames[table] = pd.read_csv(out) if fmt == "csv" else pd.read_parquet(out)
    with suzuki_run.store.session() as session:
        campaign = repo.get_campaign(session, "suzuki-prov")
        events = repo.list_events(session, campaign.id or 0)
        snapshots = repo.list_snapshots(session, campaign.id or 0)
        stored = repo.list_experiments(session, campaign.id or 0)
    assert list(frames["events"]["id"]) == [e.id for e in events]
    assert list(frames["model-reports"]["cycle"]) == [s.cycle for s in snapshots]
    assert frames["model-reports"]["training_sha256"].notna().all()
    experiments = frames["experiments"]
    assert list(experiments["id"]) == [e.id for e in stored]
    assert {"cycle", "status", "ligand", "yield_pct", "yield_pct_predicted_mean", "error"} <= set(
        experiments.columns
    )


def test_export_of_an_empty_campaign_writes_the_header(examples: Path, tmp_path: Path) -> None:
    _, url = _created(examples, tmp_path)
    out = tmp_path / "none.parquet"
    code, text = _dbtl("export", "suzuki-hte-demo", "-f", "parquet", "-o", str(out), "--db", url)
    assert code == 0, text
    assert "yield_pct" in pd.read_parquet(out).columns
