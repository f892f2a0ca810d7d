"""Modules of ``lab/`` stay readable: none grows past the house budget of ~450 lines."""

from __future__ import annotations

from tests.architecture.import_graph import ROOT

MAX_LINES = 450


def test_no_module_of_lab_is_over_the_size_budget() -> None:
    sizes = {
        path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in (ROOT / "lab").rglob("*.py")
    }
    assert len(sizes) > 100  # the walk found the package
    over = {name: lines for name, lines in sizes.items() if lines > MAX_LINES}
    assert over == {}, f"split these by responsibility (over {MAX_LINES} lines): {over}"
