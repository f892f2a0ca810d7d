"""Downloads of a campaign's experiments: CSV streamed while it is read, Parquet in batches."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask

from datastore import Datastore
from lab.services import exports as export_service


def streamed_csv(store: Datastore, name: str) -> StreamingResponse:
    """A response streaming campaign ``name``'s experiments as CSV.

    Raises:
        NotFoundError: No such campaign (before anything is sent).
    """
    chunks = export_service.csv_stream(store, name)  # a 404 must come before the first byte
    disposition = f'attachment; filename="{name}.csv"'
    return StreamingResponse(
        chunks, media_type="text/csv", headers={"Content-Disposition": disposition}
    )


def parquet_file(store: Datastore, name: str) -> FileResponse:
    """A response sending campaign ``name``'s experiments as a Parquet file (written first).

    Raises:
        NotFoundError: No such campaign.
    """
    folder = Path(tempfile.mkdtemp(prefix="dbtl-export-"))
    path = folder / f"{name}.parquet"
    try:
        export_service.parquet(store, name, path)
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        path,
        media_type="application/vnd.apache.parquet",
        filename=path.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
