"""The shared log on a real Redis: store URLs, the sync and append scripts, trimming at a base, drop."""

from __future__ import annotations

import asyncio

import pytest

from mockserver.replica.log import NamespaceGone, NoNamespace, SharedLog, StoreUrl, TooManyNamespaces
from tests.redis_support import RedisServer


@pytest.mark.parametrize(("text", "url", "prefix"), [
    ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0", "cm"),
    ("redis://:pw@h:1/2?prefix=team-a", "redis://:pw@h:1/2", "team-a"),
])
def test_a_store_url_keeps_redis_options_and_takes_the_prefix(text: str, url: str, prefix: str) -> None:
    store = StoreUrl.parse(text)
    assert (store.url, store.prefix) == (url, prefix)
    assert "pw" not in store.shown()


@pytest.mark.parametrize("bad", ["memory2", "http://h:1/0", "redis:///0", "redis://h:1/0?prefix=a:b",
                                 "redis://h:1/0?prefix="])
def test_a_bad_store_url_says_what_is_expected(bad: str) -> None:
    with pytest.raises(ValueError, match="expected|prefix"):
        StoreUrl.parse(bad)


def test_sync_makes_a_namespace_once_and_returns_only_what_is_new(store_url: StoreUrl) -> None:
    async def run() -> None:
        log = SharedLog(store_url)
        first = await log.sync("n", now=1, inc="", last_id="", seq=0, start='{"s":1}', max_count=5, origin="o")
        assert (first.seq, [e.kind for e in first.entries], first.entries[0].mode) == (1, ["base"], "start")
        again = await log.sync("n", now=2, inc=first.inc, last_id=first.entries[0].id, seq=1, start='{"s":2}',
                               max_count=5, origin="o")
        assert (again.inc, again.seq, again.entries) == (first.inc, 1, ())  # made once; nothing new
        added = await log.append("n", now=3, inc=first.inc, last_id=first.entries[0].id, kind="api", mode="",
                                 payload="{}", origin="o:1")
        assert [(e.n, e.kind, e.t, e.origin) for e in added.entries] == [(2, "api", 3, "o:1")]
    asyncio.run(run())


def test_a_base_trims_the_log_before_it_and_a_reset_takes_the_start(store_url: StoreUrl) -> None:
    async def run() -> None:
        log = SharedLog(store_url)
        made = await log.sync("n", now=1, inc="", last_id="", seq=0, start='{"s":1}', max_count=5, origin="o")
        after = made.entries[0].id
        for n in range(3):
            got = await log.append("n", now=2, inc=made.inc, last_id=after, kind="api", mode="", payload="{}",
                                   origin=f"o:{n}")
            after = got.entries[-1].id
        await log.append("n", now=3, inc=made.inc, last_id=after, kind="base", mode="reset", payload="",
                         origin="o:r")
        fresh = await log.sync("n", now=4, inc="", last_id="", seq=0, start=None, max_count=5, origin="p")
        assert [(e.n, e.kind, e.mode, e.payload) for e in fresh.entries] == [(5, "base", "reset", '{"s":1}')]
    asyncio.run(run())


def test_the_count_is_capped_in_the_store_and_a_drop_ends_an_incarnation(store_url: StoreUrl) -> None:
    async def run() -> None:
        log = SharedLog(store_url)
        one = await log.sync("a", now=1, inc="", last_id="", seq=0, start="{}", max_count=1, origin="o")
        with pytest.raises(TooManyNamespaces):
            await log.sync("b", now=1, inc="", last_id="", seq=0, start="{}", max_count=1, origin="o")
        with pytest.raises(NoNamespace):
            await log.sync("b", now=1, inc="", last_id="", seq=0, start=None, max_count=1, origin="o")
        assert await log.drop("a") and not await log.drop("a")
        with pytest.raises(NamespaceGone):
            await log.append("a", now=2, inc=one.inc, last_id="", kind="api", mode="", payload="{}", origin="o:1")
        again = await log.sync("a", now=3, inc=one.inc, last_id="", seq=1, start="{}", max_count=1, origin="o")
        assert again.inc != one.inc and [e.n for e in again.entries] == [1]
    asyncio.run(run())


def test_an_idle_namespace_is_dropped_only_if_still_idle(store_url: StoreUrl) -> None:
    async def run() -> None:
        log = SharedLog(store_url)
        await log.sync("a", now=100, inc="", last_id="", seq=0, start="{}", max_count=5, origin="o")
        assert await log.idle(150) == ["a"]
        assert not await log.drop("a", idle_before=50)  # used at 100, after the cut-off
        assert await log.drop("a", idle_before=150)
    asyncio.run(run())


def test_the_ticker_lease_has_one_holder(redis_server: RedisServer, store_url: StoreUrl) -> None:
    async def run() -> None:
        log = SharedLog(store_url)
        assert await log.lease("p1", 5000) and await log.lease("p1", 5000)
        assert not await log.lease("p2", 5000)
    asyncio.run(run())
