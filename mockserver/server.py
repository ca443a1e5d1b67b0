"""From a scenario file to a running app: picks the clock and id generator, builds the world, serves it."""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette

from mockserver import generate, resources
from mockserver.domain import Clock, ManualClock, SequentialIds, SystemClock, World
from mockserver.domain.clock import FlowingClock
from mockserver.scenarios import ClockSettings, Scenario, load_scenario
from mockserver.web.app import create_app


def make_clock(settings: ClockSettings) -> Clock:
    """`mode: manual` stands still until moved; otherwise time flows (from `start`, if given) and can still be
    moved forward through the control API."""
    if settings.manual and settings.start_ms is not None:
        return ManualClock(settings.start_ms)
    return FlowingClock(settings.start_ms)


@dataclass(frozen=True)
class Loaded:
    scenario: Scenario
    clock: Clock
    build: Callable[[], World]


def prepare(path: Path, *, id_seed: int = 0, text: str | None = None, generate_tasks: int = 0) -> Loaded:
    """Validate the scenario (raising `ScenarioError`) and return a factory that builds its world afresh.

    `generate_tasks`: add that many generated tasks (`mockserver.generate`) to the scenario's own. They are made
    once, here, and shared by every world `build` makes (tasks are immutable). They belong to no workflow."""
    source = text if text is not None else path.read_text(encoding="utf-8")
    first = load_scenario(path, ids=SequentialIds(id_seed), now_ms=SystemClock().now_ms(), text=source)
    clock = make_clock(first.clock)
    generated = generate.generate_tasks(generate_tasks, now_ms=clock.now_ms(), seed=id_seed) if generate_tasks else ()
    if generated:
        gc.freeze()  # they live as long as the process: keep the garbage collector from walking them again and again

    def build() -> World:
        ids = SequentialIds(id_seed)
        scenario = load_scenario(path, ids=ids, now_ms=clock.now_ms(), text=source)
        world = World(scenario.seed, clock=clock, ids=ids)
        if generated:  # into the store, not the seed: the workflow engine would adopt each one (~2 KB, ~13 µs)
            world.tasks.replace_all((*generated, *world.tasks.all()))
        return world

    return Loaded(first, clock, build)


def build_app(path: Path | None = None, *, id_seed: int = 0, generate_tasks: int = 0) -> Starlette:
    loaded = prepare(path or resources.default_scenario(), id_seed=id_seed, generate_tasks=generate_tasks)
    return create_app(loaded.build, spec=resources.openapi_document())
