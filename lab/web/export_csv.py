"""The CSV download of a campaign's experiments, streamed while it is read."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.responses import StreamingResponse

from datastore import Datastore
from datastore import repository as repo
from datastore.csv_export import experiment_csv_chunks
from lab.exporting import outcome_names


def streamed(store: Datastore, name: str) -> StreamingResponse:
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
