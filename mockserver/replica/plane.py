"""One process's copy of a namespace kept in the shared log: a `ControlPlane` whose changes go through the log.

Every process applies every entry of a namespace's log, in log order, to its own copy of the world, so all copies
are equal: a change is atomic across processes because Redis orders the entries (of 32 concurrent claims spread
over processes, the first in the log wins and the others are refused where they are applied, in every process).
The proposing process answers what applying its own entry answered.

Applying is deterministic: an entry carries its time (`t`), and the worlds' clocks read it while it is applied
(`PinnedWall`); ids come from each world's sequential generator; the principal is looked up again by id.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from starlette.responses import Response

from mockserver.control.faults import FaultRule
from mockserver.control.plane import REQUEST_ID, ControlPlane, ControlSettings
from mockserver.domain import Principal, World
from mockserver.domain.errors import InvalidToken
from mockserver.replica.log import Entry, NamespaceGone, NoNamespace, SharedLog, Synced, TooManyNamespaces
from mockserver.web.errors import Refused, error_reply
from mockserver.web.handlers import perform
from mockserver.web.state import MockState

log = logging.getLogger("conductor_mock")


class PinnedWall:
    """A wall clock that reads a pinned time while an entry is applied (the entry's), the system's otherwise."""

    def __init__(self, wall: Callable[[], int]) -> None:
        self._wall = wall
        self._pinned: int | None = None

    def __call__(self) -> int:
        return self._pinned if self._pinned is not None else self._wall()

    def real(self) -> int:
        return self._wall()

    @contextlib.contextmanager
    def pinned(self, ms: int) -> Iterator[None]:
        before, self._pinned = self._pinned, ms
        try:
            yield
        finally:
            self._pinned = before


class ReplicatedPlane(ControlPlane):
    """Namespace `name` in the shared `log`. `start`: the base payload that makes it (its start scenario);
    `build(payload)`: the world and faults of a base payload; `origin`: this process, unique in the store."""

    shared = True

    def __init__(self, name: str, spec: Mapping[str, Any], settings: ControlSettings, *, log: SharedLog,
                 wall: PinnedWall, start: dict[str, str], build: Callable[[dict[str, str]], tuple[World, Any]],
                 origin: str, max_count: int, placeholder: Callable[[], World]) -> None:
        super().__init__(MockState(placeholder), spec, settings)
        self.name, self._log, self.wall = name, log, wall
        self.store_name = log.store.shown()
        self._start = json.dumps(start)
        self._build, self._origin, self._max_count = build, origin, max_count
        self._inc, self._seq, self._last_id = "", 0, ""
        self._numbers = itertools.count(1)
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._queued: asyncio.Future[None] | None = None  # the next sync's callers
        self._sending: asyncio.Task[None] | None = None  # the sync on its way

    # -- the seam (ControlPlane) ----------------------------------------------------------------------------------

    async def ready(self) -> None:
        """Catch up with the log (making the namespace on first use), and mark the namespace used.

        Concurrent calls share round trips: a call that comes while a sync is on its way (sent) waits for the next
        one, sent once that one answers. So every call still sees every change made before it began (a sync sent
        before the call began could miss one), and under load one round trip serves every call that came while
        the previous one was out (a profile of GET task under 10 connections: one sync per call was most of a
        Redis worker's time)."""
        loop = asyncio.get_running_loop()
        waiting = self._queued
        if waiting is not None and waiting.get_loop() is not loop:  # a test driving the app on a loop of its own
            await self._catch_up()
            return
        if waiting is None:
            waiting = self._queued = loop.create_future()
            waiting.add_done_callback(_retrieved)
            if self._sending is None:
                self._send_queued()
        await asyncio.shield(waiting)  # one caller's cancellation must not cancel the sync the others wait for

    def _send_queued(self) -> None:
        self._sending = asyncio.ensure_future(self._sync_queued())

    async def _sync_queued(self) -> None:
        # the callers so far are served by this sync (it is sent after they came); later ones wait for the next
        waiting, self._queued = self._queued, None
        assert waiting is not None, "a sync is sent only for callers queued for it"
        try:
            await self._catch_up()
        except BaseException as error:  # every waiter gets it; a cancelled sync cancels them
            if isinstance(error, asyncio.CancelledError):
                waiting.cancel()
                raise
            waiting.set_exception(error)
        else:
            waiting.set_result(None)
        finally:
            self._sending = None
            if self._queued is not None:
                self._send_queued()

    async def _catch_up(self) -> None:
        if self._inc:  # the namespace exists: the start scenario (a whole world) is not sent again
            try:
                await self._sync(start=None, touch=True)
                return
            except NoNamespace:  # dropped meanwhile: made again on use, as in memory
                pass
        await self._sync(start=self._start, touch=True)

    async def peek(self) -> None:
        """Catch up with the log without making the namespace or marking it used. Raises `NoNamespace`."""
        await self._sync(start=None, touch=False)

    async def _sync(self, *, start: str | None, touch: bool) -> None:
        try:
            synced = await self._log.sync(self.name, now=self.wall.real(), inc=self._inc, last_id=self._last_id,
                                          seq=self._seq, start=start, max_count=self._max_count,
                                          origin=self._origin, touch=touch)
        except TooManyNamespaces:
            raise Refused(429, f"Too many namespaces: {self._max_count} are live (the server's --max-namespaces). "
                          "Drop one with DELETE /_mock/namespaces/{name}, or wait for idle ones to be evicted",
                          namespace=self.name, maxNamespaces=self._max_count) from None
        self._apply(synced)

    async def submit(self, operation_id: str, principal: Principal | None, path: dict[str, Any],
                     query: dict[str, Any], body: Any) -> Response:
        payload = {"op": operation_id, "p": principal.id if principal is not None else None, "path": path,
                   "query": query, "body": body, "rid": REQUEST_ID.get()}
        answer: Response = await self._propose("api", "", payload)
        return answer

    async def change(self, command: str, args: Mapping[str, Any]) -> Any:
        if command == "reset":
            return await self._propose("base", "reset", {"rid": REQUEST_ID.get()})
        return await self._propose("control", "", {"command": command, "args": dict(args), "rid": REQUEST_ID.get()})

    async def load_text(self, source: Path, text: str) -> dict[str, Any]:
        await asyncio.to_thread(self.prepare_load, source, text)  # refuses a bad scenario before it is logged
        loaded: dict[str, Any] = await self._propose("base", "load", {"source": str(source), "text": text,
                                                                      "rid": REQUEST_ID.get()})
        return loaded

    async def merge_text(self, source: Path, text: str) -> dict[str, Any]:
        merged: dict[str, Any] = await self.change("merge", {"source": str(source), "text": text})
        return merged

    async def take_fault(self, operation_id: str, task_id: str | None) -> FaultRule | None:
        rule: FaultRule | None = await self.change("takeFault", {"operation": operation_id, "taskId": task_id})
        return rule

    async def tick(self) -> list[dict[str, Any]]:
        """Fire what is due now, through the log (so every process fires it once, at the same point)."""
        fired: list[dict[str, Any]] = await self._propose("tick", "", {})
        return fired

    # -- proposing and applying ---------------------------------------------------------------------------------

    async def _propose(self, kind: str, mode: str, payload: dict[str, Any]) -> Any:
        if not self._inc:
            await self.ready()
        origin = f"{self._origin}:{next(self._numbers)}"
        done = asyncio.get_running_loop().create_future()
        self._pending[origin] = done
        try:
            synced = await self._append(kind, mode, json.dumps(payload, separators=(",", ":")), origin)
            self._apply(synced)
            assert done.done(), "an appended entry is applied before its reply"
            return done.result()
        finally:
            self._pending.pop(origin, None)

    async def _append(self, kind: str, mode: str, payload: str, origin: str) -> Synced:
        for attempt in (1, 2):
            try:
                return await self._log.append(self.name, now=self.wall.real(), inc=self._inc, last_id=self._last_id,
                                              kind=kind, mode=mode, payload=payload, origin=origin)
            except NamespaceGone:  # dropped meanwhile: it is made again on use, as in memory
                if attempt == 2:
                    raise
                await self.ready()
        raise AssertionError("unreachable")

    def _apply(self, synced: Synced) -> None:
        if synced.inc != self._inc:  # a namespace made (again): its log starts with its base
            self._inc, self._seq, self._last_id = synced.inc, 0, ""
        for entry in synced.entries:
            if entry.n <= self._seq:
                continue  # applied already (by a call that caught up meanwhile)
            if entry.n != self._seq + 1 and entry.kind != "base":
                raise AssertionError(f"namespace {self.name}: entry {entry.n} follows {self._seq}")
            self._apply_entry(entry)
            self._seq, self._last_id = entry.n, entry.id

    def _apply_entry(self, entry: Entry) -> None:
        waiting = self._pending.get(entry.origin)
        data = entry.data()
        token = REQUEST_ID.set(data.get("rid"))
        try:
            with self.wall.pinned(entry.t):
                result = self._run(entry, data)
        except Exception as error:  # the same refusal in every process; the proposer answers it
            if waiting is None and not _expected(error):
                log.exception("namespace %s: applying entry %s (%s) failed", self.name, entry.n, entry.kind)
            if waiting is not None and not waiting.done():
                waiting.set_exception(error)
        else:
            if waiting is not None and not waiting.done():
                waiting.set_result(result)
        finally:
            REQUEST_ID.reset(token)

    def _run(self, entry: Entry, data: dict[str, Any]) -> Any:
        if entry.kind == "api":
            world = self.world
            principal = _principal(world, data["p"])
            return perform(world, principal, data["op"], data["path"], data["query"], data["body"])
        if entry.kind == "control":
            return self.execute(data["command"], data["args"])
        if entry.kind == "tick":
            return self.world.fire_due()
        if entry.kind == "base":
            return self._rebase(entry.mode, data)
        raise ValueError(f"unknown entry kind {entry.kind!r}")

    def _rebase(self, mode: str, data: dict[str, Any]) -> dict[str, Any]:
        world, faults = self._build(data)
        if mode == "start":
            self.restart(world, faults)
            return self.summary()
        if mode == "reset":
            self.state.replace(world)
            self.faults.replace(faults)
            self._mark("RESET", world)
            return self.summary()
        return self.commit_load((world, faults))


def _principal(world: World, principal_id: str | None) -> Principal | None:
    if principal_id is None:
        return None
    found = world.directory.get(principal_id)
    anonymous = world.tokens.settings.anonymous
    if found is None and anonymous is not None and anonymous.id == principal_id:
        return anonymous
    if found is None:
        raise InvalidToken(f"Invalid token: principal '{principal_id}' no longer exists")
    return found


def _retrieved(done: asyncio.Future[None]) -> None:
    """Marks a shared sync's error seen (its callers may all be gone)."""
    if not done.cancelled():
        done.exception()


def _expected(error: Exception) -> bool:
    """A refusal the proposer answers (4xx), not a bug."""
    reply = error_reply(error, "replica")
    return reply is not None and reply.status_code < 500
