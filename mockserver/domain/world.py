"""A World: everything one running mock knows, wired together. Built from a scenario, rebuilt to reset."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mockserver.domain.clock import Clock, FlowingClock, ManualClock
from mockserver.domain.errors import ClockBackwards, ClockNotManual
from mockserver.domain.identity import (
    ApiKey,
    AuthSettings,
    Directory,
    Permission,
    Principal,
    PrincipalKind,
    TokenService,
)
from mockserver.domain.ids import IdGenerator
from mockserver.domain.model import HumanTask, Template
from mockserver.domain.store import TaskStore, TemplateStore
from mockserver.domain.workflows import WorkflowEngine


@dataclass(frozen=True, slots=True)
class Seed:
    """The declarative content of a world (what a scenario file describes, already validated)."""

    name: str
    description: str
    auth: AuthSettings
    principals: tuple[Principal, ...] = ()
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    keys: tuple[ApiKey, ...] = ()
    templates: tuple[Template, ...] = ()
    tasks: tuple[HumanTask, ...] = ()
    workflow_defs: tuple[dict[str, Any], ...] = ()
    workflows: tuple[WorkflowStart, ...] = ()
    permissions: tuple[Permission, ...] = ()


@dataclass(frozen=True, slots=True)
class WorkflowStart:
    """A workflow a scenario starts at load."""

    name: str
    version: int | None = None
    input: dict[str, Any] | None = None
    correlation_id: str | None = None
    started_by: str | None = None
    workflow_id: str | None = None


_SYSTEM = Principal("system", PrincipalKind.APPLICATION)


def _kind_in(directory: Directory) -> Callable[[str], PrincipalKind | None]:
    def kind_of(principal_id: str) -> PrincipalKind | None:
        found = directory.get(principal_id)
        return found.kind if found is not None else None
    return kind_of


def _form_schema_in(templates: TemplateStore) -> Callable[[HumanTask], dict[str, Any] | None]:
    def form_schema(task: HumanTask) -> dict[str, Any] | None:
        form = templates.find_for_task(task)
        return form.json_schema if form is not None and form.json_schema else None
    return form_schema


class World:
    def __init__(self, seed: Seed, *, clock: Clock, ids: IdGenerator, token_secret: bytes | None = None) -> None:
        """`token_secret`: the key tokens are signed with (default: a fresh random one)."""
        self.seed = seed
        self.clock = clock
        self.ids = ids
        self.directory = Directory(seed.principals, dict(seed.groups), seed.keys, seed.permissions)
        self.tokens = TokenService(self.directory, seed.auth, clock, secret=token_secret)
        self.lock = threading.RLock()  # one lock for tasks and workflows: a change to one may change the other
        # The stores get functions of the parts they need, not bound methods of the world: no reference cycle
        # through the world, so a world a reset or load discards is freed at once (and may be frozen, see
        # `mockserver.web.collector`).
        self.templates = TemplateStore(seed.templates, clock=clock, kind_of=_kind_in(self.directory))
        self.tasks = TaskStore(seed.tasks, directory=self.directory, clock=clock, ids=ids, lock=self.lock,
                               schema_of=_form_schema_in(self.templates))
        self.workflows = WorkflowEngine(self.tasks, clock=clock, ids=ids, lock=self.lock)
        self.workflows.adopt(list(seed.tasks))
        for definition in seed.workflow_defs:
            self.workflows.register(None, definition)
        for start in seed.workflows:
            starter = self.directory.get(start.started_by or "") or seed.auth.anonymous or _SYSTEM
            self.workflows.start(starter, start.name, version=start.version, workflow_input=start.input,
                                 correlation_id=start.correlation_id, workflow_id=start.workflow_id)

    @property
    def name(self) -> str:
        return self.seed.name

    def advance_clock(self, ms: int) -> list[dict[str, Any]]:
        """Move the clock forward by `ms` and fire every timer (SLA, timeout) that fell due, in time order.
        Returns what fired, as JSON-ready dicts. Raises `ClockNotManual` for a clock that cannot be moved."""
        if ms < 0:
            raise ClockBackwards()
        with self.lock:
            return self._move_to(self.clock.now_ms() + ms)

    def set_clock(self, now_ms: int) -> list[dict[str, Any]]:
        """Move the clock to `now_ms` (never backwards), firing what fell due on the way, each at its time."""
        with self.lock:
            if now_ms < self.clock.now_ms():
                raise ClockBackwards()
            return self._move_to(now_ms)

    def _move_to(self, target: int) -> list[dict[str, Any]]:
        clock = self.clock
        if not isinstance(clock, ManualClock | FlowingClock):
            raise ClockNotManual()
        fired = []
        while timers := self.workflows.due_timers(target):
            clock.set(max(timers[0].due, clock.now_ms()))  # a flowing clock may have moved on by a millisecond
            fired.append(self.workflows.fire(timers[0]))
        clock.set(max(target, clock.now_ms()))
        return fired

    def fire_due(self) -> list[dict[str, Any]]:
        """Fire what is due now (the real clock's background loop calls this)."""
        with self.lock:
            return [self.workflows.fire(timer) for timer in self.workflows.due_timers(self.clock.now_ms())]


