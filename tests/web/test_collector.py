"""The collector's settings of a serving process: collect, freeze the loaded world, collect young objects less
often."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from mockserver.web.collector import THRESHOLDS, settle_after_load


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()  # the test process's objects must stay collectable for the tests after this one
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_collector")
def test_settling_freezes_what_is_alive_and_sets_the_thresholds() -> None:
    gc.unfreeze()
    kept = [{"a": [1, 2]} for _ in range(1000)]  # containers the collector would walk again and again
    settle_after_load()
    assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold() == THRESHOLDS
    assert THRESHOLDS[0] > 700  # young collections less often than Python's default


@pytest.mark.usefixtures("restored_collector")
def test_settling_collects_garbage_before_freezing_it() -> None:
    """A cycle left by loading is freed, not frozen for ever."""
    import weakref

    class Node:
        pass

    gc.unfreeze()
    cycle = Node()
    cycle.me = cycle  # type: ignore[attr-defined]
    ref = weakref.ref(cycle)
    del cycle
    settle_after_load()
    assert ref() is None
