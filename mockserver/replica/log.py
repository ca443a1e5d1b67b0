"""The shared log in Redis (redis-py's asyncio client): one stream of changes per namespace, and the few keys
around it. Every read and every change is one round trip, a Lua script run atomically by Redis.

Keys (`P` is the store's prefix, `cm` unless the URL's `?prefix=` says otherwise; `N` a namespace):

    P:ns:N:meta    hash    inc (the namespace's incarnation), seq (its last entry's number), start (its start
                           scenario, what a reset goes back to)
    P:ns:N:log     stream  its entries: n (number), k (kind), m (mode of a base), t (time, ms), c (payload), o (origin)
    P:used         zset    namespace -> last use (ms)
    P:created      hash    namespace -> creation (ms)
    P:incarnations string  a counter: a namespace dropped and made again is a new incarnation
    P:secret       string  the root of every namespace's token signing key
    P:config       string  the options every process of one store must share (seed)
    P:ticker       string  the lease of the process that fires due timers and evicts idle namespaces

A `base` entry (a namespace's start, a reset, a load) replaces the world whole, so appending one trims the stream
up to it: the log holds the base of the world and the changes since.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from mockserver.web.errors import Refused

T = TypeVar("T")
DEFAULT_PREFIX = "cm"
TIMEOUT_S = 3.0  # a Redis call that takes longer fails with 503: never a hang

_SYNC = """
local meta, log, used, created, incs = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local name, now, inc_seen, last_id, seq_seen, start, max, origin, touch =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8], ARGV[9]
local inc = redis.call('HGET', meta, 'inc')
if not inc then
  if start == '' then return {'none'} end
  if redis.call('ZCARD', used) >= max then return {'full'} end
  inc = tostring(redis.call('INCR', incs))
  redis.call('HSET', meta, 'inc', inc, 'seq', 1, 'start', start)
  redis.call('HSET', created, name, now)
  redis.call('XADD', log, '*', 'n', 1, 'k', 'base', 'm', 'start', 't', now, 'c', start, 'o', origin)
end
if touch == '1' then redis.call('ZADD', used, now, name) end
local seq = redis.call('HGET', meta, 'seq')
if inc == inc_seen and seq == seq_seen then return {'ok', inc, seq} end
local from = '-'
if inc == inc_seen and last_id ~= '' then from = '(' .. last_id end
return {'ok', inc, seq, redis.call('XRANGE', log, from, '+')}
"""

_APPEND = """
local meta, log, used = KEYS[1], KEYS[2], KEYS[3]
local name, now, inc_seen, last_id, kind, mode, payload, origin =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local inc = redis.call('HGET', meta, 'inc')
if inc ~= inc_seen then return {'gone'} end
if mode == 'reset' then payload = redis.call('HGET', meta, 'start') end
local seq = redis.call('HINCRBY', meta, 'seq', 1)
local id = redis.call('XADD', log, '*', 'n', seq, 'k', kind, 'm', mode, 't', now, 'c', payload, 'o', origin)
if kind == 'base' then redis.call('XTRIM', log, 'MINID', id) end
if kind ~= 'tick' then redis.call('ZADD', used, now, name) end
local from = '-'
if last_id ~= '' then from = '(' .. last_id end
return {'ok', inc, tostring(seq), redis.call('XRANGE', log, from, '+')}
"""

_DROP = """
local meta, log, used, created = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local name, idle_before = ARGV[1], ARGV[2]
if redis.call('EXISTS', meta) == 0 then return 0 end
if idle_before ~= '' then
  local last = redis.call('ZSCORE', used, name)
  if last and tonumber(last) > tonumber(idle_before) then return 0 end
end
redis.call('DEL', meta, log)
redis.call('ZREM', used, name)
redis.call('HDEL', created, name)
return 1
"""

_LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""


_SCRIPTS = {"sync": _SYNC, "append": _APPEND, "drop": _DROP, "lease": _LEASE}


@dataclass(frozen=True, slots=True)
class StoreUrl:
    """`redis://[:password@]HOST:PORT/DB[?prefix=P]` (or `rediss://`, `unix://`): where the shared log lives.
    `prefix` keeps several mocks apart in one Redis database."""

    url: str  # for redis-py, without our own query parameters
    prefix: str = DEFAULT_PREFIX

    @classmethod
    def parse(cls, text: str) -> StoreUrl:
        """Raises ValueError with what is wrong and what is expected."""
        parts = urlsplit(text)
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ValueError(f"expected memory or redis://HOST:PORT/DB, got {text!r}")
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        prefix = query.pop("prefix", DEFAULT_PREFIX)
        if not prefix or not all(c.isalnum() or c in "-_." for c in prefix):
            raise ValueError(f"prefix must be letters, digits, '-', '_' or '.', got {prefix!r}")
        if parts.scheme != "unix" and not parts.hostname:
            raise ValueError(f"expected redis://HOST:PORT/DB, got {text!r} (no host)")
        return cls(urlunsplit(parts._replace(query=urlencode(query))), prefix)

    def shown(self) -> str:
        """The URL without its password, for messages."""
        parts = urlsplit(self.url)
        netloc = parts.netloc.rpartition("@")[2]
        suffix = f"?prefix={self.prefix}" if self.prefix != DEFAULT_PREFIX else ""
        return urlunsplit(parts._replace(netloc=netloc, query="")) + suffix


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    n: int
    kind: str  # base | api | control | tick
    mode: str  # of a base: start | reset | load
    t: int
    payload: str
    origin: str

    def data(self) -> Any:
        return json.loads(self.payload)


@dataclass(frozen=True, slots=True)
class Synced:
    """Where the namespace's log stands (`inc`, `seq`), and the entries the caller has not seen."""

    inc: str
    seq: int
    entries: tuple[Entry, ...] = ()


class NamespaceGone(Exception):
    """The namespace was dropped (or dropped and made again) since the caller last saw it."""


class NoNamespace(Exception):
    """No such namespace in the store (and the caller did not ask to make it)."""


class TooManyNamespaces(Exception):
    pass


def unavailable(store: StoreUrl, error: BaseException) -> Refused:
    return Refused(503, f"The mock's store is unavailable: Redis at {store.shown()} did not answer "
                   f"({type(error).__name__}: {error}). Start it, or check the server's --store",
                   store=store.shown())


class SharedLog:
    """The Redis side of every namespace. Its client is opened by the app's lifespan on the server's loop
    (`open`, `close`); a call from another event loop (a test driving the app on a loop of its own) gets a client
    of its own for that call, so no connection outlives the loop it was made on."""

    def __init__(self, store: StoreUrl, *, timeout_s: float = TIMEOUT_S) -> None:
        self.store = store
        self._timeout_s = timeout_s
        self._client: aioredis.Redis | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scripts: dict[str, Any] = {}

    def key(self, *parts: str) -> str:
        return ":".join((self.store.prefix, *parts))

    def _ns_keys(self, name: str) -> list[str]:
        return [self.key("ns", name, "meta"), self.key("ns", name, "log")]

    def _new_client(self) -> aioredis.Redis:
        return aioredis.Redis.from_url(self.store.url, socket_timeout=self._timeout_s,
                                       socket_connect_timeout=self._timeout_s, decode_responses=True)

    async def open(self) -> None:
        await self.close()
        self._client, self._loop = self._new_client(), asyncio.get_running_loop()
        # made once: a script object costs a few module lookups to make (a profile showed ~10 µs per call)
        self._scripts = {name: self._client.register_script(text) for name, text in _SCRIPTS.items()}

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._loop is asyncio.get_running_loop():
            await client.aclose()

    async def _call(self, work: Callable[[aioredis.Redis], Awaitable[T]]) -> T:
        try:
            if self._client is not None and self._loop is asyncio.get_running_loop():
                return await work(self._client)
            client = self._new_client()
            try:
                return await work(client)
            finally:
                await client.aclose()
        except (RedisError, OSError) as error:
            raise unavailable(self.store, error) from error

    async def _script(self, name: str, keys: list[str], args: list[Any]) -> Any:
        async def run(client: aioredis.Redis) -> Any:
            script = self._scripts[name] if client is self._client else client.register_script(_SCRIPTS[name])
            return await script(keys=keys, args=args, client=client)
        return await self._call(run)

    # -- the log ------------------------------------------------------------------------------------------------

    async def sync(self, name: str, *, now: int, inc: str, last_id: str, seq: int, start: str | None,
                   max_count: int, origin: str, touch: bool = True) -> Synced:
        """Where namespace `name` stands, with the entries after `last_id` (all of them for another incarnation).
        Makes the namespace from `start` (a base payload) when it does not exist and `start` is given. Raises
        `NoNamespace`, `TooManyNamespaces`."""
        keys = [*self._ns_keys(name), self.key("used"), self.key("created"), self.key("incarnations")]
        reply = await self._script("sync", keys, [name, now, inc, last_id, seq, start or "", max_count, origin,
                                                  "1" if touch else "0"])
        if reply[0] == "none":
            raise NoNamespace(name)
        if reply[0] == "full":
            raise TooManyNamespaces(name)
        return _synced(reply)

    async def append(self, name: str, *, now: int, inc: str, last_id: str, kind: str, mode: str, payload: str,
                     origin: str) -> Synced:
        """Append one entry (a `reset` base takes the namespace's start as its payload) and return the entries
        after `last_id`, the new one last. Raises `NamespaceGone` if the namespace is not incarnation `inc`."""
        keys = [*self._ns_keys(name), self.key("used")]
        reply = await self._script("append", keys, [name, now, inc, last_id, kind, mode, payload, origin])
        if reply[0] == "gone":
            raise NamespaceGone(name)
        return _synced(reply)

    # -- namespaces -----------------------------------------------------------------------------------------------

    async def drop(self, name: str, *, idle_before: int | None = None) -> bool:
        """Delete namespace `name` (only if unused since `idle_before`, when given). False if it was not there."""
        keys = [*self._ns_keys(name), self.key("used"), self.key("created")]
        return bool(await self._script("drop", keys, [name, "" if idle_before is None else idle_before]))

    async def namespaces(self) -> list[tuple[str, int, int]]:
        """Every namespace: (name, created ms, last used ms), by name."""
        async def read(client: aioredis.Redis) -> tuple[Any, Any]:
            async with client.pipeline(transaction=True) as pipe:
                pipe.zrange(self.key("used"), 0, -1, withscores=True)
                pipe.hgetall(self.key("created"))
                used, created = await pipe.execute()
                return used, created
        used, created = await self._call(read)
        return sorted((name, int(created.get(name, score)), int(score)) for name, score in used)

    async def idle(self, before_ms: int) -> list[str]:
        async def read(client: aioredis.Redis) -> list[str]:
            return [str(name) for name in await client.zrangebyscore(self.key("used"), "-inf", before_ms)]
        return await self._call(read)

    async def count(self) -> int:
        async def read(client: aioredis.Redis) -> int:
            return int(await client.zcard(self.key("used")))
        return await self._call(read)

    async def lease(self, holder: str, ttl_ms: int) -> bool:
        """Take or renew the ticker's lease for `ttl_ms`; False while another process holds it."""
        return bool(await self._script("lease", [self.key("ticker")], [holder, ttl_ms]))


def _synced(reply: list[Any]) -> Synced:
    entries = tuple(_entry(raw) for raw in reply[3]) if len(reply) > 3 else ()
    return Synced(str(reply[1]), int(reply[2]), entries)


def _entry(raw: list[Any]) -> Entry:
    entry_id, flat = raw
    fields = dict(zip(flat[::2], flat[1::2], strict=True))
    return Entry(entry_id, int(fields["n"]), fields["k"], fields.get("m", ""), int(fields["t"]), fields["c"],
                 fields.get("o", ""))


# -- start-up (synchronous: before the server starts) ---------------------------------------------------------------

def open_store(store: StoreUrl, *, config: dict[str, Any], timeout_s: float = TIMEOUT_S) -> str:
    """Check that Redis answers and holds worlds made with the same `config`, and return the root of the token
    signing keys (made on first start, kept in Redis). Raises `StoreProblem` with what to do."""
    client = redis.Redis.from_url(store.url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
                                  decode_responses=True)
    key = f"{store.prefix}:"
    try:
        with client:
            client.ping()
            wanted = json.dumps(config, sort_keys=True)
            client.set(key + "config", wanted, nx=True)
            held = client.get(key + "config")
            if held != wanted:
                raise StoreProblem(f"Redis at {store.shown()} holds worlds made with other options ({held!r}; this "
                                   f"server has {wanted}): start every process with the same --seed, or use another "
                                   "database (redis://HOST:PORT/N), another ?prefix=, or empty this one "
                                   "(redis-cli -n N FLUSHDB)")
            client.set(key + "secret", secrets.token_hex(32), nx=True)
            secret = client.get(key + "secret")
            assert isinstance(secret, str)
            return str(secret)
    except (RedisError, OSError) as error:
        raise StoreProblem(f"cannot reach Redis at {store.shown()}: {type(error).__name__}: {error}. Start one "
                           "(redis-server --port 6379) or check --store") from error


class StoreProblem(Exception):
    """The store cannot be used (unreachable, or holding other worlds): the message says what to do."""
