"""Only ``datastore/`` touches the database; the CLI and the web app go through ``lab/services``.

Two rules, read from the source (nothing is imported):

1. No module under ``lab/`` imports ``sqlmodel`` or ``sqlalchemy``, calls a
   session's ORM methods (``session.get``, ``session.exec``, ``session.add``...)
   or sets a stored row's column (``campaign.budget = ...``): it calls named
   ``datastore/`` functions, handing them the session that ``Datastore.session()``
   opened. (``datastore.Session`` is there to annotate it.)
2. The front ends (``lab/web/`` and ``lab/cli/``) reach the datastore only
   through ``lab/services``: from ``datastore/`` they import only the
   ``Datastore`` class (to open a URL), errors, status values and row types,
   and they never open a session.

Each allow-list below is short and says why; an entry that no longer needs
its exemption fails :func:`test_allow_lists_hold_only_what_still_needs_them`,
so the lists only shrink.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.architecture.import_graph import ROOT

ORM_PACKAGES = ("sqlmodel", "sqlalchemy")
SESSION_METHODS = frozenset(
    {"get", "exec", "execute", "add", "add_all", "delete", "merge", "query", "scalar", "scalars"}
)
ORM_ALLOWED = {
    # creates and drops the throwaway PostgreSQL benchmark database (AUTOCOMMIT DDL on the
    # server, not data access)
    "benchmarks/datastore_scale.py": "benchmark database administration",
}
"""Modules of ``lab/`` that may still import the ORM or call session methods, and why."""

FRONT_DATASTORE_IMPORTS: dict[str, frozenset[str] | None] = {
    "datastore": frozenset(
        {
            "Datastore",
            "DatastoreError",
            "NotFoundError",
            "IllegalTransitionError",
            "ExperimentStatus",
        }
    ),
    "datastore.engine": frozenset({"DEFAULT_URL", "redact"}),
    "datastore.accounts": frozenset({"AccountError"}),
    "datastore.errors": None,  # None: any name (errors, row types and status values only)
    "datastore.models": None,
    "datastore.account_models": None,
    "datastore.states": None,
}
"""What a front end may import from ``datastore/``: opening a URL, values and row types.

Errors (names ending in ``Error``) may be imported from any datastore module:
the front ends map them to exit codes and HTTP statuses.
"""
FRONT_ALLOWED: dict[str, str] = {}
"""Front-end modules that may still reach the datastore directly, and why."""

EDITED_TABLES = ("campaign", "experiment", "account", "api_token", "device_state", "lease")
"""Tables whose rows ``lab/`` holds and might be tempted to edit in place."""


def stored_columns() -> frozenset[str]:
    """Column names of :data:`EDITED_TABLES` (``id`` and ``name`` are too common to police)."""
    from sqlmodel import SQLModel

    from datastore import tables  # noqa: F401  (every table mapped)

    found = {c.name for n in EDITED_TABLES for c in SQLModel.metadata.tables[n].columns}
    return frozenset(found - {"id", "name"})


def column_edits(tree: ast.Module, columns: frozenset[str]) -> list[str]:
    """Every assignment to ``<row>.<column>`` outside ``self``, as ``line: sets what``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        found += [
            f"{node.lineno}: sets {ast.unparse(target)}"
            for target in targets
            if isinstance(target, ast.Attribute)
            and target.attr in columns
            and not (isinstance(target.value, ast.Name) and target.value.id == "self")
        ]
    return sorted(found, key=_line)


def _lab_modules() -> list[Path]:
    return sorted((ROOT / "lab").rglob("*.py"))


def _front_modules() -> list[Path]:
    return sorted([*(ROOT / "lab" / "web").rglob("*.py"), *(ROOT / "lab" / "cli").rglob("*.py")])


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _is_session(node: ast.expr) -> bool:
    """``session``, ``db``, ``self.session``...: what this code base names an open session."""
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
    return name == "db" or "session" in name.lower()


def orm_uses(tree: ast.Module) -> list[str]:
    """Every ORM import and session-method call in a module, as ``line: what``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            names = []
        found += [f"{node.lineno}: imports {n}" for n in names if n.split(".")[0] in ORM_PACKAGES]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SESSION_METHODS
            and _is_session(node.func.value)
        ):
            found.append(f"{node.lineno}: calls {ast.unparse(node.func)}")
    return sorted(found, key=_line)


def datastore_reach(tree: ast.Module) -> list[str]:
    """Every way a module reaches the datastore other than through ``lab/services``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [
                f"{node.lineno}: imports {a.name}"
                for a in node.names
                if a.name.split(".")[0] == "datastore"
            ]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "datastore":
            allowed = FRONT_DATASTORE_IMPORTS.get(node.module or "", frozenset())
            found += [
                f"{node.lineno}: imports {node.module}.{a.name}"
                for a in node.names
                if allowed is not None and a.name not in allowed and not a.name.endswith("Error")
            ]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "session"
        ):
            found.append(f"{node.lineno}: opens a session ({ast.unparse(node.func)}())")
    return sorted(found, key=_line)


def _line(finding: str) -> int:
    return int(finding.split(":", 1)[0])


def test_lab_calls_datastore_functions_not_the_orm() -> None:
    offending = {
        _relative(p): uses
        for p in _lab_modules()
        if _relative(p) not in ORM_ALLOWED and (uses := orm_uses(_tree(p)))
    }
    assert offending == {}, "call a datastore/ function instead (add one if missing)"


def test_lab_never_edits_a_stored_row_in_place() -> None:
    columns = stored_columns()
    offending = {
        _relative(p): edits
        for p in _lab_modules()
        if _relative(p) not in ORM_ALLOWED and (edits := column_edits(_tree(p), columns))
    }
    assert offending == {}, "change rows through datastore/ functions (they write the event too)"


def test_front_ends_reach_the_datastore_through_services() -> None:
    offending = {
        _relative(p): reach
        for p in _front_modules()
        if _relative(p) not in FRONT_ALLOWED and (reach := datastore_reach(_tree(p)))
    }
    assert offending == {}, "call a lab/services function instead (add one if missing)"


def test_both_front_ends_are_checked() -> None:
    checked = {_relative(p) for p in _front_modules()}
    assert {"lab/web/api.py", "lab/cli/main.py", "lab/cli/provenance.py"} <= checked


def test_allow_lists_hold_only_what_still_needs_them() -> None:
    stale = [f for f in ORM_ALLOWED if not orm_uses(_tree(ROOT / f))]
    stale += [f for f in FRONT_ALLOWED if not datastore_reach(_tree(ROOT / f))]
    assert stale == [], f"remove {stale} from the allow-lists: they no longer need them"


def test_services_import_neither_the_web_app_nor_the_cli() -> None:
    for path in sorted((ROOT / "lab" / "services").rglob("*.py")):
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                )
                for name in names:
                    assert not name.startswith("lab.web"), f"{_relative(path)} imports {name}"
                    assert not name.startswith("lab.cli"), f"{_relative(path)} imports {name}"


def test_the_checks_find_what_they_forbid() -> None:
    code = ast.parse(
        "from sqlmodel import Session\n"
        "from datastore import repository as repo\n"
        "def f(store, session):\n"
        "    with store.session() as db:\n"
        "        db.exec(1)\n"
        "    return session.get(1, 2)\n"
    )
    assert orm_uses(code) == [
        "1: imports sqlmodel",
        "5: calls db.exec",
        "6: calls session.get",
    ]
    assert datastore_reach(code) == [
        "2: imports datastore.repository",
        "4: opens a session (store.session())",
    ]
    edit = ast.parse("def f(campaign):\n    campaign.budget = 3\n    self.status = 'x'\n")
    assert column_edits(edit, stored_columns()) == ["2: sets campaign.budget"]
    clean = ast.parse(
        "from datastore import Datastore, NotFoundError\nfrom datastore.models import Event\n"
    )
    assert orm_uses(clean) == [] and datastore_reach(clean) == []
