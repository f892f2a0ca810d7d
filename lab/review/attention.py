"""A person settles experiments flagged ``needs_attention`` after a crash.

The orchestrator never guesses what happened to an experiment that was
running when it died. The person who checked the instrument records the
outcome: completed (with the measured values, e.g. read from the HPLC's own
report), failed, or abandoned — with a note, in the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from datastore import Datastore, lookups
from datastore import repository as repo
from datastore.models import Campaign, Experiment
from datastore.states import ExperimentStatus
from lab.review.decisions import ReviewError, UnknownExperimentError
from lab.running.stored_specs import stored_spec

Outcome = Literal["completed", "failed", "abandoned"]


def parse_values(values: list[str]) -> dict[str, float]:
    """Turn ``["yield_pct=71.5", ...]`` into numbers.

    Raises:
        ReviewError: A value is not ``name=number``.
    """
    out = {}
    for text in values:
        name, sep, number = text.partition("=")
        try:
            out[name.strip()] = float(number)
        except ValueError:
            raise ReviewError(f"--value {text!r} must look like name=number") from None
        if not sep:
            raise ReviewError(f"--value {text!r} must look like name=number")
    return out


def resolve(
    store: Datastore,
    person: str,
    experiment_id: int,
    outcome: Outcome,
    values: Mapping[str, float],
    note: str,
    audit: Mapping[str, str] | None = None,
) -> Experiment:
    """Record what really happened to an experiment that needs attention.

    ``audit`` (where the decision came from) is added to the event's payload.

    Raises:
        ReviewError: Not flagged, missing note, or (for ``completed``) missing or
            unknown measured values; nothing is changed.
    """
    if not note.strip():
        raise ReviewError("say how you know (--note), e.g. 'read from the HPLC report'")
    with store.session() as session:
        experiment = lookups.find_experiment(session, experiment_id)
        if experiment is None:
            raise UnknownExperimentError(f"no experiment with id {experiment_id}")
        if experiment.status != ExperimentStatus.NEEDS_ATTENTION.value:
            raise ReviewError(
                f"experiment {experiment_id} is {experiment.status}; only "
                "experiments that need attention can be resolved"
            )
        campaign = lookups.campaign_of(session, experiment)
        payload = {**(audit or {}), "note": note, "resolved_by": person}
        if outcome == "completed":
            measured = _measured(
                campaign, values, repo.units_of_measurements(session, campaign.id or 0)
            )
            repo.record_result(session, experiment_id, measured, actor=person)
            repo.append_event(
                session,
                campaign.id or 0,
                "resolved",
                actor=person,
                experiment_id=experiment_id,
                payload=payload,
            )
        else:
            if values:
                raise ReviewError("--value only goes with --completed")
            repo.transition(
                session,
                experiment_id,
                ExperimentStatus(outcome),
                actor=person,
                error=note,
                payload=payload,
            )
        session.expire_all()
        return repo.get_experiment(session, experiment_id)


def _measured(
    campaign: Campaign, values: Mapping[str, float], units: Mapping[str, str | None]
) -> list[repo.MeasuredValue]:
    needed = stored_spec(campaign).problem().outcome_names
    missing = [name for name in needed if name not in values]
    if missing:
        raise ReviewError(f"give the measured {', '.join(missing)} (--value name=number)")
    unknown = [name for name in values if name not in needed and name not in units]
    if unknown:
        raise ReviewError(
            f"unknown measurement(s) {', '.join(unknown)}; this campaign "
            f"measures {', '.join(sorted(set(needed) | set(units)))}"
        )
    return [repo.MeasuredValue(name, value, units.get(name)) for name, value in values.items()]
