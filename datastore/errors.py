"""Errors raised by the datastore, each with a message a user can act on."""


class DatastoreError(Exception):
    """The database could not be opened, read or written."""


class NotFoundError(DatastoreError):
    """A campaign or experiment that was asked for does not exist."""


class IllegalTransitionError(DatastoreError):
    """An experiment was asked to move between states the state machine forbids."""


class DamagedDatabaseError(DatastoreError):
    """The file is not a dbtl database (another program's, random bytes) or is damaged."""


class MissingDatabaseError(DatastoreError):
    """A command that only reads was pointed at a database that does not exist (none is created)."""
