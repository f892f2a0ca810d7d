"""Pathway campaigns through the campaign path: end to end, refusals, bad input, bad exports."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from datastore import Datastore
from datastore import repository as repo
from lab.running.campaigns import load_campaign
from lab.running.runner import run_campaign
from lab.specs.yamlio import SpecError
from simulators.pathway import biofoundry
from simulators.pathway.library import BSAI_SITE
from tests.lab.helpers import assert_valid_histories
from tests.lab.test_cli import dbtl

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAME = "pathway-dbtl-demo"


def write_example(folder: Path, budget: int, batch: int, **replace: str) -> Path:
    """The pathway example in ``folder``, with budget, batch and text replacements."""
    shutil.copytree(EXAMPLES / "parts", folder / "parts")
    shutil.copytree(EXAMPLES / "labs", folder / "labs")
    text = (EXAMPLES / "pathway_dbtl.yaml").read_text()
    text = text.replace("budget: 288", f"budget: {budget}")
    text = text.replace("batch_size: 96", f"batch_size: {batch}")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path = folder / "pathway.yaml"
    path.write_text(text)
    return path


def edit_parts(folder: Path, part: str, **columns: str) -> None:
    """Change columns of one part in both copies' parts file."""
    path = folder / "parts" / "carotenoid_parts.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    for row in rows:
        if row["id"] == part:
            row.update(columns)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue())


def stored(store: Datastore):
    with store.session() as session:
        campaign = repo.get_campaign(session, NAME)
        experiments = repo.list_experiments(session, campaign.id)
        values = repo.campaign_measurements(session, campaign.id)
    return experiments, values


@pytest.mark.slow
def test_a_pathway_campaign_builds_grows_and_learns_plate_by_plate(tmp_path: Path) -> None:
    loaded = load_campaign(write_example(tmp_path, budget=16, batch=8))
    store = Datastore(f"sqlite:///{tmp_path / 'p.db'}")
    result = run_campaign(store, loaded)
    assert result.finished and result.experiments_run == 16
    assert_valid_histories(store, NAME)
    experiments, values = stored(store)
    assert len(experiments) == 16 and {e.status for e in experiments} <= {"completed", "failed"}
    truth = {e.id: loaded.builder.space.expression(e.parameters) for e in experiments}
    assert len(truth) == 16
    for experiment in experiments:
        if experiment.status == "completed":
            measured = values[experiment.id]
            assert measured["titer_mg_l"] > 0 and measured["live_wells"] >= 1
            assert measured["titer_per_od"] == pytest.approx(
                measured["titer_mg_l"] / measured["od600"], rel=0.2
            )
        else:  # a failed build is a failure with its reason, never a zero
            assert "no growth" in experiment.error and experiment.id not in values
    with store.session() as session:
        events = repo.list_events(session, experiments[0].campaign_id)
    plates = {e.payload.get("plate") for e in events if e.to_status == "running"}
    assert plates == {f"{NAME}/plate-1", f"{NAME}/plate-9"}


@pytest.mark.slow
def test_a_construct_with_an_internal_bsai_site_is_refused_before_approval(
    tmp_path: Path,
) -> None:
    path = write_example(tmp_path, budget=8, batch=8)
    sequence = next(
        r["sequence"]
        for r in csv.DictReader((tmp_path / "parts" / "carotenoid_parts.csv").open())
        if r["id"] == "P2_strong"
    )
    edit_parts(tmp_path, "P2_strong", sequence=sequence[:20] + BSAI_SITE + sequence[20:])
    loaded = load_campaign(path)
    store = Datastore(f"sqlite:///{tmp_path / 'p.db'}")
    run_campaign(store, loaded)
    experiments, _ = stored(store)
    refused = [e for e in experiments if e.parameters["crtB_promoter"] == "P2_strong"]
    assert refused and all(e.status == "rejected" for e in refused)
    for experiment in refused:
        assert "part P2_strong has an internal BsaI site" in experiment.error
        with store.session() as session:
            events = repo.list_events(session, experiment.campaign_id)
        mine = [ev.to_status for ev in events if ev.experiment_id == experiment.id]
        assert "approved" not in mine and "running" not in mine
    others = [e for e in experiments if e not in refused]
    assert others and all(e.status in ("completed", "failed") for e in others)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"part": "P1_weak", "strength": "strong"}, "strength 'strong' is not a number"),
        ({"part": "R2_weak", "type": "rbz"}, "type 'rbz' is not one of"),
        ({"part": "R1_medium", "overhang_3": "ACGT"}, "declared 3' overhang ACGT"),
        ({"part": "T1", "sequence": ""}, None),  # a part without sequence keeps its overhangs
    ],
)
def test_bad_parts_files_give_one_clear_error_and_store_nothing(
    tmp_path: Path, monkeypatch, capsys, edit: dict[str, str], message: str | None
) -> None:
    path = write_example(tmp_path, budget=8, batch=8)
    part = edit.pop("part")
    edit_parts(tmp_path, part, **edit)
    if message is None:
        load_campaign(path)
        return
    with pytest.raises(SpecError, match=r"protocol\.parts_file") as error:
        load_campaign(path)
    assert message in str(error.value) and part in str(error.value)
    db = tmp_path / "p.db"
    code, printed = dbtl(monkeypatch, capsys, "run", str(path), "--db", f"sqlite:///{db}")
    assert code != 0 and message in printed
    if db.exists():
        with Datastore(f"sqlite:///{db}").session() as session:
            assert repo.list_campaigns(session) == []


def test_an_overhang_clash_between_positions_is_refused_at_load(tmp_path: Path) -> None:
    path = write_example(tmp_path, budget=8, batch=8)
    rows = list(csv.DictReader((tmp_path / "parts" / "carotenoid_parts.csv").open()))
    t1 = next(r for r in rows if r["id"] == "T1")
    edit_parts(tmp_path, "T3", sequence=t1["sequence"], overhang_5=t1["overhang_5"],
               overhang_3=t1["overhang_3"])  # fmt: skip
    with pytest.raises(SpecError, match=f"overhang {t1['overhang_5']} starts both part T1"):
        load_campaign(path)


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        ({"genes: [crtE, crtB, crtI, crtY]": "genes: [crtE, crtB, crtZ, crtY]"}, "crtZ"),
        (
            {"replicates: 3": "replicates: 3\n  promoters: {crtE: [P1_weak, P9_x]}"},
            "unknown part 'P9_x'",
        ),
        ({"parts/carotenoid_parts.csv": "parts/missing.csv"}, "cannot read"),
        ({"plate_reader: reader": "plate_reader: ot2"}, "has no plate reader 'ot2'"),
    ],
)
def test_unknown_parts_and_devices_are_refused_at_load(
    tmp_path: Path, replace: dict[str, str], message: str
) -> None:
    path = write_example(tmp_path, budget=8, batch=8, **replace)
    with pytest.raises(SpecError, match="protocol") as error:
        load_campaign(path)
    assert message in str(error.value)


@pytest.mark.slow
def test_an_unreadable_reader_export_fails_the_plate_and_stores_no_value(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(biofoundry, "gen5_text", lambda *a, **k: "Software Version\t3\n%%%\n")
    loaded = load_campaign(write_example(tmp_path, budget=4, batch=4))
    store = Datastore(f"sqlite:///{tmp_path / 'p.db'}")
    run_campaign(store, loaded)
    experiments, values = stored(store)
    assert experiments and values == {}
    for experiment in experiments:
        assert experiment.status == "failed"
        assert "is not a readable agilent_gen5 export" in experiment.error


def test_protocol_compile_resolves_the_parts_file_and_names_what_it_compiles(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    path = write_example(tmp_path, budget=8, batch=8)
    output = str(tmp_path / "p.py")
    code, printed = dbtl(monkeypatch, capsys, "protocol", "compile", str(path), "-o", output)
    assert code != 0 and "compiles hte_plate campaigns" in printed
    assert "cannot read" not in printed


def test_parameters_come_from_the_parts_file_and_a_stored_spec_validates_again(
    tmp_path: Path,
) -> None:
    path = write_example(tmp_path, budget=8, batch=8)
    loaded = load_campaign(path)
    names = [p.name for p in loaded.spec.parameters]
    assert names[:2] == ["crtE_promoter", "crtE_rbs"] and names[-1] == "backbone"
    again = type(loaded.spec).model_validate(loaded.spec.model_dump(mode="json"))
    assert again.parameters == loaded.spec.parameters  # the stored form: parts file absolute
    wrong = "lab: labs/biofoundry.yaml\nparameters: [{name: x, type: float, bounds: [0, 1]}]"
    path.write_text(path.read_text().replace("lab: labs/biofoundry.yaml", wrong))
    with pytest.raises(SpecError, match="come from its parts file"):
        load_campaign(path)
