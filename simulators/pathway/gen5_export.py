"""Write plate readings as an Agilent (BioTek) Gen5 text export, as the instrument software does.

The simulated plate reader writes its readings in the vendor's export format
and the lab reads them back with :mod:`drivers.plate_reader_files`, so a dry
run goes through the same reader as a real instrument's files. The layout
follows Gen5's "Results" matrix export: a header block, the procedure's
reads (label and wavelength each), then one row per plate row with a line
per read, each ending in ``label:wavelength``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

ROWS = "ABCDEFGH"


def gen5_text(
    readings: Mapping[str, Mapping[str, float]],
    reads: Sequence[tuple[str, int, str]],
    plate: str = "Plate 1",
    when: datetime | None = None,
    temperature_c: float = 30.0,
) -> str:
    """A Gen5 export of a 96-well plate.

    Args:
        readings: Well → quantity → value; a well not listed reads as empty (blank).
        reads: (Gen5 read label, wavelength nm, our quantity name) per read.
        plate: Plate number text.
        when: Read time (fixed default keeps the text reproducible).
        temperature_c: Chamber temperature.
    """
    when = when or datetime(2026, 1, 1, 12, 0, 0)
    lines = [
        "",
        "",
        "Software Version\t3.15.15",
        "",
        "",
        "",
        "Experiment File Path:\tC:\\dbtl\\pathway.xpt",
        "Protocol File Path:\tC:\\dbtl\\od600_product.prt",
        "",
        "",
        "",
        f"Plate Number\t{plate}",
        f"Date\t{when.month}/{when.day}/{when.year}",
        f"Time\t{when.strftime('%I:%M:%S %p').lstrip('0')}",
        "Reader Type:\tSynergy H1",
        "Reader Serial Number:\tSIM0001",
        "Reading Type\tReader",
        "",
        "Procedure Details",
        "",
        "Plate Type\t96 WELL PLATE (Use plate lid)",
        "Eject plate on completion",
    ]
    for label, wavelength, _ in reads:
        lines += [
            f"Read\t{label}",
            "\tAbsorbance Endpoint",
            "\tFull Plate",
            f"\tWavelengths:  {wavelength}",
            "\tRead Speed: Normal,  Delay: 100 msec,  Measurements/Data Point: 8",
        ]
    lines += ["", "", f"Actual Temperature:\t{temperature_c:.1f}", "", "Results"]
    lines.append("\t" + "\t".join(str(c) for c in range(1, 13)))
    for row in ROWS:
        for index, (label, wavelength, quantity) in enumerate(reads):
            values = [readings.get(f"{row}{c}", {}).get(quantity, 0.04) for c in range(1, 13)]
            cells = "\t".join(f"{v:.4f}" for v in values)
            lines.append(f"{row if index == 0 else ''}\t{cells}\t{label}:{wavelength}")
    return "\n".join(lines) + "\n"
