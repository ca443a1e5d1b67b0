"""A World: everything one running mock knows, wired together. Built from a scenario, rebuilt to reset."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mockserver.domain.clock import Clock
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


def principals_of(world: World) -> Iterable[Principal]:
    return world.directory.principals.values()
