"""Downloads of a campaign's experiments: CSV streamed while it is read, Parquet in batches."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask

from datastore import Datastore
from datastore import repository as repo
from datastore.downloads import experiment_csv_chunks, write_experiment_parquet
from lab.export.tables import outcome_names


def streamed_csv(store: Datastore, name: str) -> StreamingResponse:
    """A response streaming campaign ``name``'s experiments as CSV.

    Raises:
        NotFoundError: No such campaign (before anything is sent).
    """
    with store.session() as session:
        repo.get_campaign(session, name)  # a 404 must come before the first byte

    def chunks() -> Iterator[str]:
        with store.session() as session:
            campaign = repo.get_campaign(session, name)
            names = outcome_names(campaign.spec_yaml)
            yield from experiment_csv_chunks(session, campaign, names)

    disposition = f'attachment; filename="{name}.csv"'
    return StreamingResponse(
        chunks(), media_type="text/csv", headers={"Content-Disposition": disposition}
    )


def parquet_file(store: Datastore, name: str) -> FileResponse:
    """A response sending campaign ``name``'s experiments as a Parquet file (written first).

    Raises:
        NotFoundError: No such campaign.
    """
    folder = Path(tempfile.mkdtemp(prefix="dbtl-export-"))
    path = folder / f"{name}.parquet"
    try:
        with store.session() as session:
            campaign = repo.get_campaign(session, name)
            write_experiment_parquet(session, campaign, outcome_names(campaign.spec_yaml), path)
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        path,
        media_type="application/vnd.apache.parquet",
        filename=path.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
