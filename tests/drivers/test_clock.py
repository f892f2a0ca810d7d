import time

import pytest

from drivers.clock import ScaledClock


def test_scaled_clock_runs_faster_on_both_reading_and_sleeping() -> None:
    clock = ScaledClock(time_scale=100.0)
    started_real, started = time.monotonic(), clock.now_s()
    clock.sleep(5.0)  # 5 scaled seconds: 50 ms of real time
    real = time.monotonic() - started_real
    assert 0.04 <= real < 1.0
    assert clock.now_s() - started == pytest.approx(real * 100.0, rel=0.2)


def test_scaled_clock_rejects_a_nonpositive_scale() -> None:
    with pytest.raises(ValueError, match="> 0"):
        ScaledClock(0.0)
