"""Strategy look-up: retired options still load, with a message saying what to do."""

from __future__ import annotations

import pytest

from planner import PlannerError, get_strategy, strategy_options


def test_retired_threads_option_loads_with_a_clear_warning() -> None:
    with pytest.warns(FutureWarning, match="configure_process_threads"):
        strategy = get_strategy("bo-candidates", {"threads": 4})
    assert not hasattr(strategy, "threads")
    assert "threads" in strategy_options("bo-candidates")


def test_unknown_option_is_still_refused_by_name() -> None:
    with pytest.raises(PlannerError, match=r"no option.*thread_count"):
        get_strategy("bo-candidates", {"thread_count": 4})
