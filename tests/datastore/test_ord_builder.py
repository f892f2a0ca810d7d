"""The fast ORD path (shared parts built once, lean reads, validation modes) writes exactly
what the record-by-record path writes, and its validation modes catch what they promise."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ord_schema.proto import dataset_pb2
from typer.testing import CliRunner

from datastore import Datastore
from datastore import repository as repo
from datastore.bulk import seed_campaign
from datastore.ord_builder import SAMPLE_FIRST, ReactionFactory, fast_reaction_id
from datastore.ord_export import (
    Curator,
    OrdComponent,
    OrdOutcome,
    OrdReaction,
    build_reaction,
    dataset_header,
    reaction_id,
    read_dataset,
)
from datastore.ord_rows import completed_pages, protocol_record
from datastore.stream import experiment_pages
from lab.cli.main import app
from lab.export.ord import campaign_facts, export_ord, reaction_facts
from lab.running.campaigns import load_campaign, open_campaign
from lab.running.runner import with_spec
from tests.conftest import EXAMPLES
from tests.datastore.conftest import SuzukiRun

CURATOR = Curator(created_at=datetime(2099, 12, 3, 12, 0, tzinfo=UTC))  # after every run


@pytest.mark.parametrize("identifier", ["suzuki#1", "scale#100000", "ünïcode#7", ""])
def test_fast_reaction_id_is_the_uuid5_id(identifier: str) -> None:
    assert fast_reaction_id(identifier) == reaction_id(identifier)


def _slow_dataset(run: SuzukiRun) -> bytes:
    """The Dataset as the record-by-record path builds it (ORM-paged read, no shared parts)."""
    return _slow_bytes(run.store, "suzuki-prov")


def _slow_bytes(store: Datastore, name: str) -> bytes:
    with store.session() as session:
        facts = campaign_facts(session, name)
        campaign_id = repo.get_campaign(session, name).id or 0
        whole = dataset_pb2.Dataset()
        whole.CopyFrom(dataset_header(f"dbtl campaign {name}", facts.spec.description.strip()))
        for page in experiment_pages(session, campaign_id, ["completed"]):
            for experiment in page:
                sha256 = experiment.protocol_sha256
                record = protocol_record(session, sha256) if sha256 else None
                whole.reactions.append(
                    build_reaction(reaction_facts(facts, experiment, record), CURATOR)
                )
    return whole.SerializeToString(deterministic=True)


@pytest.mark.slow
@pytest.mark.parametrize("validate", ["all", "sample", "none"])
def test_streamed_file_is_byte_identical_to_the_whole_dataset(
    suzuki_run: SuzukiRun, tmp_path: Path, validate: str
) -> None:
    path = tmp_path / "hte.pb"
    count = export_ord(suzuki_run.store, "suzuki-prov", path, CURATOR, validate)  # type: ignore[arg-type]
    assert count > 0
    assert path.read_bytes() == _slow_dataset(suzuki_run)
    assert len(read_dataset(path).reactions) == count


@pytest.mark.slow
def test_lean_pages_carry_what_the_orm_pages_carry(suzuki_run: SuzukiRun) -> None:
    with suzuki_run.store.session() as session:
        campaign_id = repo.get_campaign(session, "suzuki-prov").id or 0
        lean = [e for page in completed_pages(session, campaign_id, page_rows=5) for e in page]
        orm = [e for page in experiment_pages(session, campaign_id, ["completed"]) for e in page]
    assert len(lean) == len(orm) > 5  # several pages
    fields = ("id", "number", "parameters", "measurements", "approved_by", "started_at",
              "finished_at", "run_key", "well", "protocol_sha256")  # fmt: skip
    for mine, theirs in zip(lean, orm, strict=True):
        assert {f: getattr(mine, f) for f in fields} == {f: getattr(theirs, f) for f in fields}


def _facts(number: int, smiles: str = "c1ccccc1Br", yield_pct: float = 50.0) -> OrdReaction:
    return OrdReaction(
        identifier=f"c#{number}",
        inputs={"electrophile": [OrdComponent("ArBr", smiles, "REACTANT", moles_umol=7.5)]},
        outcomes=[OrdOutcome("yield_pct", yield_pct, "%")],
        experimenter="A. Chemist",
        started_at=datetime(2026, 12, 1, tzinfo=UTC),
        finished_at=datetime(2026, 12, 1, 1, tzinfo=UTC),
        automation_platform="dbtl test",
        temperature_c=60.0,
    )


def test_factory_builds_what_build_reaction_builds() -> None:
    factory = ReactionFactory(CURATOR, "all")
    for number in range(1, 4):
        facts = _facts(number, yield_pct=10.0 * number)
        assert factory.build(facts) == build_reaction(facts, CURATOR)
    assert factory.errors == [] and factory.validated == 3


@pytest.mark.parametrize("mode", ["all", "sample"])
def test_a_bad_smiles_is_caught_in_any_record_of_the_campaign(mode: str) -> None:
    factory = ReactionFactory(CURATOR, mode)  # type: ignore[arg-type]
    for number in range(1, SAMPLE_FIRST + 50):
        factory.build(_facts(number))
    late = SAMPLE_FIRST + 51  # not in the sample of whole records
    factory.build(_facts(late, smiles="C1CC"))  # unclosed ring
    assert factory.errors, "the unparsable SMILES was not reported"
    assert all(who == f"#{late}" for who, _ in factory.errors)


def test_sample_validates_the_first_records_then_one_in_a_hundred() -> None:
    factory = ReactionFactory(CURATOR, "sample")
    for number in range(1, 1001):
        factory.build(_facts(number, yield_pct=number / 20))
    assert factory.validated == SAMPLE_FIRST + (1000 - SAMPLE_FIRST) // 100


def test_none_checks_nothing_and_an_unknown_mode_is_refused() -> None:
    factory = ReactionFactory(CURATOR, "none")
    factory.build(_facts(1, smiles="C1CC"))
    assert factory.errors == [] and factory.validated == 0
    with pytest.raises(ValueError, match="all, sample, none"):
        ReactionFactory(CURATOR, "most")  # type: ignore[arg-type]


@pytest.mark.slow
def test_cli_validate_option(suzuki_run: SuzukiRun, tmp_path: Path) -> None:
    url = str(suzuki_run.store.url)
    path = tmp_path / "hte.pb"
    args = ["export", "suzuki-prov", "--db", url, "-f", "ord", "-o", str(path)]
    result = CliRunner().invoke(app, [*args, "--validate", "all"])
    assert result.exit_code == 0, result.output
    assert "every record validated" in " ".join(result.output.split())
    refused = CliRunner().invoke(app, [*args, "--validate", "most"])
    assert refused.exit_code != 0 and "most" in refused.output


EDGE_VALUES = [0.0, -0.0, 1e-45, 3.4028234e38, 3.5e38, -1e39, float("inf"), float("nan"), 1 / 3]


@pytest.mark.parametrize("value", EDGE_VALUES)
@pytest.mark.parametrize(("name", "unit"), [("yield_pct", "%"), ("volume_ul", "µL"), ("ee", None)])
def test_encoded_record_is_the_runtime_serialization(
    value: float, name: str, unit: str | None
) -> None:
    facts = OrdReaction(
        identifier="c#1",
        inputs={"electrophile": [OrdComponent("ArBr", "c1ccccc1Br", "REACTANT", moles_umol=7.5)]},
        outcomes=[OrdOutcome(name, value, unit), OrdOutcome("other", 2.5, "mg")],
        experimenter="A. Chemist",
        started_at=datetime(2026, 12, 1, tzinfo=UTC),
        finished_at=None,
        automation_platform="dbtl test",
        residence_time_min=2.0,
        notes="well A1; design: x=1",
        dbtl_version="9.9",
    )
    encoded = ReactionFactory(CURATOR, "none").encode_facts(facts)
    assert encoded == build_reaction(facts, CURATOR).SerializeToString(deterministic=True)


@pytest.mark.parametrize(
    "curator", [CURATOR, Curator("x", "x@example.org", "Lab", CURATOR.created_at)]
)
def test_empty_texts_are_encoded_as_the_runtime_leaves_them_out(curator: Curator) -> None:
    facts = OrdReaction(
        identifier="",
        inputs={},
        outcomes=[],
        experimenter="",
        started_at=None,
        finished_at=None,
        automation_platform="",
    )
    encoded = ReactionFactory(curator, "none").encode_facts(facts)
    assert encoded == build_reaction(facts, curator).SerializeToString(deterministic=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def seeded_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Datastore]:
    """A bulk-seeded Suzuki campaign ``seeded`` of 40 experiments on SQLite and PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'seeded.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    store = Datastore(url)
    loaded = with_spec(load_campaign(EXAMPLES / "suzuki_hte.yaml"), name="seeded", budget=100)
    campaign, _ = open_campaign(store, loaded, "test")
    choices = {p.name: list(p.choices) for p in loaded.spec.parameters}  # type: ignore[union-attr]
    design = lambda rng: {n: rng.choice(v) for n, v in choices.items()}  # noqa: E731
    seed_campaign(store, campaign.id or 0, design, 40, 400, awaiting=4)
    yield store
    store.dispose()


def test_driver_rows_carry_what_the_orm_pages_carry_on_each_database(
    seeded_store: Datastore,
) -> None:
    with seeded_store.session() as session:
        campaign_id = repo.get_campaign(session, "seeded").id or 0
        lean = [e for page in completed_pages(session, campaign_id, page_rows=7) for e in page]
        orm = [e for page in experiment_pages(session, campaign_id, ["completed"]) for e in page]
    assert len(lean) == len(orm) == 36
    fields = ("id", "number", "parameters", "measurements", "approved_by", "started_at",
              "finished_at", "run_key", "well", "protocol_sha256")  # fmt: skip
    for mine, theirs in zip(lean, orm, strict=True):
        assert {f: getattr(mine, f) for f in fields} == {f: getattr(theirs, f) for f in fields}
        assert mine.started_at is not None and mine.started_at.utcoffset() is not None


def test_seeded_export_is_byte_identical_on_each_database(
    seeded_store: Datastore, tmp_path: Path
) -> None:
    path = tmp_path / "seeded.pb"
    assert export_ord(seeded_store, "seeded", path, CURATOR, "all") == 36
    assert path.read_bytes() == _slow_bytes(seeded_store, "seeded")
