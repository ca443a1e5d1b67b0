"""A process's copy of a namespace on a real Redis (`ReplicatedPlane`): what a read sends, and how concurrent reads
share round trips without missing a change made before they began."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from starlette.applications import Starlette

from mockserver.app import build_app
from mockserver.replica.log import SharedLog, StoreUrl
from mockserver.replica.plane import ReplicatedPlane
from tests.conftest import HTTP_WORLD


@asynccontextmanager
async def running(store: StoreUrl) -> AsyncIterator[ReplicatedPlane]:
    """A process of its own (its app's lifespan opens its Redis client), and its copy of the default namespace."""
    app: Starlette = build_app(HTTP_WORLD, store=store)
    async with app.router.lifespan_context(app):
        plane = app.state.control
        assert isinstance(plane, ReplicatedPlane)
        yield plane


def recording(log: SharedLog, calls: list[dict[str, Any]], *, delay_s: float = 0.0) -> None:
    """Records each sync a read sends (and holds it `delay_s` on its way), then sends it to Redis. The app's ticker
    also syncs (a peek: it does not mark the namespace used), and is not counted."""
    real: Callable[..., Awaitable[Any]] = log.sync

    async def sync(name: str, **kwargs: Any) -> Any:
        if kwargs["touch"]:
            calls.append(kwargs)
            await asyncio.sleep(delay_s)
        return await real(name, **kwargs)

    log.sync = sync  # type: ignore[method-assign]


def test_a_read_of_a_made_namespace_does_not_send_its_start_scenario_again(store_url: StoreUrl) -> None:
    """The start scenario (a whole world: 1.4 MB for 1,000 tasks) went with every read, and GET task on such a world
    ran at 380 req/s; it goes only while the namespace may have to be made."""
    async def run() -> None:
        async with running(store_url) as plane:
            calls: list[dict[str, Any]] = []
            recording(plane._log, calls)
            await plane.ready()
            await plane.ready()
            assert [call["start"] for call in calls] == [None, None]
    asyncio.run(run())


def test_a_namespace_dropped_elsewhere_is_made_again_on_the_next_read(store_url: StoreUrl) -> None:
    async def run() -> None:
        async with running(store_url) as plane:
            before = plane.world.tasks.peek("ext")
            assert await plane._log.drop("default")
            calls: list[dict[str, Any]] = []
            recording(plane._log, calls)
            await plane.ready()
            assert [call["start"] is None for call in calls] == [True, False]  # refused, then made from the start
            assert (await plane._log.count(), plane.world.tasks.peek("ext")) == (1, before)
    asyncio.run(run())


def test_concurrent_reads_share_round_trips(store_url: StoreUrl) -> None:
    async def run() -> None:
        async with running(store_url) as plane:
            calls: list[dict[str, Any]] = []
            recording(plane._log, calls, delay_s=0.05)
            await asyncio.gather(*(plane.ready() for _ in range(20)))
            assert len(calls) == 1  # all 20 came while none was out: one sync serves them
            calls.clear()
            first = asyncio.ensure_future(plane.ready())
            await asyncio.sleep(0.01)  # that one is out now
            await asyncio.gather(first, *(plane.ready() for _ in range(20)))
            assert len(calls) == 2  # the 20 that came while it was out wait for the next one, together
    asyncio.run(run())


def test_a_read_that_comes_while_a_sync_is_out_sees_a_change_made_before_it(store_url: StoreUrl) -> None:
    """Process A's sync is on its way; process B claims; then a read begins in A. It must see the claim: the sync
    already out may have been read by Redis before the claim, so the read waits for the next one."""
    async def run() -> None:
        async with running(store_url) as a, running(store_url) as b:
            await a.ready()
            seen_by_first: list[str | None] = []
            gate = asyncio.Event()
            real: Callable[..., Awaitable[Any]] = a._log.sync

            async def slow_sync(name: str, **kwargs: Any) -> Any:
                synced = await real(name, **kwargs)  # Redis answers before B's claim ...
                await gate.wait()  # ... and the answer arrives after it
                return synced

            a._log.sync = slow_sync  # type: ignore[method-assign]

            async def first_read() -> None:
                await a.ready()
                claimant = a.world.tasks.peek("ext").claimant
                seen_by_first.append(claimant.user if claimant is not None else None)

            first = asyncio.ensure_future(first_read())
            await asyncio.sleep(0.05)
            claimed = await b.submit("assignAndClaim", b.world.directory.get("admin@example.com"),
                                     {"taskId": "ext", "userId": "alice@example.com"},
                                     {"overrideAssignment": False, "withTemplate": False}, None)
            assert claimed.status_code == 200, claimed.body
            later = asyncio.ensure_future(a.ready())
            await asyncio.sleep(0.05)
            assert not later.done()  # it does not take the answer of the sync sent before it began
            a._log.sync = real  # type: ignore[method-assign,assignment]
            gate.set()
            await asyncio.gather(first, later)
            assert seen_by_first == [None]  # the first read began before the claim: either answer is right
            claimant = a.world.tasks.peek("ext").claimant
            assert claimant is not None and claimant.user == "alice@example.com"
    asyncio.run(run())


def test_a_failed_sync_fails_every_read_that_waited_for_it_and_the_next_read_tries_again(
        store_url: StoreUrl) -> None:
    async def run() -> None:
        async with running(store_url) as plane:
            real: Callable[..., Awaitable[Any]] = plane._log.sync
            failing = True

            async def sync(name: str, **kwargs: Any) -> Any:
                await asyncio.sleep(0.02)
                if failing:
                    raise ConnectionError("Redis went away")
                return await real(name, **kwargs)

            plane._log.sync = sync  # type: ignore[method-assign]
            results = await asyncio.gather(*(plane.ready() for _ in range(5)), return_exceptions=True)
            assert [type(r) for r in results] == [ConnectionError] * 5
            failing = False
            await plane.ready()
    asyncio.run(run())


@pytest.mark.parametrize("cancelled", [0, 1])
def test_a_cancelled_read_does_not_cancel_the_sync_others_wait_for(store_url: StoreUrl, cancelled: int) -> None:
    async def run() -> None:
        async with running(store_url) as plane:
            calls: list[dict[str, Any]] = []
            recording(plane._log, calls, delay_s=0.05)
            reads = [asyncio.ensure_future(plane.ready()) for _ in range(3)]
            await asyncio.sleep(0.01)
            reads[cancelled].cancel()
            results = await asyncio.gather(*reads, return_exceptions=True)
            assert [isinstance(r, asyncio.CancelledError) for r in results] == [i == cancelled for i in range(3)]
            assert len(calls) == 1
    asyncio.run(run())
