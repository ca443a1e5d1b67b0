"""The scale figures of the mock, measured in-process on the generate path (no HTTP, no wrk).

    .venv/bin/python bench/scale_probe.py [--rounds 3] [--sizes 10000 1000000] [--start-sizes 100000 1000000]

`probe()` returns them (what `bench/run.py` reports as its scale targets):

* `start_s[n]`: seconds from `app.prepare(..., generate_tasks=n)` to the world built (generation, indexing,
  the world), in a fresh process each round, median of `rounds`; `start_cpu_s[n]`: the CPU seconds of the same
  (on a shared machine the wall time mostly measures the neighbours);
* `bytes_per_task[n]`: (RSS with n generated tasks - RSS with none) / n, each in a fresh process, once the
  world is built: what an idle task costs;
* `search_p50_ms[n][name]`: the median time of `TaskStore.search` for each search of `SEARCHES` (the scale
  table's, bodies as `bench/run.py` sends them), in a fresh process per size, median of the rounds' medians;
* `flat[name]`: p50 at the largest size / p50 at the smallest.

Each measurement runs in a child process (`_child`), so sizes do not share a heap. The machine may be shared:
times are noisy, ratios less so; take the median of three rounds.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEARCH_USER = {"user": "user00007@example.com", "userType": "EXTERNAL_USER"}  # exists at every generated size
# name: (HumanTaskSearch body, the caller) -- the searches of bench/run.py's scale table
SEARCHES: dict[str, tuple[dict[str, Any], str]] = {
    "search: assignee + states": ({"searchType": "ADMIN", "states": ["ASSIGNED", "IN_PROGRESS"],
                                   "assignees": [SEARCH_USER], "size": 15}, "admin@example.com"),
    "search: claimant + state": ({"searchType": "ADMIN", "claimants": [SEARCH_USER], "states": ["IN_PROGRESS"],
                                  "size": 15}, "admin@example.com"),
    "search: state": ({"searchType": "ADMIN", "states": ["ASSIGNED"], "size": 15}, "admin@example.com"),
    "search: definition": ({"searchType": "ADMIN", "definitionNames": ["loan_review"], "size": 15},
                           "admin@example.com"),
    "search: INBOX (alice)": ({"searchType": "INBOX", "states": ["ASSIGNED"], "size": 15}, "alice@example.com"),
}
CALLS_PER_ROUND = 200


def _scenario() -> Path:
    """scenarios/default.yaml with its clock stopped, as the scale table runs it."""
    text = (ROOT / "scenarios" / "default.yaml").read_text(encoding="utf-8")
    stopped, count = re.subn(r"(?m)^(\s+mode:\s*)\w+", r"\1manual", text, count=1)
    path = ROOT / ".bench" / "scale-probe-manual-clock.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(stopped if count else text, encoding="utf-8")
    return path


def _rss_bytes() -> int:
    import os

    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def _child(part: str, count: int, scenario: str) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    from mockserver import app
    from mockserver.web import wire

    began, cpu = time.perf_counter(), time.process_time()
    world = app.prepare(Path(scenario), generate_tasks=count).build()
    built, cpu = time.perf_counter() - began, time.process_time() - cpu
    if part == "start":
        return {"seconds": built, "cpu_seconds": cpu}
    if part == "rss":
        import gc

        gc.collect()
        return {"rss": _rss_bytes()}
    p50: dict[str, float] = {}
    for name, (body, who) in SEARCHES.items():
        caller, query = world.directory.get(who), wire.parse_search(body)
        assert caller is not None
        for _ in range(20):  # warm up
            world.tasks.search(caller, query)
        times = []
        for _ in range(CALLS_PER_ROUND):
            start = time.perf_counter()
            world.tasks.search(caller, query)
            times.append(time.perf_counter() - start)
        p50[name] = statistics.median(times) * 1000
    return {"p50_ms": p50}


def _run(part: str, count: int, scenario: Path) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", part, str(count), str(scenario)], cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=1800)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def probe(*, rounds: int = 3, sizes: tuple[int, ...] = (10_000, 1_000_000),
          start_sizes: tuple[int, ...] = (100_000, 1_000_000)) -> dict[str, Any]:
    """The scale figures (see the module's docstring)."""
    scenario = _scenario()
    starts = {n: [_run("start", n, scenario) for _ in range(rounds)] for n in start_sizes}
    start_s = {n: statistics.median(r["seconds"] for r in runs) for n, runs in starts.items()}
    start_cpu_s = {n: statistics.median(r["cpu_seconds"] for r in runs) for n, runs in starts.items()}
    baseline = _run("rss", 0, scenario)["rss"]
    bytes_per_task = {n: (_run("rss", n, scenario)["rss"] - baseline) / n for n in start_sizes}
    search_p50_ms: dict[int, dict[str, float]] = {}
    for n in sizes:
        runs = [_run("search", n, scenario)["p50_ms"] for _ in range(rounds)]
        search_p50_ms[n] = {name: statistics.median(r[name] for r in runs) for name in SEARCHES}
    small, large = min(sizes), max(sizes)
    flat = {name: search_p50_ms[large][name] / search_p50_ms[small][name] for name in SEARCHES}
    return {"start_s": start_s, "start_cpu_s": start_cpu_s, "bytes_per_task": bytes_per_task,
            "search_p50_ms": search_p50_ms, "flat": flat}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.path.insert(0, str(ROOT))
        print(json.dumps(_child(sys.argv[2], int(sys.argv[3]), sys.argv[4])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--start-sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    print(json.dumps(probe(rounds=args.rounds, sizes=tuple(args.sizes), start_sizes=tuple(args.start_sizes)),
                     indent=2))


if __name__ == "__main__":
    main()
