"""`make bench`, the soak case: does one `conductor-mock serve` hold its memory and its throughput under a steady
mixed load for minutes?

Method: start the mock (default scenario, a free loopback port); `--clients` threads, each with its own httpx
keep-alive client and its own ASSIGNED task, loop over one round of the mix until `--seconds` have passed:
token, claim, update (`complete=false`, the same key each time), release, search (ADMIN, by state), GET the task;
one thread also merges a small scenario (`POST /_mock/scenario`, one task of its own, replaced each time) every
`--merge-every` rounds. Every 5 s the main thread reads the server's VmRSS (/proc/PID/status) and the requests
answered in the last 5 s. After `--warmup` seconds the first sample is the reference: the checks hold when every
later RSS sample and every later 5 s throughput is within 20% of it.

    .venv/bin/python bench/soak.py [--seconds 120] [--warmup 20] [--clients 3] [--merge-every 20]
"""

from __future__ import annotations

import argparse
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


@dataclass(frozen=True)
class Sample:
    at_s: float
    rss_kb: int
    rps: float


def sample(pid: int, counters: Counters, seconds: float) -> list[Sample]:
    samples: list[Sample] = []
    began = time.perf_counter()
    last_total, last_at = counters.total(), began
    while (now := time.perf_counter()) - began < seconds:
        time.sleep(max(0.0, last_at + PERIOD - now))
        now, total = time.perf_counter(), counters.total()
        samples.append(Sample(now - began, rss_kb(pid), (total - last_total) / (now - last_at)))
        last_total, last_at = total, now
    return samples


def within(values: list[float], reference: float) -> tuple[bool, float]:
    worst = max(abs(v - reference) / reference for v in values) if values and reference else 0.0
    return worst <= TOLERANCE, worst


def report(samples: list[Sample], warmup: float, counters: Counters) -> None:
    print("| t s | RSS MB | req/s (last 5 s) |")
    print("|---:|---:|---:|")
    for s in samples:
        print(f"| {s.at_s:.0f} | {s.rss_kb / 1024:.1f} | {s.rps:,.0f} |")
    after = [s for s in samples if s.at_s >= warmup - 0.5]
    if len(after) < 2:
        print(f"too short: no sample after the {warmup:g} s warm-up to compare with")
        return
    ref, rest = after[0], after[1:]
    rss_ok, rss_worst = within([s.rss_kb for s in rest], ref.rss_kb)
    rps_ok, rps_worst = within([s.rps for s in rest], ref.rps)
    low, high = min(s.rss_kb for s in rest) / 1024, max(s.rss_kb for s in rest) / 1024
    print()
    print("| check | holds | measured |")
    print("|---|---:|---:|")
    print(f"| RSS within 20% of its post-warm-up value ({ref.rss_kb / 1024:.1f} MB at {ref.at_s:.0f} s) "
          f"| {'yes' if rss_ok else '**NO**'} | {low:.1f}-{high:.1f} MB, worst {rss_worst:+.0%} |")
    print(f"| throughput within 20% of its post-warm-up value ({ref.rps:,.0f} req/s at {ref.at_s:.0f} s) "
          f"| {'yes' if rps_ok else '**NO**'} | {min(s.rps for s in rest):,.0f}-{max(s.rps for s in rest):,.0f}"
          f" req/s, worst {rps_worst:.0%} off |")
    print()
    print(f"answered 2xx: {counters.ok:,}; other: {counters.failed or 'none'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--warmup", type=float, default=20.0)
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
            samples = sample(mock.process.pid, counters, args.seconds)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
    print(f"soak: {args.clients} clients, {args.seconds:g} s, {args.warmup:g} s warm-up, "
          f"a merge every {args.merge_every} rounds of client 1")
    report(samples, args.warmup, counters)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
