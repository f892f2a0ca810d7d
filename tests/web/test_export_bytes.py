"""The downloads' exact bytes, pinned on a campaign with every kind of cell.

Text with commas, quotes, line breaks and accents, integers, floats in
exponent notation, booleans, missing parameters, missing and integer
predictions, missing and infinite measurements, several outcomes, errors:
the CSV download is compared byte for byte with the text it was when this
test was written, and the Parquet download row for row and type for type.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import insert

from datastore import Datastore
from datastore import repository as repo
from datastore.downloads import experiment_csv_chunks, write_experiment_parquet
from datastore.exports import write_experiments
from datastore.models import Experiment, Measurement
from lab.running.campaigns import load_campaign, open_campaign
from lab.running.runner import with_spec
from tests.conftest import EXAMPLES

NAMES = ["yield_pct", "purity_pct", "volume_ul"]
AT = datetime(2026, 1, 1, tzinfo=UTC)

# (status, parameters, predicted, measurements, error)
ROWS: list[tuple[str, dict[str, Any], dict[str, Any] | None, dict[str, float], str | None]] = [
    (
        "completed",
        {"ligand": "XPhos", "temp_c": 25, "ratio": 0.1, "flag": True},
        {"yield_pct": {"mean": 40.5, "sd": 2.25}, "purity_pct": {"mean": 1e-05, "sd": 1.5e20}},
        {"yield_pct": 30.25, "purity_pct": 99.0, "volume_ul": 150.0},
        None,
    ),
    (
        "failed",
        {"ligand": 'say "hi", then', "temp_c": 30, "ratio": None, "flag": False},
        None,
        {"yield_pct": math.inf},
        'pump timeout, "P1"\nretried once',
    ),
    (
        "completed",
        {"ligand": "Pd–é line1\nline2", "temp_c": -4, "ratio": 1e16, "flag": True},
        {"yield_pct": {"mean": 12, "sd": None}, "volume_ul": {"mean": 0.1 + 0.2}},
        {"yield_pct": 0.0, "volume_ul": 1 / 3},
        None,
    ),
    (
        "completed",
        {"ligand": "XPhos", "temp_c": 25, "ratio": 0.1, "flag": True},
        {"yield_pct": {"mean": -0.0, "sd": 123456789.125}},
        {"yield_pct": 2.5e-300, "purity_pct": -1.0},
        "",
    ),
    (
        "awaiting_approval",
        {"ligand": " leading space", "ratio": 0.5, "late": "only later"},
        {"yield_pct": {"mean": 50.0, "sd": 5.0}},
        {},
        None,
    ),
    ("awaiting_approval", {}, {}, {}, None),
    (
        "needs_attention",
        {"ligand": "", "temp_c": 0, "ratio": 2.0, "flag": False},
        {"purity_pct": {"sd": 7.75}},
        {"volume_ul": 149.99999999999997},
        "no record, a device cannot tell",
    ),
    (
        "completed",
        {"ligand": "a,b", "temp_c": 1000000, "ratio": 0.3333333333333333, "flag": True},
        {"yield_pct": {"mean": 1e-07, "sd": 1e22}},
        {"yield_pct": 1e-07, "purity_pct": 1e22, "volume_ul": 1e16},
        None,
    ),
]
NAN_ROW = ("completed", {"ligand": "XPhos"}, {"yield_pct": {"mean": math.nan}}, {}, None)
"""A NaN prediction (SQLite only: PostgreSQL's JSON refuses NaN)."""
INF = math.inf


def _seed(store: Datastore, nan: bool) -> None:
    loaded = with_spec(load_campaign(EXAMPLES / "suzuki_hte.yaml"), name="pin")
    campaign, _ = open_campaign(store, loaded, "test")
    rows = [*ROWS, NAN_ROW] if nan else ROWS
    with store.engine.begin() as connection:
        for number, (status, parameters, predicted, measured, error) in enumerate(rows, 1):
            experiment = {
                "campaign_id": campaign.id, "number": number, "cycle": 1 + number // 3,
                "status": status, "parameters": parameters, "predicted": predicted,
                "error": error, "attempt": 1, "created_at": AT, "updated_at": AT,
            }  # fmt: skip
            (identity,) = connection.execute(
                insert(Experiment).returning(Experiment.id), [experiment]
            ).one()
            for name, value in measured.items():
                measurement = {"experiment_id": identity, "name": name, "value": value,
                               "unit": None, "created_at": AT}  # fmt: skip
                connection.execute(insert(Measurement), [measurement])


def _downloads(store: Datastore, names: list[str] | None, page_rows: int, folder: Path) -> tuple:
    with store.session() as session:
        campaign = repo.get_campaign(session, "pin")
        text = "".join(experiment_csv_chunks(session, campaign, names, page_rows=page_rows))
        path = folder / f"pin-{page_rows}.parquet"
        write_experiment_parquet(session, campaign, names, path, page_rows=page_rows)
    return text, pq.read_table(path)


CSV_KNOWN_PAGES_OF_3 = (
    "id,cycle,status,ligand,temp_c,ratio,flag,yield_pct,yield_pct_predicted_mea"
    "n,yield_pct_predicted_sd,purity_pct,purity_pct_predicted_mean,purity_pct_p"
    "redicted_sd,volume_ul,volume_ul_predicted_mean,volume_ul_predicted_sd,error\n"
    "1,1,completed,XPhos,25,0.1,True,30.25,40.5,2.25,99.0,1e-05,1.5e+20,150.0,,,\n"
    '2,1,failed,"say ""hi"", then",30,,False,inf,,,,,,,,,"pump timeout, ""P1""\n'
    'retried once"\n'
    '3,2,completed,"Pd–é line1\n'
    'line2",-4,1e+16,True,0.0,12,,,,,0.3333333333333333,0.30000000000000004,,\n'
    "4,2,completed,XPhos,25,0.1,True,2.5e-300,-0.0,123456789.125,-1.0,,,,,,\n"
    "5,2,awaiting_approval, leading space,,0.5,,,50.0,5.0,,,,,,,\n"
    "6,3,awaiting_approval,,,,,,,,,,,,,,\n"
    '7,3,needs_attention,,0,2.0,False,,,,,,7.75,149.99999999999997,,,"no record'
    ', a device cannot tell"\n'
    '8,3,completed,"a,b",1000000,0.3333333333333333,True,1e-07,1e-07,1e+22,1e+2'
    "2,,,1e+16,,,\n"
    "9,4,completed,XPhos,,,,,,,,,,,,,\n"
)
PARQUET_KNOWN_PAGES_OF_3_SCHEMA = (
    "id: int64",
    "cycle: int64",
    "status: string",
    "ligand: string",
    "temp_c: int64",
    "ratio: double",
    "flag: bool",
    "yield_pct: double",
    "yield_pct_predicted_mean: double",
    "yield_pct_predicted_sd: double",
    "purity_pct: double",
    "purity_pct_predicted_mean: double",
    "purity_pct_predicted_sd: double",
    "volume_ul: double",
    "volume_ul_predicted_mean: double",
    "volume_ul_predicted_sd: double",
    "error: string",
)
PARQUET_KNOWN_PAGES_OF_3_ROWS = [
    (
        1,
        1,
        "completed",
        "XPhos",
        25,
        0.1,
        True,
        30.25,
        40.5,
        2.25,
        99.0,
        1e-05,
        1.5e20,
        150.0,
        None,
        None,
        None,
    ),
    (
        2,
        1,
        "failed",
        'say "hi", then',
        30,
        None,
        False,
        INF,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        'pump timeout, "P1"\nretried once',
    ),
    (
        3,
        2,
        "completed",
        "Pd–é line1\nline2",
        -4,
        1e16,
        True,
        0.0,
        12.0,
        None,
        None,
        None,
        None,
        0.3333333333333333,
        0.30000000000000004,
        None,
        None,
    ),
    (
        4,
        2,
        "completed",
        "XPhos",
        25,
        0.1,
        True,
        2.5e-300,
        -0.0,
        123456789.125,
        -1.0,
        None,
        None,
        None,
        None,
        None,
        "",
    ),
    (
        5,
        2,
        "awaiting_approval",
        " leading space",
        None,
        0.5,
        None,
        None,
        50.0,
        5.0,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ),
    (
        6,
        3,
        "awaiting_approval",
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ),
    (
        7,
        3,
        "needs_attention",
        "",
        0,
        2.0,
        False,
        None,
        None,
        None,
        None,
        None,
        7.75,
        149.99999999999997,
        None,
        None,
        "no record, a device cannot tell",
    ),
    (
        8,
        3,
        "completed",
        "a,b",
        1000000,
        0.3333333333333333,
        True,
        1e-07,
        1e-07,
        1e22,
        1e22,
        None,
        None,
        1e16,
        None,
        None,
        None,
    ),
    (
        9,
        4,
        "completed",
        "XPhos",
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ),
]
CSV_KNOWN = (
    "id,cycle,status,ligand,temp_c,ratio,flag,late,yield_pct,yield_pct_predicte"
    "d_mean,yield_pct_predicted_sd,purity_pct,purity_pct_predicted_mean,purity_"
    "pct_predicted_sd,volume_ul,volume_ul_predicted_mean,volume_ul_predicted_sd,error\n"
    "1,1,completed,XPhos,25,0.1,True,,30.25,40.5,2.25,99.0,1e-05,1.5e+20,150.0,,,\n"
    '2,1,failed,"say ""hi"", then",30,,False,,inf,,,,,,,,,"pump timeout, ""P1""\n'
    'retried once"\n'
    '3,2,completed,"Pd–é line1\n'
    'line2",-4,1e+16,True,,0.0,12,,,,,0.3333333333333333,0.30000000000000004,,\n'
    "4,2,completed,XPhos,25,0.1,True,,2.5e-300,-0.0,123456789.125,-1.0,,,,,,\n"
    "5,2,awaiting_approval, leading space,,0.5,,only later,,50.0,5.0,,,,,,,\n"
    "6,3,awaiting_approval,,,,,,,,,,,,,,,\n"
    '7,3,needs_attention,,0,2.0,False,,,,,,,7.75,149.99999999999997,,,"no recor'
    'd, a device cannot tell"\n'
    '8,3,completed,"a,b",1000000,0.3333333333333333,True,,1e-07,1e-07,1e+22,1e+'
    "22,,,1e+16,,,\n"
    "9,4,completed,XPhos,,,,,,,,,,,,,,\n"
)
CSV_ALL_PAGES_OF_3 = (
    "id,cycle,status,ligand,temp_c,ratio,flag,yield_pct,purity_pct,volume_ul,error\n"
    "1,1,completed,XPhos,25,0.1,True,30.25,99.0,150.0,\n"
    '2,1,failed,"say ""hi"", then",30,,False,inf,,,"pump timeout, ""P1""\n'
    'retried once"\n'
    '3,2,completed,"Pd–é line1\n'
    'line2",-4,1e+16,True,0.0,,0.3333333333333333,\n'
    "4,2,completed,XPhos,25,0.1,True,2.5e-300,-1.0,,\n"
    "5,2,awaiting_approval, leading space,,0.5,,,,,\n"
    "6,3,awaiting_approval,,,,,,,,\n"
    '7,3,needs_attention,,0,2.0,False,,,149.99999999999997,"no record, a device'
    ' cannot tell"\n'
    '8,3,completed,"a,b",1000000,0.3333333333333333,True,1e-07,1e+22,1e+16,\n'
    "9,4,completed,XPhos,,,,,,,\n"
)
CSV_ALL = (
    "id,cycle,status,ligand,temp_c,ratio,flag,late,yield_pct,purity_pct,volume_"
    "ul,error\n"
    "1,1,completed,XPhos,25,0.1,True,,30.25,99.0,150.0,\n"
    '2,1,failed,"say ""hi"", then",30,,False,,inf,,,"pump timeout, ""P1""\n'
    'retried once"\n'
    '3,2,completed,"Pd–é line1\n'
    'line2",-4,1e+16,True,,0.0,,0.3333333333333333,\n'
    "4,2,completed,XPhos,25,0.1,True,,2.5e-300,-1.0,,\n"
    "5,2,awaiting_approval, leading space,,0.5,,only later,,,,\n"
    "6,3,awaiting_approval,,,,,,,,,\n"
    '7,3,needs_attention,,0,2.0,False,,,,149.99999999999997,"no record, a devic'
    'e cannot tell"\n'
    '8,3,completed,"a,b",1000000,0.3333333333333333,True,,1e-07,1e+22,1e+16,\n'
    "9,4,completed,XPhos,,,,,,,,\n"
)
PARQUET_ALL_SCHEMA = (
    "id: int64",
    "cycle: int64",
    "status: string",
    "ligand: string",
    "temp_c: int64",
    "ratio: double",
    "flag: bool",
    "late: string",
    "yield_pct: double",
    "purity_pct: double",
    "volume_ul: double",
    "error: string",
)
PARQUET_ALL_ROWS = [
    (1, 1, "completed", "XPhos", 25, 0.1, True, None, 30.25, 99.0, 150.0, None),
    (
        2,
        1,
        "failed",
        'say "hi", then',
        30,
        None,
        False,
        None,
        INF,
        None,
        None,
        'pump timeout, "P1"\nretried once',
    ),
    (
        3,
        2,
        "completed",
        "Pd–é line1\nline2",
        -4,
        1e16,
        True,
        None,
        0.0,
        None,
        0.3333333333333333,
        None,
    ),
    (4, 2, "completed", "XPhos", 25, 0.1, True, None, 2.5e-300, -1.0, None, ""),
    (
        5,
        2,
        "awaiting_approval",
        " leading space",
        None,
        0.5,
        None,
        "only later",
        None,
        None,
        None,
        None,
    ),
    (6, 3, "awaiting_approval", None, None, None, None, None, None, None, None, None),
    (
        7,
        3,
        "needs_attention",
        "",
        0,
        2.0,
        False,
        None,
        None,
        None,
        149.99999999999997,
        "no record, a device cannot tell",
    ),
    (8, 3, "completed", "a,b", 1000000, 0.3333333333333333, True, None, 1e-07, 1e22, 1e16, None),
    (9, 4, "completed", "XPhos", None, None, None, None, None, None, None, None),
]


CSV = {(True, 3): CSV_KNOWN_PAGES_OF_3, (True, 2000): CSV_KNOWN}
CSV |= {(False, 3): CSV_ALL_PAGES_OF_3, (False, 2000): CSV_ALL}
PARQUET = {
    (True, 3): (PARQUET_KNOWN_PAGES_OF_3_SCHEMA, PARQUET_KNOWN_PAGES_OF_3_ROWS),
    (False, 2000): (PARQUET_ALL_SCHEMA, PARQUET_ALL_ROWS),
}
"""Downloads as they were (the parameter columns are the first page's: "late" is on the second)."""


def _without_nan_row(text: str) -> str:
    return text[: text.rindex("9,4,completed,XPhos,")]


@pytest.fixture(params=["sqlite", "postgresql"])
def pinned(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Datastore, bool]:
    """The campaign "pin" on SQLite (with the NaN row) or PostgreSQL (without it)."""
    nan = request.param == "sqlite"
    url = f"sqlite:///{tmp_path / 'pin.db'}" if nan else request.getfixturevalue("postgres_url")
    store = Datastore(url)
    request.addfinalizer(store.dispose)
    _seed(store, nan)
    return store, nan


@pytest.mark.parametrize(("known", "page_rows"), list(CSV))
def test_the_csv_download_keeps_its_bytes(
    pinned: tuple[Datastore, bool], tmp_path: Path, known: bool, page_rows: int
) -> None:
    store, nan = pinned
    text, _ = _downloads(store, NAMES if known else None, page_rows, tmp_path)
    expected = CSV[known, page_rows]
    assert text == (expected if nan else _without_nan_row(expected))


@pytest.mark.parametrize(("known", "page_rows"), list(PARQUET))
def test_the_parquet_download_keeps_its_types_and_values(
    pinned: tuple[Datastore, bool], tmp_path: Path, known: bool, page_rows: int
) -> None:
    store, nan = pinned
    _, table = _downloads(store, NAMES if known else None, page_rows, tmp_path)
    schema, rows = PARQUET[known, page_rows]
    assert tuple(table.schema.to_string(show_schema_metadata=False).splitlines()) == schema
    assert [tuple(r.values()) for r in table.to_pylist()] == (rows if nan else rows[:-1])


def test_the_csv_download_holds_the_file_exports_cells(
    pinned: tuple[Datastore, bool], tmp_path: Path
) -> None:
    """Cell for cell what ``dbtl export`` writes, which prints an integer of a float column as a
    float and puts a parameter first seen after the first row at the end (so: by column name)."""
    store, _ = pinned
    text, _ = _downloads(store, NAMES, 2000, tmp_path)
    path = tmp_path / "file.csv"
    with store.session() as session:
        write_experiments(session, repo.get_campaign(session, "pin"), NAMES, "csv", path)
    assert _by_name(text) == _by_name(path.read_text())


def _by_name(text: str) -> list[dict[str, str | float]]:
    header, *rows = csv.reader(io.StringIO(text))
    return [{n: _number(c) for n, c in zip(header, row, strict=True)} for row in rows]


def _number(cell: str) -> str | float:
    if cell in ("True", "False"):
        return cell
    try:
        return float(cell)
    except ValueError:
        return cell


def test_the_api_sends_the_datastores_bytes(tmp_path: Path) -> None:
    """The REST download adds nothing to, and drops nothing from, what the datastore writes."""
    from fastapi.testclient import TestClient

    from lab.export.tables import outcome_names
    from lab.web import create_app
    from tests.web.conftest import accounts

    store = Datastore(f"sqlite:///{tmp_path / 'api.db'}")
    _seed(store, nan=True)
    token = accounts(store)["viewer"]
    client = TestClient(create_app(store, secret_key="test"))
    with store.session() as session:
        names = outcome_names(repo.get_campaign(session, "pin").spec_yaml)
    text, _ = _downloads(store, names, 2000, tmp_path)
    headers = {"Authorization": f"Bearer {token}"}
    sent = client.get("/api/v1/campaigns/pin/export?format=csv", headers=headers)
    assert sent.status_code == 200 and sent.content == text.encode()
    sent = client.get("/api/v1/campaigns/pin/export?format=parquet", headers=headers)
    assert sent.status_code == 200 and sent.content == (tmp_path / "pin-2000.parquet").read_bytes()
    store.dispose()
