"""Plate-reader exports: files that cannot be one plate's export are refused before parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.plate_reader_files import MAX_EXPORT_BYTES, PlateExportError, read_export


def test_an_oversized_export_is_refused_unread(tmp_path: Path) -> None:
    export = tmp_path / "plate.txt"
    with export.open("wb") as handle:
        handle.truncate(MAX_EXPORT_BYTES + 1)  # sparse: nothing written
    with pytest.raises(PlateExportError, match=r"^plate.txt is 20,000,001 bytes, more than"):
        read_export(export)


def test_a_missing_export_and_an_unknown_vendor(tmp_path: Path) -> None:
    with pytest.raises(PlateExportError, match="does not exist"):
        read_export(tmp_path / "none.txt")
    with pytest.raises(PlateExportError, match="unknown plate-reader vendor 'acme'"):
        read_export(tmp_path / "none.txt", vendor="acme")
