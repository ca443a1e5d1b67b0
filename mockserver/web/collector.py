"""The garbage collector's settings for a serving process, in one place (`conductor-mock serve` applies them).

Profiled (bench/perf.py, claim -> release at 6,000 tasks): with Python's defaults (700, 10, 10) the collector ran
about 80 times per 6,000 calls, and its rare full collections walked the whole seeded world (40 ms); those pauses
were the claim p99. So, once the world is loaded: collect what loading left behind, freeze the survivors (the
collector never walks them again; they are still freed by reference counting), and collect the young generation
less often (its pauses stay a few ms: what survives a call is small).

A reset or load builds a new world after this, unfrozen: freezing again there would keep the discarded world (it
holds reference cycles) for ever, so it is not done.
"""

from __future__ import annotations

import gc
from typing import Final

THRESHOLDS: Final = (5000, 20, 100)


def settle_after_load() -> None:
    """Collect, freeze what survives, and set `THRESHOLDS`."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
