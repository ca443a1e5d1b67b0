"""GET and POST /_mock/clock, and the ISO-8601 parsing behind them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mockserver import resources
from mockserver.app import build_app, create_app
from mockserver.control.timeparse import format_instant, parse_duration_ms, parse_instant_ms
from mockserver.domain import SequentialIds, SystemClock, World
from mockserver.scenarios import load_scenario
from tests.conftest import HTTP_WORLD, Api
from tests.control.support import Unchanged, assert_error

START = 1767258000000  # 2026-01-01T09:00:00Z


def test_the_clock_of_a_manual_scenario(api: Api) -> None:
    reply = api.client.get("/_mock/clock")
    assert (reply.status_code, reply.json()) == (200, {"nowMs": START, "now": "2026-01-01T09:00:00Z",
                                                       "mode": "manual"})


@pytest.mark.parametrize(("body", "now"), [
    ({"advance": "PT30M"}, START + 1_800_000),
    ({"advanceMs": 1500}, START + 1500),
    ({"advanceMs": 0}, START),
    ({"set": "2026-01-01T10:00:00Z"}, START + 3_600_000),
    ({"set": "2026-01-01T11:00:00+01:00"}, START + 3_600_000),
    ({"set": START + 42}, START + 42),
])
def test_moving_the_clock(api: Api, body: dict[str, object], now: int) -> None:
    reply = api.client.post("/_mock/clock", json=body)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"nowMs": now, "now": format_instant(now), "mode": "manual", "fired": []}
    assert api.world.clock.now_ms() == now


def test_what_fell_due_fires_and_is_journaled(tmp_path: Path) -> None:
    manual = tmp_path / "default.yaml"  # the shipped one, on a clock that stands still: no race with the wall
    text = resources.default_scenario().read_text(encoding="utf-8")
    manual.write_text(re.sub(r"(?m)^  mode: \w+", "  mode: manual", text), encoding="utf-8")
    with TestClient(build_app(manual)) as client:
        reply = client.post("/_mock/clock", json={"set": "2026-01-01T09:30:00Z"}, headers={"X-Request-Id": "tick"})
        assert reply.status_code == 200
        fired = reply.json()["fired"]
        assert [(f["taskId"], f["event"], f["result"]) for f in fired] == [
            ("invoice-approval-1001", "SLA_EXPIRED", "ESCALATED")]
        entries = client.get("/_mock/journal", params={"taskId": "invoice-approval-1001"}).json()["entries"]
        assert [(e["requestId"], e["time"]) for e in entries] == [("tick", START + 1_800_000)]


@pytest.mark.parametrize(("body", "status", "fragment"), [
    ({"advance": "PT30M", "advanceMs": 1}, 400, "Send exactly one of advanceMs, advance, set"),
    ({"advnce": "PT30M"}, 400, "Did you mean 'advance'?"),
    ({}, 400, "Send exactly one of"),
    ({"advance": "30M"}, 400, "Did you mean 'PT30M'?"),
    ({"advance": "P1M"}, 400, "years and months have no fixed length"),
    ({"advance": 30}, 400, "advance must be an ISO-8601 duration"),
    ({"advanceMs": -5}, 400, "advanceMs must be a whole number of milliseconds"),
    ({"advanceMs": True}, 400, "advanceMs must be a whole number"),
    ({"set": "2026-01-01T10:00:00"}, 400, "has no timezone"),
    ({"set": "tomorrow"}, 400, "is not an ISO-8601 date-time"),
    ({"set": [1]}, 400, "set must be an ISO-8601 date-time or epoch milliseconds"),
    ({"set": "2025-12-31T09:00:00Z"}, 409, "The clock cannot go backwards"),
    ({"set": START - 1}, 409, "The clock cannot go backwards"),
])
def test_bad_clock_moves_are_refused_and_change_nothing(api: Api, body: dict[str, object], status: int,
                                                       fragment: str) -> None:
    with Unchanged(api):
        assert_error(api.client.post("/_mock/clock", json=body), status, fragment)


def test_a_clock_body_must_be_a_json_object(api: Api) -> None:
    with Unchanged(api):
        assert_error(api.client.post("/_mock/clock", content=b"PT30M"), 400, "not valid JSON")
        assert_error(api.client.put("/_mock/clock", json={"advance": "PT1M"}), 405, "allowed: GET, POST")


@pytest.fixture
def wall_clock_client() -> Iterator[TestClient]:
    def build() -> World:
        ids = SequentialIds()
        seed = load_scenario(HTTP_WORLD, ids=ids, now_ms=0).seed
        return World(seed, clock=SystemClock(), ids=ids)

    with TestClient(create_app(build, spec=resources.openapi_document())) as client:
        yield client


def test_the_wall_clock_cannot_be_moved(wall_clock_client: TestClient) -> None:
    assert wall_clock_client.get("/_mock/clock").json()["mode"] == "system"
    assert_error(wall_clock_client.post("/_mock/clock", json={"advance": "PT1M"}), 409,
                 "The clock follows the system time")


# -- parsing ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "ms"), [
    ("PT30M", 1_800_000), ("PT1H30M", 5_400_000), ("P1D", 86_400_000), ("P1DT2H", 93_600_000), ("PT0.5S", 500),
    ("P2W", 1_209_600_000), ("pt1m", 60_000), ("PT1,5S", 1500), ("PT0S", 0),
])
def test_durations(text: str, ms: int) -> None:
    assert parse_duration_ms(text) == ms


@pytest.mark.parametrize("text", ["", "P", "PT", "P1DT", "-PT1M", "PT1X", "1 hour"])
def test_not_durations(text: str) -> None:
    with pytest.raises(ValueError, match="is not an ISO-8601 duration"):
        parse_duration_ms(text)


def test_instants_round_trip_to_the_millisecond() -> None:
    for ms in (START, START + 123, 0):
        assert parse_instant_ms(format_instant(ms)) == ms
    assert format_instant(START + 5) == "2026-01-01T09:00:00.005Z"
    with pytest.raises(ValueError, match="boolean"):
        parse_instant_ms(True)
