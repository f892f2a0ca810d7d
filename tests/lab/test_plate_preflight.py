"""A plate that fails to compile is refused whole before anything is marked running."""

from __future__ import annotations

from pathlib import Path

from datastore import Datastore
from datastore import repository as repo
from datastore.states import ExperimentStatus as S
from lab.running.learn import budget_used
from lab.running.runner import run_campaign
from protocols import plate_compile
from protocols.errors import ProtocolError
from simulators.opentrons_sim import OpentronsSimulateBackend
from tests.lab.helpers import assert_valid_histories, suzuki_campaign


def test_a_compile_error_refuses_the_plate_before_running_and_charges_nothing(
    store: Datastore, examples: Path, monkeypatch
) -> None:
    robot_runs: list[str] = []

    def broken_compiler(protocol, deck, device):  # type: ignore[no-untyped-def]
        raise ProtocolError(f"cannot render {protocol.name} for {device}: trash slot taken")

    monkeypatch.setattr(plate_compile, "compile_opentrons", broken_compiler)
    monkeypatch.setattr(
        OpentronsSimulateBackend, "run", lambda self, program, key, t: robot_runs.append(key)
    )
    loaded = suzuki_campaign(examples, budget=8, batch=4)
    result = run_campaign(store, loaded, wait=False)
    assert not result.finished and "cycles' proposals were all rejected" in result.reason
    assert robot_runs == []  # no robot was ever asked to run
    with store.session() as session:
        campaign = repo.get_campaign(session, "suzuki")
        experiments = repo.list_experiments(session, campaign.id)
        events = repo.list_events(session, campaign.id)
        assert budget_used(session, campaign.id) == 0
    assert experiments and all(e.status == S.ABANDONED for e in experiments)
    first = experiments[0]
    assert first.error == (
        "refused before running: plate of #1: cannot render suzuki-plate-1 for ot2: "
        "trash slot taken"
    )
    assert not [e for e in events if e.to_status == "running"]
    assert_valid_histories(store, "suzuki")
