"""Small campaign fixtures shared by lab and end-to-end tests."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from datastore import Datastore
from datastore import repository as repo
from datastore.models import Event
from datastore.states import ExperimentStatus, check_transition
from lab.running.campaigns import LoadedCampaign, load_campaign
from lab.running.runner import with_spec
from lab.specs.campaign import StrategySpec


def small_campaign(
    examples: Path,
    *,
    name: str = "small",
    budget: int = 6,
    batch: int = 2,
    strategy: str = "random",
    seed: int = 1,
) -> LoadedCampaign:
    """The example SnAr campaign, shrunk and on a cheap strategy."""
    loaded = load_campaign(examples / "snar_flow.yaml")
    return with_spec(
        loaded,
        name=name,
        budget=budget,
        batch_size=batch,
        strategy=StrategySpec(name=strategy, seed=seed),
    )


def events_by_experiment(store: Datastore, campaign: str) -> dict[int, list[Event]]:
    """Transition events grouped by experiment number."""
    with store.session() as session:
        c = repo.get_campaign(session, campaign)
        numbers = {e.id: e.number for e in repo.list_experiments(session, c.id)}
        grouped: dict[int, list[Event]] = {}
        for event in repo.list_events(session, c.id):
            if event.experiment_id is not None and event.kind == "transition":
                grouped.setdefault(numbers[event.experiment_id], []).append(event)
        return grouped


def assert_valid_histories(store: Datastore, campaign: str) -> None:
    """Every experiment's events form a legal path from 'proposed' to its stored status."""
    with store.session() as session:
        c = repo.get_campaign(session, campaign)
        statuses = {e.number: e.status for e in repo.list_experiments(session, c.id)}
    for number, events in events_by_experiment(store, campaign).items():
        assert events[0].from_status is None and events[0].to_status == "proposed"
        for before, after in itertools.pairwise(events):
            assert after.from_status == before.to_status
            check_transition(ExperimentStatus(after.from_status), ExperimentStatus(after.to_status))
        assert events[-1].to_status == statuses[number]
        runs = sum(1 for e in events if e.to_status == "running")
        requeued = sum(1 for e in events if (e.from_status, e.to_status) == ("running", "queued"))
        assert runs - requeued <= 1, f"#{number} ran twice"  # requeued: nothing reached a device


SUZUKI_COLUMNS = {
    "electrophile": "reactant_1_smiles",
    "nucleophile": "reactant_2_smiles",
    "ligand": "ligand_smiles",
    "base": "base_smiles",
    "solvent": "solvent_smiles",
}
"""Parameter of the Suzuki example → column of the published table."""


def suzuki_campaign(
    examples: Path,
    *,
    name: str = "suzuki",
    budget: int = 8,
    batch: int = 4,
    noise_sd: float = 0.0,
    seed: int = 3,
) -> LoadedCampaign:
    """The Suzuki HTE example on a private copy of examples/ (its table is package data)."""
    lab = examples / "labs" / "ot2_suzuki.yaml"
    text = lab.read_text()
    assert "package:simulators/data/" in text and "noise_sd: 1.5" in text
    lab.write_text(text.replace("noise_sd: 1.5", f"noise_sd: {noise_sd}"))
    loaded = load_campaign(examples / "suzuki_hte.yaml")
    return with_spec(
        loaded,
        name=name,
        budget=budget,
        batch_size=batch,
        strategy=StrategySpec(name="sobol", seed=seed),
    )


def suzuki_truth(loaded: LoadedCampaign, design: dict) -> float:
    """The table's yield for a design, looked up from the campaign's SMILES (not the reader's)."""
    from simulators.yield_reader import TableYieldSettings

    spec = loaded.lab.device("reader").settings_as(TableYieldSettings).yield_table
    smiles = {p.name: p.choices for p in loaded.spec.parameters}  # molecule parameters
    conditions = {column: smiles[p][design[p]] for p, column in SUZUKI_COLUMNS.items()}
    return _table(spec).truth(conditions)


_TABLES: dict = {}


def _table(spec):
    from simulators.yield_table import YieldTable

    if spec.table not in _TABLES:
        _TABLES[spec.table] = YieldTable.load(spec)
    return _TABLES[spec.table]


def run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """Run ``dbtl ARGS`` in-process on a 200-column terminal; return exit code and output."""
    from lab.cli.main import main

    monkeypatch.setattr(sys, "argv", ["dbtl", *args])
    monkeypatch.setenv("COLUMNS", "200")
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def swap_factory(monkeypatch, kind: str, driver: str, factory) -> None:  # type: ignore[no-untyped-def]
    """Build ``kind`` devices of ``driver`` with ``factory(spec, settings, context)`` (one test)."""
    import dataclasses

    from lab.devices import catalog as driver_catalog

    entry = driver_catalog.find_driver(kind, driver)
    assert entry is not None
    replaced = dataclasses.replace(entry, factory=factory)
    monkeypatch.setitem(driver_catalog._ENTRIES, (kind, driver), replaced)
