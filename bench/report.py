"""The run's settings, its Markdown report (printed as it goes, kept for .bench/last-run.md), the machine it ran
on, and bench/RESULTS.md: the method and the latest full run, between two markers, above the older runs."""

from __future__ import annotations

import importlib.util
import os
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from servers import BENCH, PRISM

RESULTS = BENCH / "RESULTS.md"
BEGIN, END = "<!-- latest run: begin (written by bench/run.py) -->", "<!-- latest run: end -->"

METHOD = """\
### Method

* One run, three servers side by side on 127.0.0.1, each started and stopped by bench/run.py: the mock as
  `conductor-mock serve` starts it; the ceiling (bench/ceiling.py), bare starlette routes answering each call with
  the very bytes the mock answered it with; Stoplight Prism on the same openapi.yaml. The mock and the ceiling run
  on the same server stack (uvicorn with uvloop and httptools, the default install), so the ceiling differs from
  the mock only by what the mock does per request.
* wrk, 10 connections (and 1) with as many threads, after a warm-up; rounds interleaved across the servers so the
  machine's noise hits all three alike; every figure is the median of the rounds. Claim -> release runs start from
  the same state (a reset, or the leftovers released). wrk's percentiles are corrected for coordinated omission
  (its `stats_correct`): a call that stalls S ms on a connection whose calls take T ms on average adds S/T - 1
  samples of S - T, S - 2T, ... ms, the calls a client sending at a steady rate would have seen delayed; so one
  rare pause (the collector's) weighs on the p99 far more than its own count.
* Redis backend, in the same run and the same interleaved rounds (10 connections; GET task, claim -> release,
  search): one local redis-server (Debian's, `--save "" --appendonly no`, a free loopback port, a temporary
  folder) and `conductor-mock serve --store redis://127.0.0.1:PORT/DB` with `--workers 1` and `--workers 2`, each
  on its own database, flushed (FLUSHDB) before it starts. Their world: the default scenario plus 1,000 generated
  tasks, exported from an in-memory mock (the in-memory process has 6,000; GET task and the indexed search do not
  depend on the count). Claim -> release on them releases the leftovers of the previous run instead of a reset.
  Everything shares the machine's 2 cores: wrk, redis-server and the workers (and the idle servers). The verdict:
  2 workers' GET task req/s over the in-memory process's.
* Scale: the mock alone with 10k, 100k and 1M generated tasks, its clock stopped; 1 connection; start-up is the
  time until the first token is issued; bytes per idle task are the resident memory over the scenario-only baseline.
* Verdicts: each target of issue 14, `holds`, `misses` or `not measured` (by bench/verdicts.py).
* Per-request work (bench/perf.py, in process, load-independent): CPU µs, function calls, peak and retained bytes
  per request, collector runs and pauses; the way to decide a change, since req/s moves with the machine's load.
"""


@dataclass(frozen=True)
class Settings:
    rounds: int
    seconds: float
    warmup: float
    connections: tuple[int, ...]
    side_tasks: int
    claim_pool: int
    sizes: tuple[int, ...]
    scale_rounds: int
    scale_seconds: float
    quick: bool = False


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)

    def say(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.say("| " + " | ".join(header) + " |")
        self.say("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
        for row in rows:
            self.say("| " + " | ".join(row) + " |")
        self.say()


def machine() -> list[str]:
    def version(argv: list[str]) -> str:
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    import starlette
    import uvicorn

    extras = [name for name in ("uvloop", "httptools") if importlib.util.find_spec(name) is not None]
    return [f"CPU: {cpu}, {os.cpu_count()} logical cores; {platform.system()} {platform.release()}",
            f"Python {platform.python_version()}, uvicorn {uvicorn.__version__} "
            f"({', '.join(extras) if extras else 'asyncio loop, h11'}), starlette {starlette.__version__}",
            f"wrk: {version(['wrk', '--version'])}; node {version(['node', '--version'])}; "
            f"prism {version([str(PRISM), '--version'])}"]


def write_results(lines: Sequence[str], path: Path = RESULTS) -> None:
    """The method and `lines` between the markers of `path` (added at the top, after the title, if absent)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    block = "\n".join([BEGIN, "", METHOD, *lines, END])
    if BEGIN in text and END in text:
        head, _, rest = text.partition(BEGIN)
        text = head + block + rest.partition(END)[2]
    else:
        title, _, rest = text.partition("\n")
        text = f"{title}\n\n{block}\n\n{rest.lstrip()}"
    path.write_text(text, encoding="utf-8")
