"""What a handler of openapi.yaml gets (`Call`: the world, the caller and the parameters the router parsed and
validated against the spec), and the app's long polls waiting for queued tasks."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from mockserver.domain import HumanTask, Principal, Template, World
from mockserver.domain.workflows import TaskRun, Workflow


@dataclass(frozen=True, slots=True)
class Call:
    world: World
    principal: Principal | None
    path: dict[str, Any]
    query: dict[str, Any]
    body: Any
    polls: PollWaiters = field(default_factory=lambda: PollWaiters())

    @property
    def caller(self) -> Principal:
        assert self.principal is not None, "secured operations always have a principal"
        return self.principal

    def form_of(self, task: HumanTask) -> Template | None:
        return self.world.templates.find_for_task(task) if self.query.get("withTemplate") else None


Handler = Callable[[Call], Response | Awaitable[Response]]
OK = 200
NO_CONTENT = 204


class PollWaiters:
    """The long polls of one app waiting for a task type, woken as soon as a world queues a task of it.

    A poll registers its event before it looks at the queue, so a task queued in between still wakes it; the
    world's listener may run on another thread (a clock firing a retry), so it wakes the loop thread-safely.
    """

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self._watched: weakref.WeakSet[World] = weakref.WeakSet()

    async def poll(self, world: World, task_type: str, *, worker_id: str | None, domain: str | None, count: int,
                   timeout_ms: int) -> list[tuple[TaskRun, Workflow]]:
        loop = asyncio.get_running_loop()
        self._watch(world, loop)
        deadline = loop.time() + timeout_ms / 1000
        while True:
            event = asyncio.Event()
            waiting = self._waiting.setdefault(task_type, set())
            waiting.add(event)
            try:
                got = world.workflows.poll(task_type, worker_id=worker_id, domain=domain, count=count)
                remaining = deadline - loop.time()
                if got or remaining <= 0:
                    return got
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), remaining)
            finally:
                waiting.discard(event)

    def _watch(self, world: World, loop: asyncio.AbstractEventLoop) -> None:
        if world not in self._watched:
            self._watched.add(world)
            world.workflows.on_queued(lambda task_type: self._queued(loop, task_type))

    def _queued(self, loop: asyncio.AbstractEventLoop, task_type: str) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(self._wake, task_type)

    def _wake(self, task_type: str) -> None:
        for event in self._waiting.get(task_type, ()):
            event.set()
