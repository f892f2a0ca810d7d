"""Run an SBML pathway model with libRoadRunner (the optional ``sbml`` extra).

libRoadRunner 2.7.0 is the newest release whose wheel accepts numpy < 2
(2.8 and later require numpy 2, which opentrons 8.8 does not allow), so that
is the pinned version. Without it, :func:`run_sbml` says how to install it;
the built-in model is integrated with SciPy either way
(:func:`simulators.pathway.kinetics.simulate`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class SbmlUnavailableError(RuntimeError):
    """libRoadRunner is not installed."""


def run_sbml(
    document: str, parameters: Mapping[str, float], duration_h: float, points: int = 241
) -> dict[str, float]:
    """Simulate an SBML model and return every species' concentration at the end.

    Args:
        document: SBML text.
        parameters: Global parameters to set first (e.g. enzyme levels ``E1``…).
        duration_h: Simulated time (the model's time unit is hours).
        points: Output points (accuracy is set by the integrator's tolerances).

    Raises:
        SbmlUnavailableError: libRoadRunner is not installed.
        ValueError: The document does not load, or a parameter is not in the model.
    """
    runner = _load(document)
    known = set(runner.model.getGlobalParameterIds())
    for name, value in parameters.items():
        if name not in known:
            raise ValueError(f"SBML model has no global parameter {name!r}")
        runner[name] = value
    integrator = runner.getIntegrator()
    integrator.setValue("relative_tolerance", 1e-8)
    integrator.setValue("absolute_tolerance", 1e-10)
    result = runner.simulate(0.0, duration_h, points)
    species = runner.model.getFloatingSpeciesIds()
    return {s: float(result[f"[{s}]"][-1]) for s in species}


def _load(document: str) -> Any:
    try:
        import roadrunner
    except ImportError:
        raise SbmlUnavailableError(
            "SBML simulation needs libRoadRunner: pip install -c constraints.txt "
            "'dbtl[sbml]' (libroadrunner 2.7.0, the last release for numpy < 2)"
        ) from None
    try:
        return roadrunner.RoadRunner(document)
    except RuntimeError as exc:
        raise ValueError(f"SBML model does not load: {str(exc).splitlines()[0]}") from None
