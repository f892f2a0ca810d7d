"""From plate readings to titers: blanks, a standard curve, per-OD normalization, dead wells.

Pure functions over ``{well: {quantity: value}}``. The product's absorbance
is blank-corrected (the mean of the medium-only wells) and converted with a
linear standard curve (``absorbance = slope × titer + intercept``); the
titer is also reported per OD600. A well whose blank-corrected OD600 is below
``dead_od`` did not grow: it is a failed measurement with that reason, never a
zero titer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from protocols.errors import ProtocolError


@dataclass(frozen=True)
class StandardCurve:
    """A linear standard curve: absorbance = slope × concentration + intercept."""

    slope_per_mg_l: float
    intercept: float = 0.0

    def concentration_mg_l(self, absorbance: float) -> float:
        """The concentration that reads as ``absorbance``."""
        return (absorbance - self.intercept) / self.slope_per_mg_l


def fit_standard_curve(
    concentrations_mg_l: Sequence[float], absorbances: Sequence[float]
) -> StandardCurve:
    """Least-squares line through standards.

    Raises:
        ProtocolError: Fewer than two distinct standards, or a flat curve.
    """
    x, y = np.asarray(concentrations_mg_l, float), np.asarray(absorbances, float)
    if len(set(x.tolist())) < 2 or len(x) != len(y):
        raise ProtocolError("a standard curve needs at least two distinct standards")
    slope, intercept = np.polyfit(x, y, 1)
    if slope <= 0:
        raise ProtocolError(f"standard curve slope {slope:g} is not positive; check the standards")
    return StandardCurve(float(slope), float(intercept))


@dataclass(frozen=True)
class WellResult:
    """One well's titer (or the reason it has none)."""

    well: str
    titer_mg_l: float | None
    od600: float | None
    titer_per_od: float | None
    failure: str | None = None


@dataclass(frozen=True)
class AssaySettings:
    """Quantity names and thresholds of the assay."""

    od_quantity: str = "absorbance_600nm"
    product_quantity: str = "absorbance_472nm"
    curve: StandardCurve = StandardCurve(slope_per_mg_l=4.0e-4, intercept=0.0)
    dead_od: float = 0.05


def titers(
    readings: Mapping[str, Mapping[str, float]],
    wells: Sequence[str],
    blanks: Sequence[str],
    settings: AssaySettings,
) -> list[WellResult]:
    """Blank-corrected titer, OD600 and titer per OD of each of ``wells``.

    Raises:
        ProtocolError: No blank wells, or a well or quantity missing from the readings.
    """
    if not blanks:
        raise ProtocolError("titers need at least one blank (medium-only) well")
    missing = [w for w in [*wells, *blanks] if w not in readings]
    if missing:
        raise ProtocolError(f"no reading for well(s) {', '.join(missing)}")
    for quantity in (settings.od_quantity, settings.product_quantity):
        absent = [w for w in [*wells, *blanks] if quantity not in readings[w]]
        if absent:
            raise ProtocolError(f"well {absent[0]} has no {quantity} reading")
    blank_od = float(np.mean([readings[w][settings.od_quantity] for w in blanks]))
    blank_product = float(np.mean([readings[w][settings.product_quantity] for w in blanks]))
    out = []
    for well in wells:
        od = readings[well][settings.od_quantity] - blank_od
        if od < settings.dead_od:
            reason = f"dead well {well}: OD600 {od:.3f} above blank (< {settings.dead_od:g})"
            out.append(WellResult(well, None, od, None, reason))
            continue
        product = readings[well][settings.product_quantity] - blank_product
        titer = max(settings.curve.concentration_mg_l(product + settings.curve.intercept), 0.0)
        out.append(WellResult(well, titer, od, titer / od))
    return out
