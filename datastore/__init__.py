"""Persistence for dbtl: tables, the session factory, migrations, queries, exports.

No other package creates engines or writes SQL: everything goes through
:class:`~datastore.engine.Datastore` and the repository functions here.
``Session`` is re-exported so that callers can annotate the sessions they are
handed without importing SQLModel themselves.
"""

from sqlmodel import Session

from datastore.engine import Datastore
from datastore.errors import DatastoreError, IllegalTransitionError, NotFoundError
from datastore.states import ExperimentStatus

__all__ = [
    "Datastore",
    "DatastoreError",
    "ExperimentStatus",
    "IllegalTransitionError",
    "NotFoundError",
    "Session",
]
