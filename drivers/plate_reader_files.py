"""Readers of plate-reader export files, through allotropy (the Allotrope Simple Model).

allotropy converts the text and spreadsheet exports of the common vendors'
software into the Allotrope Simple Model; this module reads its plate-reader
documents into ``{well: {quantity: value}}``. The quantity names carry the
detection and wavelength, e.g. ``absorbance_600nm``, ``fluorescence_485_528nm``.
Agilent (BioTek) Gen5 text exports are the tested format; every vendor that
allotropy reads as a plate-reader document works the same way.

An unreadable file (missing, larger than :data:`MAX_EXPORT_BYTES`, another
vendor's format, a truncated plate)
raises :class:`PlateExportError` with the file named, and nothing is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VENDORS = {
    "agilent_gen5": "AGILENT_GEN5",
    "moldev_softmax_pro": "MOLDEV_SOFTMAX_PRO",
    "bmg_mars": "BMG_MARS",
    "perkin_elmer_envision": "PERKIN_ELMER_ENVISION",
    "thermo_skanit": "THERMO_SKANIT",
}
"""Our names for the allotropy vendors this reader accepts."""


class PlateExportError(Exception):
    """A plate-reader export cannot be read; the message names the file and why."""


@dataclass(frozen=True)
class PlateExport:
    """One plate's readings from an export file."""

    plate: str
    wells: Mapping[str, Mapping[str, float]]
    source: str


MAX_EXPORT_BYTES = 20_000_000
"""Largest export read (a 1536-well plate with kinetics is far smaller)."""


def read_export(path: Path, vendor: str = "agilent_gen5") -> PlateExport:
    """Read a plate-reader export file.

    Args:
        path: The exported file.
        vendor: One of :data:`VENDORS`.

    Raises:
        PlateExportError: Unknown vendor, allotropy missing, a file allotropy
            cannot convert, no plate-reader measurements, or several plates.
    """
    if vendor not in VENDORS:
        raise PlateExportError(
            f"unknown plate-reader vendor {vendor!r}; known: {', '.join(VENDORS)}"
        )
    if not path.is_file():
        raise PlateExportError(f"plate-reader export {path} does not exist")
    size = path.stat().st_size
    if size > MAX_EXPORT_BYTES:
        raise PlateExportError(
            f"{path.name} is {size:,} bytes, more than {MAX_EXPORT_BYTES:,}: not one plate's export"
        )
    document = _convert(path, vendor)
    readings = _readings(document, path)
    plates = sorted({plate for plate, _, _, _ in readings})
    if len(plates) != 1:
        raise PlateExportError(f"{path.name}: expected one plate, found {len(plates)}")
    wells: dict[str, dict[str, float]] = {}
    for _, well, quantity, value in readings:
        wells.setdefault(well, {})[quantity] = value
    return PlateExport(plates[0], wells, path.name)


def _convert(path: Path, vendor: str) -> Mapping[str, Any]:
    try:
        from allotropy.parser_factory import Vendor
        from allotropy.to_allotrope import allotrope_from_file
    except ImportError:
        raise PlateExportError(
            "reading plate-reader exports needs allotropy: pip install -c constraints.txt "
            "'dbtl[pathway]'"
        ) from None
    try:
        return allotrope_from_file(str(path), Vendor[VENDORS[vendor]])
    except Exception as exc:  # allotropy raises many types for a malformed file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PlateExportError(f"{path.name} is not a readable {vendor} export: {first}") from None


def _readings(document: Mapping[str, Any], path: Path) -> list[tuple[str, str, str, float]]:
    aggregate = document.get("plate reader aggregate document")
    if not aggregate:
        raise PlateExportError(f"{path.name}: no plate-reader measurements in the export")
    out = []
    for entry in aggregate.get("plate reader document", []):
        for measurement in entry["measurement aggregate document"]["measurement document"]:
            sample = measurement["sample document"]
            value = _value(measurement)
            if value is None:
                continue
            quantity = _quantity(measurement)
            plate = str(sample.get("well plate identifier", "plate"))
            out.append((plate, str(sample["location identifier"]), quantity, value))
    if not out:
        raise PlateExportError(f"{path.name}: the export holds no numeric readings")
    return out


def _value(measurement: Mapping[str, Any]) -> float | None:
    for key in ("absorbance", "fluorescence", "luminescence"):
        if key in measurement:
            value = measurement[key].get("value")
            return float(value) if isinstance(value, int | float) else None
    return None


def _quantity(measurement: Mapping[str, Any]) -> str:
    control = measurement["device control aggregate document"]["device control document"][0]
    detection = str(control.get("detection type", "reading")).lower()
    wavelengths = [
        control[k]["value"]
        for k in ("excitation wavelength setting", "detector wavelength setting")
        if k in control
    ]
    suffix = "_".join(f"{w:g}" for w in wavelengths)
    return f"{detection}_{suffix}nm" if suffix else detection
