"""`make bench`: how fast the mock is, beside the bare-framework ceiling and Stoplight Prism, and at 10k-1M tasks.

Everything runs on 127.0.0.1, on free ports this script picks, with wrk (Debian's package) as the load
generator in its own process. Every server is started and stopped here; every wrk run is bounded in time.

1. Side by side. Three servers, the same requests, in the same run:
   * mock    - `conductor-mock serve` (the default scenario plus generated tasks);
   * ceiling - bench/ceiling.py: bare starlette routes on uvicorn, run the same way, answering each call
               with the bytes the mock answered it with;
   * prism   - `prism mock openapi.yaml` (Stoplight Prism, static examples).
   Cases: GET a task; claim -> release cycles (each wrk connection claims, then releases, its own tasks);
   a search with filters; the token call. At 1 and 10 connections, after a warm-up, rounds interleaved
   across the servers (so the machine's noise hits all three alike); the table gives the median round.
2. Scale. The mock with 10k, 100k and 1M generated tasks (and none, for the baseline): start-up time,
   resident memory per task, and the latency of GET, claim -> release and several searches at 1 connection.

    .venv/bin/python bench/run.py [--quick] [--only side|scale] [--rounds 5] [--seconds 3]

Prints Markdown tables and the targets, and writes them to .bench/last-run.md (and .json).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = ROOT / ".bench"
LUA = BENCH / "lua" / "load.lua"
PRISM = WORK / "prism" / "node_modules" / ".bin" / "prism"
OPENAPI = ROOT / "openapi.yaml"

ADMIN_KEY = {"keyId": "admin-key", "keySecret": "admin-secret"}
ALICE_KEY = {"keyId": "alice-key", "keySecret": "alice-secret"}
SCENARIO_TASK = "invoice-approval-1001"  # a task of scenarios/default.yaml: the same bytes at every size
SEARCH_USER = {"user": "user00007@example.com", "userType": "EXTERNAL_USER"}  # exists at every generated size

# The search of the side-by-side table: a person's open work, as a task-list UI asks for it.
SEARCH = {"searchType": "ADMIN", "states": ["ASSIGNED", "IN_PROGRESS"], "assignees": [SEARCH_USER], "size": 15}
# The searches of the scale table: one per indexed filter, one combined, and an INBOX one.
SCALE_SEARCHES: dict[str, tuple[dict[str, Any], bool]] = {
    "search: assignee + states": (SEARCH, False),
    "search: claimant + state": ({"searchType": "ADMIN", "claimants": [SEARCH_USER], "states": ["IN_PROGRESS"],
                                  "size": 15}, False),
    "search: state": ({"searchType": "ADMIN", "states": ["ASSIGNED"], "size": 15}, False),
    "search: definition": ({"searchType": "ADMIN", "definitionNames": ["loan_review"], "size": 15}, False),
    "search: INBOX (alice)": ({"searchType": "INBOX", "states": ["ASSIGNED"], "size": 15}, True),
}

TARGET_CEILING = 0.70
TARGET_PRISM = 2.0
TARGET_P99_MS = 5.0
TARGET_FLAT = 1.20
TARGET_BYTES_PER_TASK = 2048
TARGET_STARTUP_100K_S = 3.0


# -- servers ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def call(port: int, method: str, path: str, body: Any = None, token: str | None = None,
         timeout: float = 30) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["X-Authorization"] = token
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass
class Server:
    name: str
    argv: list[str]
    base: str  # the API root: "/api" for mock and ceiling; Prism serves the paths at the root
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0

    def start(self) -> None:
        log = (WORK / f"{self.name}.log").open("wb")
        self.started = time.perf_counter()
        self.process = subprocess.Popen([*self.argv, *self.port_args()], stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, cwd=ROOT, start_new_session=True)

    def port_args(self) -> list[str]:
        return ["-p", str(self.port), "-h", "127.0.0.1"] if self.name == "prism" else ["--port", str(self.port)]

    def wait(self, probe: Callable[[], bool], timeout: float) -> float:
        """Seconds from start until `probe()` holds."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited with {self.process.returncode}: see {WORK / self.name}.log")
            try:
                if probe():
                    return time.perf_counter() - self.started
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit(f"{self.name} was not ready after {timeout:.0f} s: see {WORK / self.name}.log")

    def rss_bytes(self) -> int:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # its own session: the server and nothing else
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)


def mock_server(generate: int, name: str = "mock", scenario: Path | None = None) -> Server:
    """`conductor-mock serve`, as a user starts it (uvicorn's defaults, no access log)."""
    chosen = ["--scenario", str(scenario)] if scenario is not None else []
    return Server(name, [sys.executable, "-m", "mockserver", "serve", "--log-level", "warning",
                         "--generate-tasks", str(generate), *chosen], "/api")


def manual_clock_scenario() -> Path:
    """scenarios/default.yaml with its clock stopped (`mode: manual`). With a flowing clock the workflow engine
    looks at every task, every second, for due SLAs: that scan, not the store, would be what the scale table
    measured (it gets its own row)."""
    text = (ROOT / "scenarios" / "default.yaml").read_text(encoding="utf-8")
    stopped, count = re.subn(r"(?m)^(\s+mode:\s*)\w+", r"\1manual", text, count=1)
    path = WORK / "default-manual-clock.yaml"
    path.write_text(stopped if count else text, encoding="utf-8")
    return path


# -- the mock's answers, and the ceiling built from them ------------------------------------------------------


@dataclass
class Fixture:
    """What the load needs from a running mock: a token, the tasks to claim, the bodies to replay."""

    token: str
    claimable: list[str]
    bodies: dict[str, str]


def token_ready(port: int) -> Callable[[], bool]:
    """Ready: the mock issues tokens (the scenario and every generated task are loaded by then)."""
    return lambda: call(port, "POST", "/api/token", ADMIN_KEY, timeout=2)[0] == 200


def token_of(port: int, key: dict[str, str]) -> str:
    status, body = call(port, "POST", "/api/token", key)
    if status != 200:
        raise SystemExit(f"POST /api/token answered {status}: {body[:200]!r}")
    token: str = json.loads(body)["token"]
    return token


def claimable_tasks(port: int, token: str, wanted: int) -> list[str]:
    """ASSIGNED tasks an admin may claim, newest first (pages of 1000)."""
    ids: list[str] = []
    start = 0
    while len(ids) < wanted:
        status, body = call(port, "POST", "/api/human/tasks/search", {"searchType": "ADMIN", "states": ["ASSIGNED"],
                                                                      "start": start, "size": 1000}, token)
        results = json.loads(body)["results"] if status == 200 else []
        if not results:
            break
        ids += [r["taskId"] for r in results]
        start += len(results)
    return ids[:wanted]


def fixture(port: int, claim_pool: int) -> Fixture:
    token = token_of(port, ADMIN_KEY)
    pool = claimable_tasks(port, token, claim_pool + 1)
    if len(pool) < 2:
        raise SystemExit("the mock has no ASSIGNED task to claim")
    probe = pool.pop()
    bodies: dict[str, str] = {}
    for name, (method, path, body) in {
        "task": ("GET", f"/api/human/tasks/{SCENARIO_TASK}", None),
        "search": ("POST", "/api/human/tasks/search", SEARCH),
        "token": ("POST", "/api/token", ADMIN_KEY),
        "claim": ("POST", f"/api/human/tasks/{probe}/claim", None),
    }.items():
        status, data = call(port, method, path, body, token)
        if status != 200:
            raise SystemExit(f"{method} {path} answered {status}: {data[:300]!r}")
        bodies[name] = data.decode()
    call(port, "POST", f"/api/human/tasks/{probe}/release", None, token)
    return Fixture(token, pool, bodies)


def release_leftovers(port: int, token: str) -> None:
    """wrk stops mid-cycle: release what its last claims left claimed, so the next run finds every task free."""
    status, body = call(port, "POST", "/api/human/tasks/search", {
        "searchType": "ADMIN", "states": ["IN_PROGRESS"], "size": 1000,
        "claimants": [{"user": "admin@example.com", "userType": "CONDUCTOR_USER"}]}, token)
    for task in json.loads(body)["results"] if status == 200 else []:
        call(port, "POST", f"/api/human/tasks/{task['taskId']}/release", None, token)


# -- wrk --------------------------------------------------------------------------------------------------------


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
    releasing what the previous run left claimed."""
    if load.mode == "cycle" and server.name.startswith("mock") and (
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


# -- the run -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    rounds: int
    seconds: float
    warmup: float
    connections: tuple[int, ...]
    side_tasks: int
    claim_pool: int
    sizes: tuple[int, ...]
    scale_rounds: int
    scale_seconds: float


SIDE_CASES: dict[str, Load] = {
    "GET task": Load("get", f"/human/tasks/{SCENARIO_TASK}"),
    "claim -> release": Load("cycle", "/human/tasks"),
    "search (filters)": Load("post", "/human/tasks/search", json.dumps(SEARCH)),
    "token": Load("post", "/token", json.dumps(ADMIN_KEY)),
}


class Report:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.data: dict[str, Any] = {}

    def say(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.say("| " + " | ".join(header) + " |")
        self.say("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
        for row in rows:
            self.say("| " + " | ".join(row) + " |")
        self.say()


def side_by_side(settings: Settings, report: Report) -> dict[str, Any]:
    mock = mock_server(settings.side_tasks)
    prism = Server("prism", [str(PRISM), "mock", str(OPENAPI), "--verboseLevel", "warn"], "")
    servers = [mock]
    try:
        mock.start()
        prism.start()
        mock.wait(token_ready(mock.port), 120)
        fx = fixture(mock.port, settings.claim_pool)
        bodies_file = WORK / "bodies.json"
        bodies_file.write_text(json.dumps(fx.bodies), encoding="utf-8")
        ids_file = WORK / "claimable.txt"
        ids_file.write_text("\n".join(fx.claimable) + "\n", encoding="utf-8")
        ceiling = Server("ceiling", [sys.executable, str(BENCH / "ceiling.py"), "--bodies", str(bodies_file)], "/api")
        servers = [mock, ceiling, prism]
        ceiling.start()
        ceiling.wait(lambda: call(ceiling.port, "GET", f"/api/human/tasks/{SCENARIO_TASK}", timeout=2)[0] == 200, 60)
        prism.wait(lambda: call(prism.port, "GET", f"/human/tasks/{SCENARIO_TASK}", token="x", timeout=2)[0] == 200,
                   120)
        report.say(f"GET task body: {len(fx.bodies['task'])} bytes; search page: {len(fx.bodies['search'])} bytes "
                   f"({len(json.loads(fx.bodies['search'])['results'])} tasks); claim pool: {len(fx.claimable)} tasks")
        report.say()
        results: dict[tuple[str, int, str], Series] = {}
        for case, load in SIDE_CASES.items():
            for connections in settings.connections:
                for server in servers:
                    wrk(server, load, fx.token, ids_file, connections, settings.warmup, reset=True)
                for _ in range(settings.rounds):
                    for server in servers:
                        sample = wrk(server, load, fx.token, ids_file, connections, settings.seconds, reset=True)
                        results.setdefault((case, connections, server.name), Series()).samples.append(sample)
                line = ", ".join(f"{s.name} {results[(case, connections, s.name)].rps:,.0f}/s" for s in servers)
                print(f"  {case} @ {connections}: {line}", flush=True)
    finally:
        for server in servers + [prism]:
            server.stop()

    rows = []
    for (case, connections, name), series in results.items():
        rows.append([case, str(connections), name, f"{series.rps:,.0f}", f"{series.p50:.2f}", f"{series.p99:.2f}",
                     str(series.errors)])
    report.say("### Side by side (median of the rounds)")
    report.say()
    report.table(["case", "conns", "server", "req/s", "p50 ms", "p99 ms", "non-2xx"], rows)

    ratio_rows = []
    checks: list[tuple[str, bool, str]] = []
    for case in SIDE_CASES:
        for connections in settings.connections:
            m, c, p = (results[(case, connections, n)] for n in ("mock", "ceiling", "prism"))
            ratio_rows.append([case, str(connections), f"{m.rps / c.rps:.0%}", f"{m.rps / p.rps:.2f}x",
                               f"{m.p99:.2f}"])
            if connections == max(settings.connections):
                checks.append((f"p99 <= {TARGET_P99_MS:g} ms at {connections} connections: {case}",
                               m.p99 <= TARGET_P99_MS, f"{m.p99:.2f} ms"))
            if case == "GET task":
                checks.append((f"GET task >= {TARGET_CEILING:.0%} of the ceiling @ {connections}",
                               m.rps / c.rps >= TARGET_CEILING, f"{m.rps / c.rps:.0%}"))
                checks.append((f"GET task >= {TARGET_PRISM:g}x Prism @ {connections}", m.rps / p.rps >= TARGET_PRISM,
                               f"{m.rps / p.rps:.2f}x"))
    report.say("### Ratios (throughput)")
    report.say()
    report.table(["case", "conns", "mock / ceiling", "mock / Prism", "mock p99 ms"], ratio_rows)
    return {"results": {f"{k[0]}|{k[1]}|{k[2]}": [asdict(s) for s in v.samples] for k, v in results.items()},
            "checks": checks}


def scale(settings: Settings, report: Report) -> dict[str, Any]:
    rows: list[list[str]] = []
    by_size: dict[int, dict[str, Series]] = {}
    baseline_rss = 0
    startup: dict[int, float] = {}
    per_task: dict[int, float] = {}
    scenario = manual_clock_scenario()
    for size in (0, *settings.sizes):
        server = mock_server(size, name=f"mock-{size}", scenario=scenario)
        try:
            server.start()
            startup[size] = server.wait(token_ready(server.port), 600)
            rss = server.rss_bytes()
            if size == 0:
                baseline_rss = rss
                report.say(f"baseline (scenario only): start-up {startup[0]:.2f} s, RSS {rss / 2**20:.0f} MiB")
                report.say()
                continue
            per_task[size] = (rss - baseline_rss) / size
            token = token_of(server.port, ADMIN_KEY)
            alice = token_of(server.port, ALICE_KEY)
            ids_file = WORK / f"claimable-{size}.txt"
            ids_file.write_text("\n".join(claimable_tasks(server.port, token, 3000)) + "\n", encoding="utf-8")
            loads: dict[str, tuple[Load, str]] = {"GET task": (Load("get", f"/human/tasks/{SCENARIO_TASK}"), token)}
            for name, (body, as_alice) in SCALE_SEARCHES.items():
                loads[name] = (Load("post", "/human/tasks/search", json.dumps(body)), alice if as_alice else token)
            loads["claim -> release"] = (Load("cycle", "/human/tasks"), token)  # last: it lengthens task logs
            series: dict[str, Series] = {}
            for name, (load, who) in loads.items():
                wrk(server, load, who, ids_file, 1, settings.warmup)
                series[name] = Series([wrk(server, load, who, ids_file, 1, settings.scale_seconds)
                                       for _ in range(settings.scale_rounds)])
            by_size[size] = series
            cells = [f"{s.p50:.2f} / {s.p99:.2f}" for s in series.values()]
            rows.append([f"{size:,}", f"{startup[size]:.2f}", f"{rss / 2**20:,.0f}", f"{per_task[size]:,.0f}", *cells])
            print(f"  {size:,} tasks: start-up {startup[size]:.2f} s, {per_task[size]:,.0f} B/task", flush=True)
        finally:
            server.stop()

    names = list(next(iter(by_size.values())).keys()) if by_size else []
    if settings.sizes:
        rows.append(flowing_clock_row(max(settings.sizes), names, settings))
    report.say("### Scale: the mock with generated tasks (1 connection; p50 / p99 in ms)")
    report.say()
    report.table(["tasks", "start-up s", "RSS MiB", "bytes/task", *names], rows)

    checks: list[tuple[str, bool, str]] = []
    small, large = min(by_size, default=0), max(by_size, default=0)
    if small != large:
        flat_rows = []
        for name in names:
            ratio = by_size[large][name].p50 / by_size[small][name].p50
            flat_rows.append([name, f"{by_size[small][name].p50:.2f}", f"{by_size[large][name].p50:.2f}",
                              f"{ratio:.2f}"])
            inbox = "INBOX" in name
            checks.append((f"p50 at {large:,} within {TARGET_FLAT - 1:.0%} of p50 at {small:,}: {name}"
                           + (" (not a target: INBOX holds every open task)" if inbox else ""),
                           ratio <= TARGET_FLAT or inbox, f"x{ratio:.2f}"))
        report.say(f"### Flatness: p50 at {large:,} tasks / p50 at {small:,} tasks")
        report.say()
        report.table(["case", f"p50 ms @ {small:,}", f"p50 ms @ {large:,}", "ratio"], flat_rows)
    for size, value in per_task.items():
        checks.append((f"<= {TARGET_BYTES_PER_TASK} bytes per idle task @ {size:,}", value <= TARGET_BYTES_PER_TASK,
                       f"{value:,.0f} B"))
    if 100_000 in startup:
        checks.append((f"start-up with 100,000 tasks < {TARGET_STARTUP_100K_S:g} s",
                       startup[100_000] < TARGET_STARTUP_100K_S, f"{startup[100_000]:.2f} s"))
    return {"startup_s": startup, "bytes_per_task": per_task, "checks": checks,
            "latency": {str(n): {k: [asdict(x) for x in v.samples] for k, v in s.items()} for n, s in by_size.items()}}


def flowing_clock_row(size: int, names: list[str], settings: Settings) -> list[str]:
    """The largest size once more, on the shipped scenario as it is (its clock flows, so the workflow engine
    scans every task for due SLAs every second): GET and the first search only."""
    server = mock_server(size, name=f"mock-{size}-flowing")
    try:
        server.start()
        started = server.wait(token_ready(server.port), 600)
        token = token_of(server.port, ADMIN_KEY)
        first_search = next(iter(SCALE_SEARCHES.values()))[0]
        measured = {"GET task": Load("get", f"/human/tasks/{SCENARIO_TASK}"),
                    next(iter(SCALE_SEARCHES)): Load("post", "/human/tasks/search", json.dumps(first_search))}
        cells: dict[str, str] = {}
        for name, load in measured.items():
            wrk(server, load, token, WORK / "unused.txt", 1, settings.warmup)
            series = Series([wrk(server, load, token, WORK / "unused.txt", 1, settings.scale_seconds)
                             for _ in range(settings.scale_rounds)])
            cells[name] = f"{series.p50:.2f} / {series.p99:.2f}"
        return [f"{size:,} (shipped scenario: flowing clock)", f"{started:.2f}", "", "",
                *(cells.get(name, "-") for name in names)]
    finally:
        server.stop()


def machine() -> list[str]:
    def version(argv: list[str]) -> str:
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    import starlette
    import uvicorn

    extras = [name for name in ("uvloop", "httptools") if _importable(name)]
    return [f"CPU: {cpu}, {os.cpu_count()} logical cores; {platform.system()} {platform.release()}",
            f"Python {platform.python_version()}, uvicorn {uvicorn.__version__} "
            f"({', '.join(extras) if extras else 'asyncio loop, h11'}), starlette {starlette.__version__}",
            f"wrk: {version(['wrk', '--version'])}; node {version(['node', '--version'])}; "
            f"prism {version([str(PRISM), '--version'])}"]


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["side", "scale"])
    parser.add_argument("--quick", action="store_true", help="one short round of everything, 10k tasks at most")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None or not PRISM.exists():
        raise SystemExit("wrk or Prism is missing: run `make bench` (or bash bench/install.sh) first")
    WORK.mkdir(exist_ok=True)
    sizes = tuple(int(s) for s in args.sizes.split(","))
    settings = Settings(rounds=1 if args.quick else args.rounds, seconds=1 if args.quick else args.seconds,
                        warmup=1 if args.quick else 2, connections=(1, 10), side_tasks=6000, claim_pool=3000,
                        sizes=tuple(s for s in sizes if s <= 10_000) or (10_000,) if args.quick else sizes,
                        scale_rounds=1 if args.quick else 3, scale_seconds=1 if args.quick else 2)
    report = Report()
    began = time.perf_counter()
    report.say("## conductor-mock benchmark")
    report.say()
    for line in machine():
        report.say(f"* {line}")
    report.say(f"* {settings.rounds} rounds x {settings.seconds:g} s after a {settings.warmup:g} s warm-up "
               f"(side by side); {settings.scale_rounds} x {settings.scale_seconds:g} s (scale)")
    report.say()
    data: dict[str, Any] = {"settings": asdict(settings)}
    checks: list[tuple[str, bool, str]] = []
    if args.only in (None, "side"):
        data["side"] = side_by_side(settings, report)
        checks += data["side"]["checks"]
    if args.only in (None, "scale"):
        data["scale"] = scale(settings, report)
        checks += data["scale"]["checks"]
    report.say("### Targets")
    report.say()
    report.table(["target", "holds", "measured"], [[name, "yes" if ok else "**NO**", value]
                                                   for name, ok, value in checks])
    report.say(f"(whole run: {time.perf_counter() - began:.0f} s)")
    (WORK / "last-run.md").write_text("\n".join(report.lines) + "\n", encoding="utf-8")
    (WORK / "last-run.json").write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
