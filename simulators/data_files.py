"""Where a data table named in a lab file is: next to the file, or shipped with dbtl.

A table path is relative to the lab file, absolute, or ``package:<package>/<path>``
for a file shipped inside an installed package (``package:simulators/data/...``
names the published tables of ``simulators/data/``), so a lab file that uses
a shipped table works wherever it is copied.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PACKAGE_PREFIX = "package:"


def resolve_table_path(table: Path, folder: Path) -> Path:
    """The absolute path of ``table`` as written in a lab file in ``folder``.

    Raises:
        ValueError: A ``package:`` path names no importable package.
    """
    text = str(table)
    if text.startswith(PACKAGE_PREFIX):
        package, _, inside = text.removeprefix(PACKAGE_PREFIX).partition("/")
        try:
            root = resources.files(package)
        except ModuleNotFoundError:
            raise ValueError(f"{text}: no package {package!r} is installed") from None
        return Path(str(root.joinpath(inside))).resolve()
    if table.is_absolute():
        return table
    return (folder / table).resolve()
