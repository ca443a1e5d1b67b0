"""From a scenario file to a running app: picks the clock and id generator, builds the world, serves it."""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from mockserver import generate, resources
from mockserver.control.faults import FaultRule
from mockserver.control.journal import DEFAULT_CAPACITY
from mockserver.control.plane import ControlSettings
from mockserver.control.scenario_faults import split_faults
from mockserver.domain import Clock, IdGenerator, ManualClock, SequentialIds, SystemClock, World
from mockserver.domain.clock import FlowingClock
from mockserver.scenarios import ClockSettings, Scenario, load_scenario
from mockserver.web.app import create_app


def make_clock(settings: ClockSettings) -> Clock:
    """`mode: manual` stands still until moved; otherwise time flows (from `start`, if given) and can still be
    moved forward through the control API."""
    if settings.manual and settings.start_ms is not None:
        return ManualClock(settings.start_ms)
    return FlowingClock(settings.start_ms)


class _CountedIds:
    """Hands out another generator's ids, counting them."""

    def __init__(self, ids: IdGenerator) -> None:
        self._ids, self.count = ids, 0

    def new_id(self) -> str:
        self.count += 1
        return self._ids.new_id()


@dataclass(frozen=True)
class Loaded:
    scenario: Scenario
    clock: Clock
    build: Callable[[], World]
    faults: tuple[FaultRule, ...] = ()  # the scenario's `faults:` block, armed by the control plane


def prepare(path: Path, *, id_seed: int = 0, text: str | None = None, generate_tasks: int = 0) -> Loaded:
    """Validate the scenario (raising `ScenarioError`) and return a factory that builds its world afresh.

    `generate_tasks`: add that many generated tasks (`mockserver.generate`) to the scenario's own. They are made
    once, here, and shared by every world `build` makes (tasks are immutable). They belong to no workflow."""
    source = text if text is not None else path.read_text(encoding="utf-8")
    source, faults = split_faults(path, source)  # the loader does not know `faults:`; it gets the rest, lines kept
    counted = _CountedIds(SequentialIds(id_seed))
    first = load_scenario(path, ids=counted, now_ms=SystemClock().now_ms(), text=source)
    clock = make_clock(first.clock)
    generated = generate.generate_tasks(generate_tasks, now_ms=clock.now_ms(), seed=id_seed) if generate_tasks else ()
    if generated:
        gc.freeze()  # they live as long as the process: keep the garbage collector from walking them again and again

    def build() -> World:
        ids, fresh = SequentialIds(id_seed), make_clock(first.clock)  # a reset starts the clock over too
        if first.clock.start_ms is not None:  # same text, seed and start: the same Seed, so skip parsing (~90% of
            for _ in range(counted.count):    # a reset); draw the ids the load drew, so the token secret matches
                ids.new_id()
            seed = first.seed
        else:  # defaults depend on the time of loading
            seed = load_scenario(path, ids=ids, now_ms=fresh.now_ms(), text=source).seed
        world = World(seed, clock=fresh, ids=ids)
        if generated:  # into the store, not the seed: the workflow engine would adopt each one (~2 KB, ~13 µs)
            world.tasks.replace_all((*generated, *world.tasks.all()))
            world.workflows.track(generated)
        return world

    return Loaded(first, clock, build, faults)


def control_settings(loaded: Loaded, *, id_seed: int = 0, journal_size: int = DEFAULT_CAPACITY,
                     token: str | None = None) -> ControlSettings:
    """The control plane of a server started on `loaded`: scenarios it loads get the same id seed."""
    return ControlSettings(journal_size=journal_size, token=token, faults=loaded.faults,
                           prepare=lambda source, text: prepare(source, id_seed=id_seed, text=text))


def build_app(path: Path | None = None, *, id_seed: int = 0, generate_tasks: int = 0,
              journal_size: int = DEFAULT_CAPACITY, control_token: str | None = None,
              spec: Mapping[str, Any] | None = None) -> Starlette:
    """The app for a scenario (default: the shipped default). Pass `spec` to reuse a parsed openapi.yaml."""
    loaded = prepare(path or resources.default_scenario(), id_seed=id_seed, generate_tasks=generate_tasks)
    return create_app(loaded.build, spec=spec if spec is not None else resources.openapi_document(),
                      control=control_settings(loaded, id_seed=id_seed, journal_size=journal_size, token=control_token))
