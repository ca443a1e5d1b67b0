"""Per-request CPU, allocations and collector pauses of the benchmarked calls, in process (no network, no wrk).

The mock's app (as `conductor-mock serve` builds it, wrapped the same way) and bench/ceiling.py's app are
called straight through ASGI, one request at a time, so the figures are the app's own work per request and
do not depend on what else the machine runs (CPU time, not wall time; allocation counts, not req/s). The
server in front (uvicorn + httptools + uvloop) is the same for both in the real bench and is not measured here.

    .venv/bin/python bench/perf.py [--requests 3000] [--tasks 6000] [--cprofile CASE] [--top 25]

Prints, per case and app: CPU µs per request (process time), function calls per request (cProfile), the peak
of memory allocated during a request and the bytes a request leaves held (tracemalloc),
collections per 1000 requests and the longest collector pause. `--cprofile CASE` prints the hottest functions of
the mock on that case.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import pstats
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from cases import ADMIN_KEY, SCENARIO_TASK, SEARCH  # noqa: E402

Asgi = Callable[..., Any]


@dataclass
class Pauses:
    """gc.callbacks: how many collections ran, and how long the longest took."""

    count: int = 0
    longest_s: float = 0.0
    _began: float = field(default=0.0, repr=False)

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.count += 1
            self.longest_s = max(self.longest_s, time.perf_counter() - self._began)


async def request(app: Asgi, method: str, path: str, body: bytes = b"", token: str | None = None) -> tuple[int, bytes]:
    headers = [(b"host", b"127.0.0.1"), (b"accept", b"application/json")]
    if token is not None:
        headers.append((b"x-authorization", token.encode()))
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8080)}
    sent = False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def mock_app(tasks: int, *, settle: bool = True) -> Asgi:
    """The app as `conductor-mock serve` runs it (`as_served`), or without its collector settings (`settle` false:
    no freezing, no paced collections, Python's thresholds)."""
    from mockserver.app import as_served, build_app
    from mockserver.control.drop import DropConnections
    from mockserver.web.collector import settle_new_world

    if not settle:
        return DropConnections(build_app(generate_tasks=tasks))
    return as_served(build_app(generate_tasks=tasks, settle=settle_new_world))


async def fixture(app: Asgi) -> tuple[str, list[str], dict[str, str]]:
    status, data = await request(app, "POST", "/api/token", json.dumps(ADMIN_KEY).encode())
    assert status == 200, data
    token: str = json.loads(data)["token"]
    status, data = await request(app, "POST", "/api/human/tasks/search", json.dumps(
        {"searchType": "ADMIN", "states": ["ASSIGNED"], "size": 1000}).encode(), token)
    ids = [r["taskId"] for r in json.loads(data)["results"]]
    bodies = {}
    for name, (method, path, body) in {
        "task": ("GET", f"/api/human/tasks/{SCENARIO_TASK}", b""),
        "search": ("POST", "/api/human/tasks/search", json.dumps(SEARCH).encode()),
        "token": ("POST", "/api/token", json.dumps(ADMIN_KEY).encode()),
        "claim": ("POST", f"/api/human/tasks/{ids[-1]}/claim", b""),
    }.items():
        status, data = await request(app, method, path, body, token)
        assert status == 200, (name, status, data)
        bodies[name] = data.decode()
    await request(app, "POST", f"/api/human/tasks/{ids[-1]}/release", b"", token)
    return token, ids[:-1], bodies


def case_calls(token: str, ids: list[str]) -> dict[str, Callable[[int], tuple[str, str, bytes]]]:
    search, key = json.dumps(SEARCH).encode(), json.dumps(ADMIN_KEY).encode()

    def cycle(i: int) -> tuple[str, str, bytes]:
        task = ids[(i // 2) % len(ids)]
        return "POST", f"/api/human/tasks/{task}/{'claim' if i % 2 == 0 else 'release'}", b""

    return {
        "GET task": lambda i: ("GET", f"/api/human/tasks/{SCENARIO_TASK}", b""),
        "claim -> release": cycle,
        "search (filters)": lambda i: ("POST", "/api/human/tasks/search", search),
        "token": lambda i: ("POST", "/api/token", key),
    }


@dataclass(frozen=True)
class Figures:
    cpu_us: float
    calls: float
    peak_bytes: float
    retained_bytes: float
    collections_per_1000: float
    longest_pause_ms: float


async def measure(app: Asgi, token: str, make: Callable[[int], tuple[str, str, bytes]], n: int) -> Figures:
    for i in range(min(200, n)):  # warm-up: memos filled, first-call work done
        await request(app, *make(i), token=token)
    pauses = Pauses()
    gc.callbacks.append(pauses)
    try:
        began = time.process_time()
        for i in range(n):
            status, data = await request(app, *make(i), token=token)
            if status != 200:
                raise SystemExit(f"{make(i)} answered {status}: {data[:200]!r}")
        cpu = time.process_time() - began
    finally:
        gc.callbacks.remove(pauses)
    peak, retained = await allocations(app, token, make, min(n, 500))
    calls = await function_calls(app, token, make, min(n, 500))
    return Figures(cpu / n * 1e6, calls, peak, retained, pauses.count / n * 1000, pauses.longest_s * 1000)


async def function_calls(app: Asgi, token: str, make: Callable[[int], tuple[str, str, bytes]], count: int) -> float:
    """Python and C function calls per request (cProfile's count): the work, independent of the machine's load."""
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(count):
        await request(app, *make(i), token=token)
    profiler.disable()
    return float(pstats.Stats(profiler).total_calls) / count  # type: ignore[attr-defined]


async def allocations(app: Asgi, token: str, make: Callable[[int], tuple[str, str, bytes]],
                      count: int) -> tuple[float, float]:
    """tracemalloc: the mean peak of memory allocated during one request (its transient garbage, in bytes),
    and the bytes per request still held after `count` requests (what the call keeps: logs, journal)."""
    tracemalloc.start()
    try:
        first = tracemalloc.get_traced_memory()[0]
        peaks = 0
        for i in range(count):
            current = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            await request(app, *make(i), token=token)
            peaks += tracemalloc.get_traced_memory()[1] - current
        return peaks / count, (tracemalloc.get_traced_memory()[0] - first) / count
    finally:
        tracemalloc.stop()


async def run(args: argparse.Namespace) -> None:
    import ceiling

    mock = mock_app(args.tasks, settle=not args.python_gc)
    token, ids, bodies = await fixture(mock)
    bare = ceiling.build({k: v.encode() for k, v in bodies.items()})
    calls = case_calls(token, ids)
    if args.cprofile:
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(args.requests):
            await request(mock, *calls[args.cprofile](i), token=token)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)
        return
    print(f"{args.requests} requests per case; {args.tasks} generated tasks; gc thresholds {gc.get_threshold()}")
    print("| case | app | CPU µs/request | calls/request | peak B/request | retained B/request | collections/1000 "
          "| longest pause ms |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, make in calls.items():
        for label, app in (("mock", mock), ("ceiling", bare)):
            f = await measure(app, token, make, args.requests)
            print(f"| {name} | {label} | {f.cpu_us:.1f} | {f.calls:.0f} | {f.peak_bytes:,.0f} | "
                  f"{f.retained_bytes:,.0f} | {f.collections_per_1000:.1f} | {f.longest_pause_ms:.2f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--tasks", type=int, default=6000)
    parser.add_argument("--cprofile", choices=["GET task", "claim -> release", "search (filters)", "token"])
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--python-gc", action="store_true", help="keep Python's collector settings (no freeze)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
