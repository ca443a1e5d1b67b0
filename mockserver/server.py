"""From a scenario file to a running app: picks the clock and id generator, builds the world, serves it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette

from mockserver import resources
from mockserver.domain import Clock, ManualClock, SequentialIds, SystemClock, World
from mockserver.scenarios import ClockSettings, Scenario, load_scenario
from mockserver.web.app import create_app


class OffsetClock:
    """The wall clock's pace, started at a chosen instant (`clock.start` with `mode: system`)."""

    def __init__(self, start_ms: int) -> None:
        self._offset = start_ms - time.time_ns() // 1_000_000

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self._offset


def make_clock(settings: ClockSettings) -> Clock:
    if settings.start_ms is None:
        return SystemClock()
    return ManualClock(settings.start_ms) if settings.manual else OffsetClock(settings.start_ms)


@dataclass(frozen=True)
class Loaded:
    scenario: Scenario
    clock: Clock
    build: Callable[[], World]


def prepare(path: Path, *, id_seed: int = 0, text: str | None = None) -> Loaded:
    """Validate the scenario (raising `ScenarioError`) and return a factory that builds its world afresh."""
    source = text if text is not None else path.read_text(encoding="utf-8")
    first = load_scenario(path, ids=SequentialIds(id_seed), now_ms=SystemClock().now_ms(), text=source)
    clock = make_clock(first.clock)

    def build() -> World:
        ids = SequentialIds(id_seed)
        scenario = load_scenario(path, ids=ids, now_ms=clock.now_ms(), text=source)
        return World(scenario.seed, clock=clock, ids=ids)

    return Loaded(first, clock, build)


def build_app(path: Path | None = None, *, id_seed: int = 0) -> Starlette:
    loaded = prepare(path or resources.default_scenario(), id_seed=id_seed)
    return create_app(loaded.build, spec=resources.openapi_document())
