"""Scale: the mock with 10k, 100k and 1M generated tasks (and none, for the baseline): start-up time, resident
memory per task, and the latency of GET, claim -> release and several searches at 1 connection. The clock is
stopped (`mode: manual`) except in one last row, so the table measures the store and its indexes."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

from cases import ADMIN_KEY, ALICE_KEY, SCALE_SEARCHES, SCENARIO_TASK
from report import Report, Settings
from servers import ROOT, WORK, claimable_tasks, mock_server, token_of, token_ready
from wrk import Load, Series, wrk


def manual_clock_scenario() -> Path:
    """scenarios/default.yaml with its clock stopped (`mode: manual`). With a flowing clock the workflow engine
    looks at every task, every second, for due SLAs: that scan, not the store, would be what the scale table
    measured (it gets its own row)."""
    text = (ROOT / "scenarios" / "default.yaml").read_text(encoding="utf-8")
    stopped, count = re.subn(r"(?m)^(\s+mode:\s*)\w+", r"\1manual", text, count=1)
    path = WORK / "default-manual-clock.yaml"
    path.write_text(stopped if count else text, encoding="utf-8")
    return path


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

    small, large = min(by_size, default=0), max(by_size, default=0)
    if small != large:
        flat_rows = [[name, f"{by_size[small][name].p50:.2f}", f"{by_size[large][name].p50:.2f}",
                      f"{by_size[large][name].p50 / by_size[small][name].p50:.2f}"] for name in names]
        report.say(f"### Flatness: p50 at {large:,} tasks / p50 at {small:,} tasks")
        report.say()
        report.table(["case", f"p50 ms @ {small:,}", f"p50 ms @ {large:,}", "ratio"], flat_rows)
    return {"startup_s": startup, "bytes_per_task": per_task,
            "p50_ms": {n: {k: v.p50 for k, v in s.items()} for n, s in by_size.items()},
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
