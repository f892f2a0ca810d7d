"""The experiment state machine.

It lives beside the tables because it is an integrity rule of the stored data:
every write of an experiment's status goes through
:func:`check_transition`, in the same transaction as its event, so an illegal
transition raises before anything is written.

```
proposed ─▶ awaiting_approval ─▶ approved ─▶ queued ─▶ running ─▶ completed
                    │                                     │
                    └─▶ rejected (reason)                 ├─▶ failed (error)
                                                          ├─▶ needs_attention
                                                          └─▶ queued (nothing reached a device)
                                  needs_attention ─▶ completed / failed / abandoned
```

Any experiment that has not finished may be ``abandoned`` (for example when
its campaign is aborted). ``needs_attention`` marks an experiment whose device
outcome is unknown after a crash: it is never re-run automatically.
"""

from __future__ import annotations

from enum import StrEnum

from datastore.errors import IllegalTransitionError


class ExperimentStatus(StrEnum):
    """Where one experiment is in its life."""

    PROPOSED = "proposed"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    ABANDONED = "abandoned"
    NEEDS_ATTENTION = "needs_attention"


S = ExperimentStatus

TERMINAL: frozenset[ExperimentStatus] = frozenset({S.COMPLETED, S.FAILED, S.REJECTED, S.ABANDONED})
"""States an experiment never leaves."""

PENDING: frozenset[ExperimentStatus] = frozenset(
    {S.PROPOSED, S.AWAITING_APPROVAL, S.APPROVED, S.QUEUED, S.RUNNING, S.NEEDS_ATTENTION}
)
"""States of an experiment that may still produce (or may have produced) a result."""

_ALLOWED: dict[ExperimentStatus, frozenset[ExperimentStatus]] = {
    S.PROPOSED: frozenset({S.AWAITING_APPROVAL, S.ABANDONED}),
    S.AWAITING_APPROVAL: frozenset({S.APPROVED, S.REJECTED, S.ABANDONED}),
    S.APPROVED: frozenset({S.QUEUED, S.ABANDONED}),
    S.QUEUED: frozenset({S.RUNNING, S.ABANDONED}),
    S.RUNNING: frozenset({S.COMPLETED, S.FAILED, S.ABANDONED, S.NEEDS_ATTENTION, S.QUEUED}),
    S.NEEDS_ATTENTION: frozenset({S.COMPLETED, S.FAILED, S.ABANDONED}),
    S.COMPLETED: frozenset(),
    S.FAILED: frozenset(),
    S.REJECTED: frozenset(),
    S.ABANDONED: frozenset(),
}


def allowed_targets(status: ExperimentStatus) -> frozenset[ExperimentStatus]:
    """Return the states an experiment in ``status`` may move to."""
    return _ALLOWED[status]


def check_transition(current: ExperimentStatus, target: ExperimentStatus) -> None:
    """Raise if ``current`` may not move to ``target``.

    Args:
        current: The experiment's stored status.
        target: The status asked for.

    Raises:
        IllegalTransitionError: With the allowed targets named.
    """
    if target not in _ALLOWED[current]:
        allowed = ", ".join(sorted(_ALLOWED[current])) or "none (final state)"
        raise IllegalTransitionError(
            f"cannot move an experiment from {current.value!r} to {target.value!r}; "
            f"allowed from {current.value!r}: {allowed}"
        )
