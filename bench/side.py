"""Side by side: the mock, the ceiling (bench/ceiling.py, replaying the mock's own answers) and Prism, the same
requests, in the same run, rounds interleaved across the servers (so the machine's noise hits all three alike)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from cases import ADMIN_KEY, SCENARIO_TASK, SEARCH
from report import Report, Settings
from servers import BENCH, OPENAPI, PRISM, WORK, Fixture, Server, call, fixture, mock_server, token_ready
from shared_store import REDIS_CASES, WORKERS, export_world, redis_figures, redis_mock, redis_rows, start_redis
from wrk import Load, Series, wrk

SIDE_CASES: dict[str, Load] = {
    "GET task": Load("get", f"/human/tasks/{SCENARIO_TASK}"),
    "claim -> release": Load("cycle", "/human/tasks"),
    "search (filters)": Load("post", "/human/tasks/search", json.dumps(SEARCH)),
    "token": Load("post", "/token", json.dumps(ADMIN_KEY)),
}
Results = dict[tuple[str, int, str], Series]


def side_by_side(settings: Settings, report: Report) -> dict[str, Any]:
    """Runs every case on the three servers, and GET task, claim -> release and search at the most connections
    on the Redis backend with 1 and 2 workers (bench/shared_store.py), rounds interleaved across all of them;
    returns the raw samples, per case at the most connections `ratios[case]` = {"ceiling", "prism", "p99"} (what
    `verdicts.side_verdicts` judges) and `redis` (the figures `verdicts.redis_verdicts` judges)."""
    world = export_world()
    store = start_redis()
    mock = mock_server(settings.side_tasks)
    prism = Server("prism", [str(PRISM), "mock", str(OPENAPI), "--verboseLevel", "warn"], "")
    shared = [redis_mock(store, workers, world) for workers in WORKERS]
    servers = [mock, prism, *shared]
    results: Results = {}
    try:
        for server in servers:
            server.start()
        mock.wait(token_ready(mock.port), 120)
        fx = fixture(mock.port, settings.claim_pool)
        targets = {mock.name: _target(mock.name, fx)}
        for server in shared:
            server.wait(token_ready(server.port), 300)
            targets[server.name] = _target(server.name, fixture(server.port, settings.claim_pool))
        bodies_file = WORK / "bodies.json"
        bodies_file.write_text(json.dumps(fx.bodies), encoding="utf-8")
        ceiling = Server("ceiling", [sys.executable, str(BENCH / "ceiling.py"), "--bodies", str(bodies_file)], "/api")
        servers = [mock, ceiling, prism, *shared]
        ceiling.start()
        ceiling.wait(lambda: call(ceiling.port, "GET", f"/api/human/tasks/{SCENARIO_TASK}", timeout=2)[0] == 200, 60)
        prism.wait(lambda: call(prism.port, "GET", f"/human/tasks/{SCENARIO_TASK}", token="x", timeout=2)[0] == 200,
                   120)
        report.say(f"GET task body: {len(fx.bodies['task'])} bytes; search page: {len(fx.bodies['search'])} bytes "
                   f"({len(json.loads(fx.bodies['search'])['results'])} tasks); claim pool: {len(fx.claimable)} tasks"
                   f" (Redis: {', '.join(f'{n} {len(t[2])}' for n, t in targets.items() if n != mock.name)})")
        report.say()
        for case, load in SIDE_CASES.items():
            for connections in settings.connections:
                rotation = [s for s in servers if s not in shared or (case in REDIS_CASES and
                                                                     connections == max(settings.connections))]
                _rounds(rotation, targets, case, load, connections, settings, results)
    finally:
        for server in servers + [prism, *shared]:
            server.stop()
        store.stop()
    ratios = tables(results, settings, report)
    figures = redis_figures(results, max(settings.connections))
    redis_table(results, settings, report)
    return {"results": {f"{k[0]}|{k[1]}|{k[2]}": [asdict(s) for s in v.samples] for k, v in results.items()},
            "ratios": ratios, "redis": asdict(figures) if figures else None}


Target = tuple[str, Path, list[str]]  # token, claimable ids file, the ids


def _target(name: str, fx: Fixture) -> Target:
    """The token of `name`'s world and its claimable tasks, in a file of their own (wrk's cycle reads it)."""
    ids_file = WORK / f"claimable-{name}.txt"
    ids_file.write_text("\n".join(fx.claimable) + "\n", encoding="utf-8")
    return fx.token, ids_file, fx.claimable


def _rounds(servers: list[Server], targets: dict[str, Target], case: str, load: Load, connections: int,
            settings: Settings, results: Results) -> None:
    """A warm-up on each server, then `settings.rounds` rounds interleaved across them. Only the in-memory mock
    resets before a claim -> release run (a reset of a Redis world is slow); the Redis mocks release leftovers."""
    any_target = targets["mock"]
    for rounds, seconds, kept in ((1, settings.warmup, False), (settings.rounds, settings.seconds, True)):
        for _ in range(rounds):
            for server in servers:
                token, ids_file, _ids = targets.get(server.name, any_target)
                sample = wrk(server, load, token, ids_file, connections, seconds, reset=server.name == "mock")
                if kept:
                    results.setdefault((case, connections, server.name), Series()).samples.append(sample)
    line = ", ".join(f"{s.name} {results[(case, connections, s.name)].rps:,.0f}/s" for s in servers)
    print(f"  {case} @ {connections}: {line}", flush=True)


def redis_table(results: Results, settings: Settings, report: Report) -> None:
    connections = max(settings.connections)
    report.say(f"### Redis backend, {connections} connections (median of the rounds, same run)")
    report.say()
    report.say("`serve --store redis://... --workers 1|2` on one local redis-server, beside the in-memory process "
               "(`mock`); the 2 cores are shared by wrk, redis-server and the workers.")
    report.say()
    report.table(["case", "server", "req/s", "x in-memory", "p50 ms", "p99 ms", "non-2xx"],
                 redis_rows(results, connections))


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
