"""Where time comes from: the wall clock, a manual clock, and a flowing clock that can jump ahead."""

from __future__ import annotations

import time

import pytest

from mockserver.domain import ManualClock, SystemClock
from mockserver.domain.clock import FlowingClock

START = 1_700_000_000_000


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


def test_the_system_clock_is_the_wall_clock_in_ms() -> None:
    before = wall_ms()
    now = SystemClock().now_ms()
    assert before <= now <= wall_ms()


def test_a_manual_clock_stands_still() -> None:
    clock = ManualClock(START)
    assert clock.now_ms() == START
    time.sleep(0.002)
    assert clock.now_ms() == START


def test_a_manual_clock_advances_and_sets_when_told() -> None:
    clock = ManualClock(START)
    assert clock.advance(1_500) == START + 1_500
    assert clock.advance(0) == START + 1_500
    assert clock.set(START + 10_000) == START + 10_000
    assert clock.set(START + 10_000) == START + 10_000  # setting to now is fine
    assert clock.now_ms() == START + 10_000


def test_a_manual_clock_cannot_go_backwards() -> None:
    clock = ManualClock(START)
    with pytest.raises(ValueError, match="^a clock cannot go backwards$"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="^a clock cannot go backwards$"):
        clock.set(START - 1)
    assert clock.now_ms() == START


def test_a_flowing_clock_starts_where_told_and_flows() -> None:
    clock = FlowingClock(START)
    first = clock.now_ms()
    assert START <= first < START + 1_000
    time.sleep(0.005)
    assert clock.now_ms() >= first + 5


def test_a_flowing_clock_without_a_start_is_the_wall_clock() -> None:
    before = wall_ms()
    now = FlowingClock().now_ms()
    assert before <= now <= wall_ms()


def test_a_flowing_clock_jumps_ahead() -> None:
    clock = FlowingClock(START)
    assert clock.set(START + 60_000) == START + 60_000
    assert START + 60_000 <= clock.now_ms() < START + 61_000
    moved = clock.advance(60_000)
    assert START + 120_000 <= moved < START + 121_000
    assert moved <= clock.now_ms() < moved + 1_000


def test_a_flowing_clock_cannot_go_backwards() -> None:
    clock = FlowingClock(START)
    with pytest.raises(ValueError, match="^a clock cannot go backwards$"):
        clock.set(START - 1)
    with pytest.raises(ValueError, match="^a clock cannot go backwards$"):
        clock.advance(-10_000)
    assert START <= clock.now_ms() < START + 1_000
