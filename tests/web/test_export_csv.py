"""The streamed CSV and the batched Parquet downloads hold exactly what the file export writes."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from datastore import Datastore
from datastore import repository as repo
from datastore.bulk import seed_campaign
from datastore.downloads import experiment_csv_chunks, write_experiment_parquet
from datastore.exports import write_experiments
from lab.export.tables import outcome_names
from lab.running.campaigns import load_campaign, open_campaign
from lab.running.runner import run_campaign, with_spec
from tests.lab.helpers import small_campaign
from tests.web.conftest import Web


def _cells(text: str) -> list[list[str | float]]:
    """Rows of a CSV text, numbers as floats (pandas writes 2 as 2.0 where a column is float)."""
    rows: list[list[str | float]] = []
    for row in csv.reader(io.StringIO(text)):
        rows.append([_number(cell) for cell in row])
    return rows


def _number(cell: str) -> str | float:
    try:
        return float(cell)
    except ValueError:
        return cell


def _both(store: Datastore, name: str, tmp_path: Path, known: bool, page_rows: int) -> tuple:
    path = tmp_path / "file.csv"
    with store.session() as session:
        campaign = repo.get_campaign(session, name)
        names = outcome_names(campaign.spec_yaml) if known else None
        write_experiments(session, campaign, names, "csv", path)
        streamed = "".join(experiment_csv_chunks(session, campaign, names, page_rows=page_rows))
    return _cells(path.read_text()), _cells(streamed)


@pytest.mark.parametrize("known", [True, False])
def test_the_stream_matches_the_file_export(
    store: Datastore, examples: Path, tmp_path: Path, known: bool
) -> None:
    run_campaign(store, small_campaign(examples, budget=5, batch=2), wait=True)
    exported, streamed = _both(store, "small", tmp_path, known, page_rows=2)  # several pages
    assert streamed == exported and len(streamed) == 6
    assert streamed[0][:3] == ["id", "cycle", "status"] and streamed[0][-1] == "error"


def test_an_empty_campaign_streams_its_header(
    store: Datastore, examples: Path, tmp_path: Path
) -> None:
    loaded = small_campaign(examples, budget=5, batch=2)
    open_campaign(store, loaded, "test")
    exported, streamed = _both(store, "small", tmp_path, True, page_rows=2)
    assert streamed == exported and len(streamed) == 1


def test_molecule_campaigns_stream_like_the_file(
    store: Datastore, examples: Path, tmp_path: Path
) -> None:
    loaded = with_spec(load_campaign(examples / "suzuki_hte.yaml"), name="hte", budget=60)
    campaign, _ = open_campaign(store, loaded, "test")
    choices = {p.name: list(p.choices) for p in loaded.spec.parameters}  # type: ignore[union-attr]
    design = lambda rng: {n: rng.choice(v) for n, v in choices.items()}  # noqa: E731
    seed_campaign(store, campaign.id or 0, design, 50, 300, awaiting=5)
    exported, streamed = _both(store, "hte", tmp_path, True, page_rows=7)
    assert streamed == exported and len(streamed) == 51
    assert random.Random(0).choice(streamed[1:])[2] in ("completed", "awaiting_approval")


def test_the_api_download_is_streamed_csv(web: Web) -> None:
    response = web.client.get(
        "/api/v1/campaigns/chem/export?format=csv", headers=web.auth("viewer")
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="chem.csv"' in response.headers["content-disposition"]
    assert response.text.splitlines()[0].startswith("id,cycle,status,")
    assert len(response.text.splitlines()) == 1 + len(web.ids())
    missing = web.client.get("/api/v1/campaigns/nope/export", headers=web.auth("viewer"))
    assert missing.status_code == 404 and "nope" in missing.json()["message"]


@pytest.mark.parametrize("known", [True, False])
def test_the_parquet_download_matches_the_file_export(
    store: Datastore, examples: Path, tmp_path: Path, known: bool
) -> None:
    import pyarrow.parquet as pq

    loaded = with_spec(load_campaign(examples / "suzuki_hte.yaml"), name="hte", budget=60)
    campaign, _ = open_campaign(store, loaded, "test")
    choices = {p.name: list(p.choices) for p in loaded.spec.parameters}  # type: ignore[union-attr]
    design = lambda rng: {n: rng.choice(v) for n, v in choices.items()}  # noqa: E731
    seed_campaign(store, campaign.id or 0, design, 30, 200, awaiting=4)
    with store.session() as session:
        c = repo.get_campaign(session, "hte")
        names = outcome_names(c.spec_yaml) if known else None
        write_experiments(session, c, names, "parquet", tmp_path / "file.parquet")
        rows = write_experiment_parquet(session, c, names, tmp_path / "d.parquet", page_rows=7)
    exported = pq.read_table(tmp_path / "file.parquet").to_pylist()
    downloaded = pq.read_table(tmp_path / "d.parquet").to_pylist()
    assert rows == 30 and downloaded == exported


def test_the_api_sends_parquet(web: Web) -> None:
    import pyarrow.parquet as pq

    path = "/api/v1/campaigns/chem/export?format=parquet"
    response = web.client.get(path, headers=web.auth("viewer"))
    assert response.status_code == 200 and response.content.startswith(b"PAR1")
    table = pq.read_table(io.BytesIO(response.content))
    assert table.num_rows == len(web.ids()) and table.column_names[:3] == ["id", "cycle", "status"]


def test_a_later_campaign_streams_its_ids_and_every_page(
    store: Datastore, examples: Path, tmp_path: Path
) -> None:
    """Ids and numbers differ in a second campaign: the id column holds ids, pages go by number."""
    for name, count in (("first", 12), ("hte", 20)):
        loaded = with_spec(load_campaign(examples / "suzuki_hte.yaml"), name=name, budget=60)
        campaign, _ = open_campaign(store, loaded, "test")
        choices = {p.name: list(p.choices) for p in loaded.spec.parameters}  # type: ignore[union-attr]
        design = lambda rng, c=choices: {n: rng.choice(v) for n, v in c.items()}  # noqa: E731
        seed_campaign(store, campaign.id or 0, design, count, 100, awaiting=2)
    exported, streamed = _both(store, "hte", tmp_path, True, page_rows=7)
    assert streamed == exported and len(streamed) == 21
    assert streamed[1][0] == 13.0  # the id of its first experiment, number 1


def test_the_services_csv_stream_reads_a_page_only_when_it_is_taken(web: Web, monkeypatch) -> None:
    from datastore import NotFoundError
    from lab.services import exports as export_service

    made: list[int] = []

    def pages(session, campaign, names, page_rows=2000):
        for page in range(3):
            made.append(page)
            yield f"page {page}\n"

    monkeypatch.setattr(export_service, "experiment_csv_chunks", pages)
    with pytest.raises(NotFoundError, match="'nope'"):
        export_service.csv_stream(web.store, "nope")  # raised before any chunk is asked for
    stream = export_service.csv_stream(web.store, "chem")
    assert made == []
    assert next(stream) == "page 0\n" and made == [0]
    assert list(stream) == ["page 1\n", "page 2\n"] and made == [0, 1, 2]
