"""The servers of `make bench` (the mock, the ceiling, Prism), started and stopped here on free ports, and what the
load needs from a running mock (a token, tasks to claim, the bodies the ceiling replays)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cases import ADMIN_KEY, SCENARIO_TASK, SEARCH

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = ROOT / ".bench"
PRISM = WORK / "prism" / "node_modules" / ".bin" / "prism"
OPENAPI = ROOT / "openapi.yaml"


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
