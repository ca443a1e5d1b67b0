"""The Redis backend in `make bench`: one real redis-server (Debian's package) on a free loopback port in a
temporary folder, without persistence (`--save "" --appendonly no`: the bench measures the store, not the disk),
and two mocks on it, `serve --store redis://...` with 1 and with 2 workers, each on a database of its own that is
flushed (FLUSHDB) before the mock starts and after it stops.

Their world is the default scenario plus `WORLD_TASKS` generated tasks, exported from an in-memory mock
(`GET /_mock/scenario`; `--generate-tasks` works with the memory store only): the same scenario task for GET task,
the same search (its page full), ASSIGNED tasks to claim. Fewer than the in-memory process's, since a Redis mock
loads (and resets) a large world slowly; GET task and the indexed search do not depend on the count.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import redis
from servers import WORK, Server, call, free_port, mock_server, token_ready
from verdicts import RedisFigures
from wrk import Series

WORLD_TASKS = 1000
WORKERS = (1, 2)
REDIS_CASES = ("GET task", "claim -> release", "search (filters)")
IN_MEMORY = "mock"
INSTALL_HINT = "redis-server is missing: run `make bench` (or bash bench/install.sh) first"


def redis_name(workers: int) -> str:
    return f"redis-{workers}w"


def redis_argv(binary: str, port: int, folder: Path) -> list[str]:
    """redis-server for the bench: loopback only, no snapshot, no append-only file."""
    return [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "",
            "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning"]


def store_url(port: int, db: int) -> str:
    return f"redis://127.0.0.1:{port}/{db}"


@dataclass
class RedisServer:
    port: int
    folder: Path
    process: subprocess.Popen[bytes]

    def flush(self, db: int) -> None:
        with redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=30) as client:
            client.flushdb()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(15)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_redis(timeout: float = 30) -> RedisServer:
    binary = shutil.which("redis-server") or shutil.which("valkey-server")
    if binary is None:
        raise SystemExit(INSTALL_HINT)
    folder = Path(tempfile.mkdtemp(prefix="bench-redis-"))
    port = free_port()
    with (WORK / "redis-server.log").open("wb") as log:
        process = subprocess.Popen(redis_argv(binary, port, folder), stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    server = RedisServer(port, folder, process)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with redis.Redis(host="127.0.0.1", port=port, socket_timeout=2) as client:
                client.ping()
                return server
        except redis.RedisError:
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise SystemExit(f"redis-server did not start: see {WORK / 'redis-server.log'}") from None
            time.sleep(0.05)


def export_world(tasks: int = WORLD_TASKS) -> Path:
    """The default scenario plus `tasks` generated ones, as a scenario file (from an in-memory mock's export)."""
    source = mock_server(tasks, name="redis-world")
    try:
        source.start()
        source.wait(token_ready(source.port), 120)
        status, body = call(source.port, "GET", "/_mock/scenario?format=yaml&verify=false", timeout=120)
    finally:
        source.stop()
    if status != 200:
        raise SystemExit(f"GET /_mock/scenario answered {status}: {body[:300]!r}")
    path = WORK / "redis-world.yaml"
    path.write_bytes(body)
    return path


def redis_mock(store: RedisServer, workers: int, scenario: Path) -> Server:
    """`conductor-mock serve --store redis://... --workers N` on database `workers` (flushed first)."""
    store.flush(workers)
    server = mock_server(0, name=redis_name(workers), scenario=scenario)
    server.argv += ["--store", store_url(store.port, workers), "--workers", str(workers)]
    return server


def redis_figures(results: Mapping[tuple[str, int, str], Series], connections: int) -> RedisFigures | None:
    """GET task at `connections`: the in-memory process and the 2-worker Redis mock (None if either is absent)."""
    memory = results.get(("GET task", connections, IN_MEMORY))
    two = results.get(("GET task", connections, redis_name(2)))
    if memory is None or two is None:
        return None
    return RedisFigures(in_memory_rps=memory.rps, two_workers_rps=two.rps)


def redis_rows(results: Mapping[tuple[str, int, str], Series], connections: int,
               cases: Sequence[str] = REDIS_CASES) -> list[list[str]]:
    """Per case: the in-memory process and each Redis mock, req/s, x the in-memory process, p50, p99."""
    rows: list[list[str]] = []
    for case in cases:
        memory = results.get((case, connections, IN_MEMORY))
        for name in (IN_MEMORY, *(redis_name(w) for w in WORKERS)):
            series = results.get((case, connections, name))
            if series is None:
                continue
            times = f"{series.rps / memory.rps:.2f}x" if memory is not None and memory.rps > 0 else "-"
            rows.append([case, name, f"{series.rps:,.0f}", times, f"{series.p50:.2f}", f"{series.p99:.2f}",
                         str(series.errors)])
    return rows
