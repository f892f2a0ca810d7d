"""Prior results for a warm start: every row checked against the campaign's space first.

A row that does not fit (a missing or blank parameter, a value outside its
bounds or choices, an outcome that is not a number) is refused with its row
and column named, and nothing at all is stored. Accepted rows become
completed experiments of cycle 0 (failed when no objective was measured),
which the planner learns from at its next cycle; they count toward the
campaign's budget like any other experiment.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from datastore import Datastore, DatastoreError
from datastore import repository as repo
from datastore.imports import ImportedResult, import_results
from lab.services.actor import Actor
from lab.specs.campaign import CampaignSpec
from planner.parameters import coerce_value


def parse_results(spec: CampaignSpec, frame: pd.DataFrame, source: str) -> list[ImportedResult]:
    """Validate every row of ``frame`` against ``spec``; return the results to store.

    Raises:
        DatastoreError: ``<file>: row N (line N+1), column C: why`` for the first bad cell.
    """
    problem = spec.problem()
    missing = [p for p in problem.space.names if p not in frame.columns]
    objectives = [o.name for o in spec.objectives]
    absent = [o for o in objectives if o not in frame.columns]
    if missing or absent:
        raise DatastoreError(
            f"{source}: no column for {', '.join(missing + absent)} (parameters and objectives of "
            f"the campaign); the file has: {', '.join(map(str, frame.columns))}"
        )
    if frame.empty:
        raise DatastoreError(f"{source}: no rows to import")
    units = {o.name: o.unit for o in spec.objectives}
    outcomes = [n for n in problem.outcome_names if n in frame.columns]
    results = []
    for index, (_, row) in enumerate(frame.iterrows(), start=1):
        where = f"{source}: row {index} (line {index + 1})"
        design = {
            p.name: _cell(p, row[p.name], f"{where}, column {p.name!r}")
            for p in problem.space.parameters
        }
        measured = [
            repo.MeasuredValue(name, value, units.get(name))
            for name in outcomes
            if (value := _number(row[name], f"{where}, column {name!r}")) is not None
        ]
        complete = all(m in {v.name for v in measured} for m in objectives)
        results.append(ImportedResult(design, measured if complete else [], index))
    return results


def _cell(parameter: Any, value: Any, where: str) -> Any:
    plain = value.item() if isinstance(value, np.generic) else value  # numpy → Python
    if (
        plain is None
        or (isinstance(plain, float) and math.isnan(plain))
        or str(plain).strip() == ""
    ):
        raise DatastoreError(f"{where}: empty; every parameter needs a value")
    try:
        return coerce_value(parameter, plain)
    except ValueError as exc:
        raise DatastoreError(f"{where}: {exc}") from None


def _number(value: Any, where: str) -> float | None:
    if (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or str(value).strip() == ""
    ):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DatastoreError(f"{where}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise DatastoreError(f"{where}: {value!r} is not a finite number")
    return number


def import_file(store: Datastore, path: Path, campaign_name: str, actor: Actor) -> int:
    """Validate and store the prior results of ``path``; return how many were stored.

    Raises:
        DatastoreError: Unreadable file, unknown campaign, or a row that does not fit.
    """
    try:
        content = path.read_bytes()
        frame = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DatastoreError(f"cannot read {path}: {exc}") from exc
    with store.session() as session:
        campaign = repo.get_campaign(session, campaign_name)
        spec = CampaignSpec.model_validate(yaml.safe_load(campaign.spec_yaml))
        results = parse_results(spec, frame, path.name)
        digest = hashlib.sha256(content).hexdigest()
        import_results(
            session, campaign, results, actor=actor.name, source=str(path), source_sha256=digest
        )
    return len(results)
