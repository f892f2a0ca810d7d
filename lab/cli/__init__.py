"""The ``dbtl`` command line: one module per command group, parsing and rendering only."""
