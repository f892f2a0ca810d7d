import pytest

from datastore.errors import IllegalTransitionError
from datastore.states import PENDING, TERMINAL, ExperimentStatus, allowed_targets, check_transition

S = ExperimentStatus


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.PROPOSED, S.AWAITING_APPROVAL),
        (S.AWAITING_APPROVAL, S.APPROVED),
        (S.AWAITING_APPROVAL, S.REJECTED),
        (S.APPROVED, S.QUEUED),
        (S.QUEUED, S.RUNNING),
        (S.RUNNING, S.COMPLETED),
        (S.RUNNING, S.FAILED),
        (S.RUNNING, S.NEEDS_ATTENTION),
        (S.RUNNING, S.QUEUED),
        (S.NEEDS_ATTENTION, S.COMPLETED),
    ],
)
def test_design_transitions_are_allowed(current: S, target: S) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.PROPOSED, S.RUNNING),
        (S.AWAITING_APPROVAL, S.RUNNING),
        (S.APPROVED, S.COMPLETED),
        (S.QUEUED, S.COMPLETED),
        (S.COMPLETED, S.RUNNING),
        (S.REJECTED, S.APPROVED),
        (S.NEEDS_ATTENTION, S.RUNNING),
    ],
)
def test_shortcuts_and_reopening_are_refused(current: S, target: S) -> None:
    with pytest.raises(IllegalTransitionError, match=f"from '{current.value}' to '{target.value}'"):
        check_transition(current, target)


def test_terminal_states_have_no_way_out() -> None:
    for status in TERMINAL:
        assert allowed_targets(status) == frozenset()
    assert not PENDING & TERMINAL
    assert set(S) == PENDING | TERMINAL


def test_message_lists_allowed_targets() -> None:
    with pytest.raises(IllegalTransitionError, match="allowed from 'queued': abandoned, running"):
        check_transition(S.QUEUED, S.COMPLETED)
