"""The `clock:` block: its start and mode, and the problems of each."""

from __future__ import annotations

import pytest

from mockserver.domain import (
    AuthSettings,
)
from mockserver.scenarios import (
    ClockSettings,
)
from tests.scenarios.support import ANONYMOUS, START, load, problems_of


def test_no_clock_uses_now_and_the_system_clock() -> None:
    scenario = load("tasks: [{taskId: t}]\n", now_ms=42)

    assert scenario.clock == ClockSettings(None, manual=False)
    assert (scenario.seed.tasks[0].created_on, scenario.seed.tasks[0].updated_on) == (42, 42)
    assert scenario.seed.auth == AuthSettings(required=False, token_ttl_ms=3_600_000, anonymous=ANONYMOUS)


def test_clock_start_in_epoch_ms_with_system_mode() -> None:
    assert load("clock: {start: 1000, mode: system}\n").clock == ClockSettings(1000, manual=False)


def test_clock_start_with_offset_is_converted_to_utc() -> None:
    assert load("clock: {start: '2026-01-01T10:00:00+01:00'}\n").clock == ClockSettings(START, manual=True)


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        ("clock: {start: tomorrow}\n", "clock.start", "'tomorrow' is not an ISO-8601 date-time"),
        ("clock: {mode: manual}\n", "clock.mode", "a manual clock needs a start"),
    ],
)
def test_clock_problems_have_a_message(text: str, path: str, message: str) -> None:
    assert (path, message) in [(p.path, p.message) for p in problems_of(text)]
