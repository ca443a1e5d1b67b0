"""`make bench`, the soak case: does one `conductor-mock serve` hold its memory and its throughput under a steady
mixed load for minutes?

Method: start the mock (default scenario, a free loopback port); `--clients` threads, each with its own httpx
keep-alive client and its own ASSIGNED task, loop over one round of the mix until `--seconds` have passed:
token, claim, update (`complete=false`, the same key each time), release, search (ADMIN, by state), GET the task;
one thread also merges a small scenario (`POST /_mock/scenario`, one task of its own, replaced each time) every
`--merge-every` rounds. Every 5 s the main thread reads the server's VmRSS (/proc/PID/status), the requests
answered in the last 5 s and the journal's fill (`GET /_mock/journal?limit=1`).

Warm-up: what the mock keeps is bounded, and it must be full before "flat" means anything. In this mix that is
the journal (10,000 entries, the oldest dropped first; filled after about 3,300 rounds), the verified-token memory
(1,024 tokens, then forgotten at once) and the answer memos (one entry per task: full at the first round). So the
warm-up lasts `--warmup` seconds AND until the journal is full (at most `--max-warmup` seconds); the sample that
ends it is the reference, and `--seconds` more are measured. The checks: RSS holds when every later sample is
within 20% of the reference's; throughput holds when every later 15 s window (3 samples, to smooth a shared
machine's noise) is within 20% of the first; so does the server's CPU time per request (/proc/PID/stat), which
tells a server that slows down from a machine that got busier.

    .venv/bin/python bench/soak.py [--seconds 120] [--warmup 20] [--max-warmup 600] [--clients 3] [--merge-every 20]

Exits 1 when a check misses or there is no verdict.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from mockserver import resources
from mockserver.contract.launcher import running_mock

ADMIN_KEY = {"keyId": "admin-key", "keySecret": "admin-secret"}
TASKS = ("invoice-approval-1001", "loan-review-2001", "expense-approval-3001", "contract-signoff-4001",
         "support-triage-5001")  # the default scenario's ASSIGNED tasks: one per client
SEARCH = {"searchType": "ADMIN", "states": ["ASSIGNED", "IN_PROGRESS"], "size": 15}
MERGE = """name: soak-merge
tasks:
  - taskId: soak-merge-1
    displayName: Soak merge task
    workflowId: wf-soak-merge-1
    humanTaskDef:
      assignments:
        - {assignee: {user: soak@example.com, userType: EXTERNAL_USER}, slaMinutes: 30}
    input: {round: 1}
"""
PERIOD = 5.0
WINDOW = 3  # samples per throughput window (15 s)
TOLERANCE = 0.20


@dataclass
class Counters:
    """Shared by the load threads and the sampler; every change under `lock`."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    ok: int = 0
    failed: dict[str, int] = field(default_factory=dict)

    def count(self, name: str, status: int) -> None:
        with self.lock:
            if 200 <= status < 300:
                self.ok += 1
            else:
                key = f"{name} {status}"
                self.failed[key] = self.failed.get(key, 0) + 1

    def total(self) -> int:
        with self.lock:
            return self.ok + sum(self.failed.values())


def one_round(client: httpx.Client, task: str, count: Callable[[str, int], None]) -> None:
    reply = client.post("/api/token", json=ADMIN_KEY)
    count("token", reply.status_code)
    if reply.status_code != 200:
        return
    auth = {"X-Authorization": str(reply.json()["token"])}
    for name, method, path, body in (
        ("claim", "POST", f"/api/human/tasks/{task}/claim", None),
        ("update", "POST", f"/api/human/tasks/{task}/update", {"decision": "pending"}),
        ("release", "POST", f"/api/human/tasks/{task}/release", None),
        ("search", "POST", "/api/human/tasks/search", SEARCH),
        ("get", "GET", f"/api/human/tasks/{task}", None),
    ):
        count(name, client.request(method, path, json=body, headers=auth).status_code)


def drive(base: str, task: str, merge_every: int, counters: Counters, stop: threading.Event) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        rounds = 0
        while not stop.is_set():
            one_round(client, task, counters.count)
            rounds += 1
            if merge_every and rounds % merge_every == 0:
                reply = client.post("/_mock/scenario", content=MERGE, headers={"Content-Type": "application/yaml"})
                counters.count("merge", reply.status_code)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_s(pid: int) -> float:
    """The server's CPU time so far (user + system), from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def journal_fill(base: str) -> tuple[int, int]:
    """(entries kept, capacity) of the mock's journal."""
    body = httpx.get(f"{base}/_mock/journal", params={"limit": 1}, timeout=30).json()
    return int(body["size"]), int(body["capacity"])


@dataclass(frozen=True)
class Sample:
    at_s: float
    rss_kb: int
    rps: float
    cpu_ms: float  # the server's CPU time per request answered in the last 5 s
    journal: int  # entries kept
    warm: bool  # taken after the warm-up ended (the first of them is the reference)


@dataclass(frozen=True)
class Plan:
    warmup_s: float
    max_warmup_s: float
    measured_s: float


def sample(pid: int, base: str, counters: Counters, plan: Plan) -> list[Sample]:
    samples: list[Sample] = []
    began = time.perf_counter()
    last_total, last_at, last_cpu, warm_at = counters.total(), began, cpu_s(pid), None
    while warm_at is None or last_at - warm_at < plan.measured_s:
        time.sleep(max(0.0, last_at + PERIOD - time.perf_counter()))
        now, total, cpu = time.perf_counter(), counters.total(), cpu_s(pid)
        (kept, capacity), at = journal_fill(base), now - began
        cpu_ms = 1000 * (cpu - last_cpu) / max(1, total - last_total)
        if warm_at is None and ((at >= plan.warmup_s and kept >= capacity) or at >= plan.max_warmup_s):
            warm_at = now
        samples.append(Sample(at, rss_kb(pid), (total - last_total) / (now - last_at), cpu_ms, kept,
                              warm_at is not None))
        last_total, last_at, last_cpu = total, now, cpu
    return samples


def worst_off(values: list[float], reference: float) -> float:
    return max(abs(v - reference) / reference for v in values) if values and reference else 0.0


def windows(values: list[float]) -> list[float]:
    """The mean of each full window of WINDOW samples."""
    return [sum(values[i:i + WINDOW]) / WINDOW for i in range(0, len(values) - WINDOW + 1, WINDOW)]


def verdict(name: str, worst: float, reference: str, measured: str) -> str:
    return (f"| {name} within 20% of {reference} | {'holds' if worst <= TOLERANCE else '**misses**'} "
            f"| {measured}, worst {worst:+.1%} off |")


def report(samples: list[Sample], counters: Counters) -> bool:
    print("| t s | RSS MB | req/s (last 5 s) | server CPU ms/request | journal entries | |")
    print("|---:|---:|---:|---:|---:|---|")
    for s in samples:
        phase = '' if s.warm else 'warm-up'
        print(f"| {s.at_s:.0f} | {s.rss_kb / 1024:.1f} | {s.rps:,.0f} | {s.cpu_ms:.2f} | {s.journal:,} | {phase} |")
    after = [s for s in samples if s.warm]
    ref, rest = after[0], after[1:]
    rates, costs = windows([s.rps for s in after]), windows([s.cpu_ms for s in after])
    if not rest or len(rates) < 2 or ref.journal < max(s.journal for s in samples):
        print("\nno verdict: the warm-up did not fill the journal, or too few samples after it (see --max-warmup)")
        return False
    rss_worst = worst_off([s.rss_kb for s in rest], ref.rss_kb)
    rps_worst, cpu_worst = worst_off(rates[1:], rates[0]), worst_off(costs[1:], costs[0])
    print()
    print("| check | verdict | measured |")
    print("|---|---|---:|")
    print(verdict("RSS", rss_worst, f"its value after the warm-up ({ref.rss_kb / 1024:.1f} MB at {ref.at_s:.0f} s)",
                  f"{min(s.rss_kb for s in rest) / 1024:.1f}-{max(s.rss_kb for s in rest) / 1024:.1f} MB"))
    print(verdict("throughput (15 s windows)", rps_worst, f"the first window after the warm-up ({rates[0]:,.0f} req/s)",
                  f"{min(rates[1:]):,.0f}-{max(rates[1:]):,.0f} req/s"))
    print(verdict("server CPU per request (15 s windows)", cpu_worst,
                  f"the first window after the warm-up ({costs[0]:.2f} ms)",
                  f"{min(costs[1:]):.2f}-{max(costs[1:]):.2f} ms"))
    print()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"answered 2xx: {counters.ok:,}; other: {counters.failed or 'none'}; load average at the end: {load} "
          f"on {os.cpu_count()} cores (req/s follows the machine; CPU per request much less)")
    return max(rss_worst, rps_worst, cpu_worst) <= TOLERANCE


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120.0, help="measured after the warm-up")
    parser.add_argument("--warmup", type=float, default=20.0, help="warm-up at least (and until the journal is full)")
    parser.add_argument("--max-warmup", type=float, default=600.0, help="warm-up at most")
    parser.add_argument("--clients", type=int, default=3, choices=range(1, len(TASKS) + 1))
    parser.add_argument("--merge-every", type=int, default=20, help="rounds of the first client between merges")
    args = parser.parse_args()
    counters, stop = Counters(), threading.Event()
    with running_mock(resources.default_scenario()) as mock:
        threads = [threading.Thread(target=drive, daemon=True,
                                    args=(mock.root_url, task, args.merge_every if i == 0 else 0, counters, stop))
                   for i, task in enumerate(TASKS[:args.clients])]
        for thread in threads:
            thread.start()
        try:
            samples = sample(mock.process.pid, mock.root_url, counters,
                             Plan(args.warmup, args.max_warmup, args.seconds))
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
    warm = next(s.at_s for s in samples if s.warm)
    print(f"soak: {args.clients} clients, {warm:.0f} s warm-up (the journal full), then {args.seconds:g} s measured; "
          f"a merge every {args.merge_every} rounds of client 1")
    return 0 if report(samples, counters) else 1


if __name__ == "__main__":
    raise SystemExit(main())
