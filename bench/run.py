"""`make bench`: how fast the mock is, beside the bare-framework ceiling and Stoplight Prism, and at 10k-1M tasks,
judged against every target of issue 14.

Everything runs on 127.0.0.1, on free ports this script picks, with wrk (Debian's package) as the load
generator in its own process. Every server is started and stopped here; every wrk run is bounded in time.

1. Side by side (bench/side.py): mock, ceiling (bench/ceiling.py) and Prism; GET a task, claim -> release, a
   search with filters, the token call; 1 and 10 connections; medians of interleaved rounds. In the same rounds,
   at 10 connections, GET task, claim -> release and search on the Redis backend (bench/shared_store.py: a local
   redis-server, `serve --store redis://... --workers 1` and `--workers 2`).
2. Scale (bench/scale.py): 10k, 100k and 1M generated tasks: start-up, memory per task, latency at 1 connection.
3. Verdicts (bench/verdicts.py): one line per target, `target ... measured ... holds|misses|not measured`.

    .venv/bin/python bench/run.py [--quick] [--only side|scale] [--rounds 5] [--seconds 3] [--sizes ...]

`--quick`: one short round of everything, 10k tasks at most (checks the harness; its figures mean little).
Prints Markdown tables and the verdicts, writes them to .bench/last-run.md (and .json) and, unless `--quick`,
into bench/RESULTS.md with the method.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import asdict
from typing import Any

from cases import SCALE_SEARCHES
from report import Report, Settings, machine, write_results
from servers import PRISM, WORK
from verdicts import RedisFigures, Verdict, as_json, as_rows, redis_verdicts, scale_verdicts, side_verdicts


def settings_of(args: argparse.Namespace) -> Settings:
    sizes = tuple(int(s) for s in args.sizes.split(","))
    if args.quick:
        return Settings(rounds=1, seconds=1, warmup=1, connections=(1, 10), side_tasks=6000, claim_pool=3000,
                        sizes=tuple(s for s in sizes if s <= 10_000) or (10_000,), scale_rounds=1, scale_seconds=1,
                        quick=True)
    return Settings(rounds=args.rounds, seconds=args.seconds, warmup=2, connections=(1, 10), side_tasks=6000,
                    claim_pool=3000, sizes=sizes, scale_rounds=3, scale_seconds=2)


def verdicts(data: dict[str, Any], redis: RedisFigures | None = None) -> list[Verdict]:
    """Every target of issue 14 on what this run measured; `redis`: the figures of a Redis run, when there is one."""
    side, scale = data.get("side"), data.get("scale")
    return [*side_verdicts(side["ratios"] if side else None),
            *scale_verdicts(scale["p50_ms"] if scale else None, scale["startup_s"] if scale else None,
                            scale["bytes_per_task"] if scale else None, list(SCALE_SEARCHES)),
            *redis_verdicts(redis)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["side", "scale"])
    parser.add_argument("--quick", action="store_true", help="one short round of everything, 10k tasks at most")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None or not PRISM.exists() or shutil.which("redis-server") is None:
        raise SystemExit("wrk, Prism or redis-server is missing: run `make bench` (or bash bench/install.sh) first")
    WORK.mkdir(exist_ok=True)
    settings = settings_of(args)
    report = Report()
    began = time.perf_counter()
    report.say(f"## conductor-mock benchmark{' (--quick: checks the harness only)' if settings.quick else ''}")
    report.say()
    for line in machine():
        report.say(f"* {line}")
    report.say(f"* {settings.rounds} rounds x {settings.seconds:g} s after a {settings.warmup:g} s warm-up "
               f"(side by side); {settings.scale_rounds} x {settings.scale_seconds:g} s (scale)")
    report.say()
    from scale import scale
    from side import side_by_side

    data: dict[str, Any] = {"settings": asdict(settings)}
    if args.only in (None, "side"):
        data["side"] = side_by_side(settings, report)
    if args.only in (None, "scale"):
        data["scale"] = scale(settings, report)
    figures = data["side"].get("redis") if data.get("side") else None
    judged = verdicts(data, RedisFigures(**figures) if figures else None)
    data["verdicts"] = as_json(judged)
    report.say("### Targets (issue 14)")
    report.say()
    report.table(["target", "measured", "verdict"], as_rows(judged))
    report.say(f"(whole run: {time.perf_counter() - began:.0f} s)")
    print("\n".join(v.line() for v in judged), flush=True)
    (WORK / "last-run.md").write_text("\n".join(report.lines) + "\n", encoding="utf-8")
    (WORK / "last-run.json").write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    if not settings.quick:
        write_results(report.lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
