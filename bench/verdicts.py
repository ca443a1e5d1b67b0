"""The targets of issue 14, each judged on the figures a run measured: `holds`, `misses`, or `not measured` (the
run did not measure it: `--only`, `--quick`, or sizes without 1M tasks).

Side by side at 10 connections (ratios are medians of interleaved rounds, mock / ceiling and mock / Prism):
GET task >= 0.70 of the ceiling, >= 4x Prism, p99 <= 2 ms; claim -> release >= 0.50, p99 <= 5 ms; search with
filters >= 0.35, p99 <= 5 ms; token >= 0.50. Scale: every indexed search at 1M tasks within 1.2x its p50 at 10k
(INBOX included), 1M tasks start in <= 5 s, <= 1 KiB per idle task. Redis: 2 workers >= 1.5x one in-memory
process on GET task (`redis_verdicts`: the hook a Redis run hands its figures to).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CONNECTIONS = 10
SIDE_TARGETS: dict[str, tuple[float, float | None]] = {  # case: (share of the ceiling, p99 ms at most)
    "GET task": (0.70, 2.0),
    "claim -> release": (0.50, 5.0),
    "search (filters)": (0.35, 5.0),
    "token": (0.50, None),
}
PRISM_TIMES = 4.0  # GET task
FLAT = 1.20
LARGE, SMALL = 1_000_000, 10_000
STARTUP_1M_S = 5.0
BYTES_PER_TASK = 1024
REDIS_TIMES = 1.5


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str  # "" when not measured
    holds: bool | None  # None: not measured

    @property
    def word(self) -> str:
        return "not measured" if self.holds is None else ("holds" if self.holds else "misses")

    def line(self) -> str:
        return f"target {self.target:<62} measured {self.measured or '-':>12}  {self.word}"


def _not_measured(target: str) -> Verdict:
    return Verdict(target, "", None)


def side_verdicts(ratios: Mapping[str, Mapping[str, float]] | None) -> list[Verdict]:
    """`ratios[case]`: {"ceiling": mock/ceiling, "prism": mock/Prism, "p99": mock p99 ms} at 10 connections."""
    out: list[Verdict] = []
    for case, (share, p99) in SIDE_TARGETS.items():
        got = (ratios or {}).get(case)
        names = [f"{case} @ {CONNECTIONS} conns >= {share:.2f} of the ceiling"]
        if case == "GET task":
            names.append(f"{case} @ {CONNECTIONS} conns >= {PRISM_TIMES:g}x Prism")
        if p99 is not None:
            names.append(f"{case} @ {CONNECTIONS} conns p99 <= {p99:g} ms")
        if got is None:
            out += [_not_measured(n) for n in names]
            continue
        out.append(Verdict(names[0], f"{got['ceiling']:.2f}", got["ceiling"] >= share))
        if case == "GET task":
            out.append(Verdict(names[1], f"{got['prism']:.2f}x", got["prism"] >= PRISM_TIMES))
        if p99 is not None:
            out.append(Verdict(names[-1], f"{got['p99']:.2f} ms", got["p99"] <= p99))
    return out


def scale_verdicts(p50: Mapping[int, Mapping[str, float]] | None, startup_s: Mapping[int, float] | None,
                   bytes_per_task: Mapping[int, float] | None, searches: Sequence[str]) -> list[Verdict]:
    """`p50[size][case]` in ms (1 connection), `startup_s[size]`, `bytes_per_task[size]` (RSS over the baseline)."""
    p50, startup_s, bytes_per_task = p50 or {}, startup_s or {}, bytes_per_task or {}
    out: list[Verdict] = []
    for name in searches:
        target = f"{name}: p50 at 1M <= {FLAT:g}x p50 at 10k"
        small, large = p50.get(SMALL, {}).get(name), p50.get(LARGE, {}).get(name)
        if small is None or large is None or small <= 0:
            out.append(_not_measured(target))
        else:
            out.append(Verdict(target, f"x{large / small:.2f}", large / small <= FLAT))
    start = startup_s.get(LARGE)
    out.append(_not_measured(f"1M tasks start in <= {STARTUP_1M_S:g} s") if start is None else
               Verdict(f"1M tasks start in <= {STARTUP_1M_S:g} s", f"{start:.2f} s", start <= STARTUP_1M_S))
    target = f"<= {BYTES_PER_TASK} B per idle task (at the largest size)"
    if not bytes_per_task:
        out.append(_not_measured(target))
    else:
        size = max(bytes_per_task)
        value = bytes_per_task[size]
        out.append(Verdict(f"{target[:-1]}: {size:,})", f"{value:,.0f} B", value <= BYTES_PER_TASK))
    return out


@dataclass(frozen=True)
class RedisFigures:
    """GET task at 10 connections, in the same run: req/s of one in-memory process and of 2 Redis-backed
    workers on 2 cores."""

    in_memory_rps: float
    two_workers_rps: float


def redis_verdicts(figures: RedisFigures | None) -> list[Verdict]:
    target = f"Redis: 2 workers >= {REDIS_TIMES:g}x one in-memory process (GET task)"
    if figures is None or figures.in_memory_rps <= 0:
        return [_not_measured(target)]
    ratio = figures.two_workers_rps / figures.in_memory_rps
    return [Verdict(target, f"{ratio:.2f}x", ratio >= REDIS_TIMES)]


def as_rows(verdicts: Sequence[Verdict]) -> list[list[str]]:
    return [[v.target, v.measured or "-", v.word if v.holds is not False else "**misses**"] for v in verdicts]


def as_json(verdicts: Sequence[Verdict]) -> list[dict[str, Any]]:
    return [{"target": v.target, "measured": v.measured, "verdict": v.word} for v in verdicts]
