"""Helpers of the control-plane tests: error-body checks and a snapshot of everything a control call may change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from mockserver.control.plane import ControlPlane
from mockserver.domain import HumanTask, World
from tests.conftest import Api


def control(api: Api) -> ControlPlane:
    plane: ControlPlane = api.app.state.control
    return plane


def assert_error(reply: httpx.Response, status: int, fragment: str) -> dict[str, Any]:
    """The Orkes error body, with `status` and a message containing `fragment`."""
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/json"
    body: dict[str, Any] = reply.json()
    assert body["status"] == status
    assert body["retryable"] is False
    assert body["instance"] == "conductor-mock"
    assert fragment in body["message"], body["message"]
    return body


@dataclass(frozen=True)
class Snapshot:
    world: World
    tasks: dict[str, HumanTask]
    faults: list[dict[str, Any]]
    now: int
    journal_seq: int


def snapshot(api: Api) -> Snapshot:
    plane = control(api)
    world = plane.world
    return Snapshot(world, {t.task_id: t for t in world.tasks.all()}, [f.to_json() for f in plane.faults.all()],
                    world.clock.now_ms(), plane.journal.last_seq)


class Unchanged:
    """`with Unchanged(api): ...` fails unless the world (the same object), its tasks, the faults, the clock and
    the journal are all as they were. `world_only`: leave the faults out (a fault that fires counts it)."""

    def __init__(self, api: Api, *, world_only: bool = False) -> None:
        self.api = api
        self.world_only = world_only

    def __enter__(self) -> None:
        self.before = snapshot(self.api)

    def __exit__(self, *exc: object) -> None:
        after = snapshot(self.api)
        assert after.world is self.before.world, "the world was replaced"
        if self.world_only:
            after = Snapshot(after.world, after.tasks, self.before.faults, after.now, after.journal_seq)
        assert after == self.before, "the mock changed"
