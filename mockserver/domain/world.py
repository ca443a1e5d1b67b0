"""A World: everything one running mock knows, wired together. Built from a scenario, rebuilt to reset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockserver.domain.clock import Clock, ManualClock
from mockserver.domain.errors import ClockNotManual
from mockserver.domain.identity import ApiKey, AuthSettings, Directory, Principal, TokenService
from mockserver.domain.ids import IdGenerator
from mockserver.domain.model import HumanTask, Template
from mockserver.domain.store import TaskStore, TemplateStore


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


class World:
    def __init__(self, seed: Seed, *, clock: Clock, ids: IdGenerator) -> None:
        self.seed = seed
        self.clock = clock
        self.ids = ids
        self.directory = Directory(seed.principals, dict(seed.groups), seed.keys)
        self.tokens = TokenService(self.directory, seed.auth, clock, ids)
        self.tasks = TaskStore(seed.tasks, directory=self.directory, clock=clock, ids=ids)
        self.templates = TemplateStore(seed.templates, clock=clock)

    @property
    def name(self) -> str:
        return self.seed.name

    def advance_clock(self, ms: int) -> list[dict[str, Any]]:
        """Move a manual clock forward by `ms` and fire every timer (SLA, timeout) that fell due, in time
        order. Returns what fired, as JSON-ready dicts. Raises `ClockNotManual` for a system clock."""
        return self.set_clock(self.clock.now_ms() + ms)

    def set_clock(self, now_ms: int) -> list[dict[str, Any]]:
        """Move a manual clock to `now_ms` (never backwards: `ValueError`), firing what fell due."""
        if not isinstance(self.clock, ManualClock):
            raise ClockNotManual()
        self.clock.set(now_ms)
        return []


