"""The bench's verdicts (bench/verdicts.py) and its RESULTS.md writer: every target of issue 14 judged, or said to
be not measured; no load is generated here."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _bench(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


SEARCHES = ["search: state", "search: INBOX (alice)"]
RATIOS: dict[str, dict[str, float]] = {
    "GET task": {"ceiling": 0.72, "prism": 4.5, "p99": 2.5},
    "claim -> release": {"ceiling": 0.40, "prism": 2.0, "p99": 4.0},
    "search (filters)": {"ceiling": 0.36, "prism": 1.5, "p99": 5.0},
    "token": {"ceiling": 0.50, "prism": 2.2, "p99": 3.0},
}


def _by_target(verdicts: list[Any]) -> dict[str, str]:
    return {v.target: v.word for v in verdicts}


def test_every_side_target_is_judged_on_its_figure() -> None:
    verdicts = _bench("verdicts")
    got = _by_target(verdicts.side_verdicts(RATIOS))
    assert got == {
        "GET task @ 10 conns >= 0.70 of the ceiling": "holds",
        "GET task @ 10 conns >= 4x Prism": "holds",
        "GET task @ 10 conns p99 <= 2 ms": "misses",
        "claim -> release @ 10 conns >= 0.50 of the ceiling": "misses",
        "claim -> release @ 10 conns p99 <= 5 ms": "holds",
        "search (filters) @ 10 conns >= 0.35 of the ceiling": "holds",
        "search (filters) @ 10 conns p99 <= 5 ms": "holds",  # at the bound: holds
        "token @ 10 conns >= 0.50 of the ceiling": "holds",
    }


def test_targets_a_run_did_not_measure_say_so() -> None:
    verdicts = _bench("verdicts")
    judged = [*verdicts.side_verdicts(None), *verdicts.scale_verdicts(None, None, None, SEARCHES),
              *verdicts.redis_verdicts(None)]
    assert len(judged) == 8 + len(SEARCHES) + 2 + 1
    assert {v.word for v in judged} == {"not measured"}
    assert all(v.line().startswith("target ") and v.line().endswith("not measured") for v in judged)


def test_scale_targets_compare_1m_with_10k_inbox_included() -> None:
    verdicts = _bench("verdicts")
    p50 = {10_000: {"search: state": 1.0, "search: INBOX (alice)": 1.0},
           1_000_000: {"search: state": 1.2, "search: INBOX (alice)": 3.0}}
    got = _by_target(verdicts.scale_verdicts(p50, {10_000: 0.5, 1_000_000: 5.5}, {10_000: 900.0, 1_000_000: 1000.0},
                                             SEARCHES))
    assert got["search: state: p50 at 1M <= 1.2x p50 at 10k"] == "holds"
    assert got["search: INBOX (alice): p50 at 1M <= 1.2x p50 at 10k"] == "misses"
    assert got["1M tasks start in <= 5 s"] == "misses"
    assert got["<= 1024 B per idle task (at the largest size: 1,000,000)"] == "holds"


@pytest.mark.parametrize(("two_workers", "word"), [(1600.0, "holds"), (1400.0, "misses")])
def test_the_redis_hook_judges_the_figures_it_is_given(two_workers: float, word: str) -> None:
    verdicts = _bench("verdicts")
    [verdict] = verdicts.redis_verdicts(verdicts.RedisFigures(in_memory_rps=1000.0, two_workers_rps=two_workers))
    assert verdict.word == word and verdict.measured == f"{two_workers / 1000:.2f}x"


def test_results_md_keeps_older_runs_and_replaces_the_latest(tmp_path: Path) -> None:
    report = _bench("report")
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmark results\n\n## An older run\n\nkept\n", encoding="utf-8")
    report.write_results(["first run"], path)
    report.write_results(["second run"], path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Benchmark results\n") and text.count(report.BEGIN) == 1
    assert "second run" in text and "first run" not in text and "### Method" in text
    assert text.index(report.END) < text.index("## An older run") and text.endswith("kept\n")


def _series(*rps: float) -> Any:
    wrk = _bench("wrk")
    return wrk.Series([wrk.Sample(rps=r, p50_ms=1.0, p99_ms=2.0, non2xx=0, socket_errors=0) for r in rps])


def test_the_bench_redis_server_is_loopback_only_and_keeps_nothing_on_disk(tmp_path: Path) -> None:
    shared = _bench("shared_store")
    argv = shared.redis_argv("/usr/bin/redis-server", 16379, tmp_path)
    pairs = dict(zip(argv[1::2], argv[2::2], strict=True))
    assert argv[0] == "/usr/bin/redis-server"
    assert pairs == {"--port": "16379", "--bind": "127.0.0.1", "--dir": str(tmp_path), "--save": "",
                     "--appendonly": "no", "--protected-mode": "yes", "--loglevel": "warning"}
    assert shared.store_url(16379, 2) == "redis://127.0.0.1:16379/2"


def test_redis_figures_are_get_task_of_the_in_memory_process_and_of_two_workers() -> None:
    shared = _bench("shared_store")
    results = {("GET task", 10, "mock"): _series(900.0, 1000.0, 1100.0),
               ("GET task", 10, "redis-1w"): _series(700.0),
               ("GET task", 10, "redis-2w"): _series(1400.0, 1600.0, 1500.0),
               ("GET task", 1, "redis-2w"): _series(1.0)}
    figures = shared.redis_figures(results, 10)
    assert figures == _bench("verdicts").RedisFigures(in_memory_rps=1000.0, two_workers_rps=1500.0)
    [verdict] = _bench("verdicts").redis_verdicts(figures)
    assert (verdict.measured, verdict.word) == ("1.50x", "holds")
    del results[("GET task", 10, "redis-2w")]
    assert shared.redis_figures(results, 10) is None


def test_redis_rows_compare_each_backend_with_the_in_memory_process() -> None:
    shared = _bench("shared_store")
    results = {("GET task", 10, "mock"): _series(1000.0), ("GET task", 10, "redis-1w"): _series(500.0),
               ("GET task", 10, "redis-2w"): _series(1250.0), ("search (filters)", 10, "redis-1w"): _series(80.0)}
    assert shared.redis_rows(results, 10) == [
        ["GET task", "mock", "1,000", "1.00x", "1.00", "2.00", "0"],
        ["GET task", "redis-1w", "500", "0.50x", "1.00", "2.00", "0"],
        ["GET task", "redis-2w", "1,250", "1.25x", "1.00", "2.00", "0"],
        ["search (filters)", "redis-1w", "80", "-", "1.00", "2.00", "0"],
    ]
