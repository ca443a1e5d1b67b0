"""wrk, the load generator (Debian's package, in its own process), driven by bench/lua/load.lua: one bounded run
gives one `Sample`; a `Series` is the rounds of one case on one server, summarised by medians."""

from __future__ import annotations

import json
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from servers import BENCH, Server, call, release_leftovers

LUA = BENCH / "lua" / "load.lua"


@dataclass(frozen=True)
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    socket_errors: int


@dataclass(frozen=True)
class Load:
    """One kind of request, as wrk arguments relative to a server's API root."""

    mode: str
    path: str
    body: str = ""

    def args(self, server: Server, token: str, ids_file: Path, connections: int) -> list[str]:
        path = server.base + self.path
        if self.mode == "get":
            return ["get", token, path]
        if self.mode == "post":
            return ["post", token, path, self.body]
        return ["cycle", token, path, str(ids_file), str(connections)]


def wrk(server: Server, load: Load, token: str, ids_file: Path, connections: int, seconds: float, *,
        reset: bool = False) -> Sample:
    """One wrk run. Claim/release runs on the mock start from the same state: `reset` (POST /_mock/reset, back
    to the scenario: every task's log as short as at start) or, when resetting is too slow (1M tasks), by
    releasing what the previous run left claimed (the Redis mocks, `redis-Nw`, always release)."""
    if load.mode == "cycle" and server.name.startswith(("mock", "redis")) and (
            not reset or call(server.port, "POST", "/_mock/reset", {})[0] != 200):
        release_leftovers(server.port, token)
    return _wrk(server, load, token, ids_file, connections, seconds)


def _wrk(server: Server, load: Load, token: str, ids_file: Path, connections: int, seconds: float) -> Sample:
    argv = ["wrk", f"-t{connections}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "5s",
            "-s", str(LUA), f"http://127.0.0.1:{server.port}", "--", *load.args(server, token, ids_file, connections)]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((x for x in run.stdout.splitlines() if x.startswith("BENCH ")), None)
    if run.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({run.returncode}): {run.stderr.strip() or run.stdout.strip()}")
    data = json.loads(line.removeprefix("BENCH "))
    return Sample(rps=data["requests"] / (data["duration_us"] / 1e6), p50_ms=data["p50_us"] / 1000,
                  p99_ms=data["p99_us"] / 1000, non2xx=data["non2xx"], socket_errors=data["socket_errors"])


@dataclass
class Series:
    samples: list[Sample] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return statistics.median(s.rps for s in self.samples)

    @property
    def p50(self) -> float:
        return statistics.median(s.p50_ms for s in self.samples)

    @property
    def p99(self) -> float:
        return statistics.median(s.p99_ms for s in self.samples)

    @property
    def errors(self) -> int:
        return sum(s.non2xx + s.socket_errors for s in self.samples)
