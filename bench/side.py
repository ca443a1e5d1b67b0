"""Side by side: the mock, the ceiling (bench/ceiling.py, replaying the mock's own answers) and Prism, the same
requests, in the same run, rounds interleaved across the servers (so the machine's noise hits all three alike)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any

from cases import ADMIN_KEY, SCENARIO_TASK, SEARCH
from report import Report, Settings
from servers import BENCH, OPENAPI, PRISM, WORK, Server, call, fixture, mock_server, token_ready
from wrk import Load, Series, wrk

SIDE_CASES: dict[str, Load] = {
    "GET task": Load("get", f"/human/tasks/{SCENARIO_TASK}"),
    "claim -> release": Load("cycle", "/human/tasks"),
    "search (filters)": Load("post", "/human/tasks/search", json.dumps(SEARCH)),
    "token": Load("post", "/token", json.dumps(ADMIN_KEY)),
}
Results = dict[tuple[str, int, str], Series]


def side_by_side(settings: Settings, report: Report) -> dict[str, Any]:
    """Runs every case on the three servers; returns the raw samples and, per case at the most connections,
    `ratios[case]` = {"ceiling", "prism", "p99"} (what `verdicts.side_verdicts` judges)."""
    mock = mock_server(settings.side_tasks)
    prism = Server("prism", [str(PRISM), "mock", str(OPENAPI), "--verboseLevel", "warn"], "")
    servers = [mock]
    results: Results = {}
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
    ratios = tables(results, settings, report)
    return {"results": {f"{k[0]}|{k[1]}|{k[2]}": [asdict(s) for s in v.samples] for k, v in results.items()},
            "ratios": ratios}


def tables(results: Results, settings: Settings, report: Report) -> dict[str, dict[str, float]]:
    rows = [[case, str(connections), name, f"{series.rps:,.0f}", f"{series.p50:.2f}", f"{series.p99:.2f}",
             str(series.errors)] for (case, connections, name), series in results.items()]
    report.say("### Side by side (median of the rounds)")
    report.say()
    report.table(["case", "conns", "server", "req/s", "p50 ms", "p99 ms", "non-2xx"], rows)
    ratio_rows = []
    ratios: dict[str, dict[str, float]] = {}
    for case in SIDE_CASES:
        for connections in settings.connections:
            m, c, p = (results[(case, connections, n)] for n in ("mock", "ceiling", "prism"))
            ratio_rows.append([case, str(connections), f"{m.rps / c.rps:.2f}", f"{m.rps / p.rps:.2f}x",
                               f"{m.p99:.2f}"])
            if connections == max(settings.connections):
                ratios[case] = {"ceiling": m.rps / c.rps, "prism": m.rps / p.rps, "p99": m.p99}
    report.say("### Ratios (throughput)")
    report.say()
    report.table(["case", "conns", "mock / ceiling", "mock / Prism", "mock p99 ms"], ratio_rows)
    return ratios
