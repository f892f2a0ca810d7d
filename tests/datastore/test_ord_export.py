"""ORD export of the Suzuki HTE demo: validates with ord_schema, round-trips; a campaign without
molecules exports too."""

from __future__ import annotations

from pathlib import Path

import pytest
from ord_schema import validations
from ord_schema.proto import reaction_pb2
from sqlmodel import select
from typer.testing import CliRunner

from datastore import Datastore, DatastoreError
from datastore import repository as repo
from datastore.ord_export import reaction_yields, read_dataset
from datastore.provenance_models import ProtocolRecord, RunExperiment
from lab.cli.main import app
from lab.export.ord import export_ord
from lab.running.campaigns import load_campaign
from lab.running.runner import run_campaign
from tests.datastore.conftest import CHEMIST, SuzukiRun

pytestmark = pytest.mark.slow


def _stored(run: SuzukiRun) -> dict[str, dict[str, float]]:
    with run.store.session() as session:
        campaign = repo.get_campaign(session, "suzuki-prov")
        done = repo.list_experiments(session, campaign.id or 0, [repo.ExperimentStatus.COMPLETED])
        values = repo.campaign_measurements(session, campaign.id or 0)
    return {f"suzuki-prov#{e.number}": values[e.id or 0] for e in done}


def _zero_errors(dataset: object) -> None:
    options = validations.ValidationOptions(validate_ids=True)
    output = validations.validate_message(dataset, raise_on_error=False, options=options)
    assert output.errors == []


@pytest.mark.parametrize("suffix", [".pb", ".pb.gz", ".pbtxt", ".json"])
def test_export_validates_and_round_trips(
    suzuki_run: SuzukiRun, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"hte{suffix}"
    count = export_ord(suzuki_run.store, "suzuki-prov", path)
    dataset = read_dataset(path)
    _zero_errors(dataset)
    stored = _stored(suzuki_run)
    assert count == len(dataset.reactions) == len(stored) > 0
    exported = reaction_yields(dataset)  # same reactions, same yields (ORD floats are 32-bit)
    assert exported.keys() == stored.keys()
    for key, values in stored.items():
        assert exported[key] == {n: pytest.approx(v, rel=1e-6) for n, v in values.items()}


def test_records_carry_inputs_setup_and_provenance(suzuki_run: SuzukiRun, tmp_path: Path) -> None:
    path = tmp_path / "hte.pb"
    export_ord(suzuki_run.store, "suzuki-prov", path)
    by_id = {r.identifiers[0].value: r for r in read_dataset(path).reactions}
    with suzuki_run.store.session() as session:
        edited = repo.get_experiment(session, suzuki_run.edited)
        link = session.exec(
            select(RunExperiment).where(RunExperiment.experiment_id == suzuki_run.edited)
        ).one()
        protocol = session.get(ProtocolRecord, link.protocol_sha256)
    reaction = by_id[f"suzuki-prov#{edited.number}"]
    smiles = {
        p.name: dict(p.choices)
        for p in suzuki_run.loaded.spec.parameters  # type: ignore[attr-defined]
    }
    for name, label in edited.parameters.items():
        (component,) = reaction.inputs[name].components
        values = {i.value for i in component.identifiers}
        assert smiles[name][label] in values
        assert component.amount.WhichOneof("kind") in ("moles", "volume")
    assert reaction.inputs["ligand"].components[0].identifiers[0].value == smiles["ligand"]["XPhos"]
    assert reaction.inputs["electrophile"].components[0].is_limiting
    limiting = reaction.inputs["electrophile"].components[0].amount.moles
    assert limiting.units == reaction_pb2.Moles.MICROMOLE and limiting.value == pytest.approx(7.5)
    assert reaction.setup.is_automated and "ot2" in reaction.setup.automation_platform
    assert protocol is not None
    assert reaction.setup.automation_code["protocol"].string_value == protocol.compiled
    assert reaction.provenance.experimenter.username == CHEMIST
    assert reaction.provenance.experiment_start.value
    assert "dbtl" in reaction.provenance.record_created.details
    (outcome,) = reaction.outcomes
    assert "reader" in outcome.analyses
    yields = [m for m in outcome.products[0].measurements if m.type == m.YIELD]
    assert yields and yields[0].analysis_key == "reader"


def test_cli_exports_ord(suzuki_run: SuzukiRun, tmp_path: Path) -> None:
    path = tmp_path / "hte.pbtxt"
    url = str(suzuki_run.store.url)
    result = CliRunner().invoke(
        app, ["export", "suzuki-prov", "--db", url, "--format", "ord", "-o", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert "ORD reaction(s)" in result.output and path.exists()


def test_unknown_suffix_is_refused_and_nothing_written(
    suzuki_run: SuzukiRun, tmp_path: Path
) -> None:
    with pytest.raises(DatastoreError, match=r"name it \.pb"):
        export_ord(suzuki_run.store, "suzuki-prov", tmp_path / "hte.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_campaign_without_molecules_still_exports(examples: Path, tmp_path: Path) -> None:
    store = Datastore(f"sqlite:///{tmp_path / 'snar.db'}")
    run_campaign(store, load_campaign(examples / "snar_flow.yaml", 2))
    path = tmp_path / "snar.pb"
    assert export_ord(store, "snar-flow-demo", path) == 2
    dataset = read_dataset(path)
    _zero_errors(dataset)
    reaction = dataset.reactions[0]
    assert reaction.conditions.temperature.setpoint.units == reaction_pb2.Temperature.CELSIUS
    assert reaction.conditions.flow.type == reaction_pb2.FlowConditions.PLUG_FLOW_REACTOR
    assert reaction.outcomes[0].reaction_time.units == reaction_pb2.Time.MINUTE
    assert reaction.outcomes[0].analyses["hplc"].type == reaction_pb2.Analysis.LC
    store.dispose()


def test_the_record_walk_finds_what_ord_schema_finds(suzuki_run: SuzukiRun, tmp_path: Path) -> None:
    from datastore.ord_export import validation_errors

    path = tmp_path / "hte.pb"
    export_ord(suzuki_run.store, "suzuki-prov", path)
    reaction = read_dataset(path).reactions[0]
    reaction.inputs["base"].components[0].ClearField("amount")  # each input needs an amount
    reaction.inputs["base"].components[0].identifiers[0].value = "C1CC"  # unparsable SMILES
    reaction.ClearField("provenance")
    theirs = validations.validate_message(reaction, raise_on_error=False).errors
    cache: dict[bytes, list[str]] = {}
    mine = validation_errors(reaction, cache)
    assert len(theirs) >= 2
    assert sorted(e.split(": ", 1)[1] for e in mine) == sorted(e.split(": ", 1)[1] for e in theirs)
    assert validation_errors(reaction, cache) == mine  # cached compounds give the same answer
