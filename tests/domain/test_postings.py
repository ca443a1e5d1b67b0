"""Postings: (updatedOn, taskId) entries kept in order, read newest first, stale ones dropped on `compact`."""

from __future__ import annotations

import random

from mockserver.domain.postings import Postings


def test_entries_come_out_newest_first_then_by_id_whatever_order_they_went_in() -> None:
    rng = random.Random(3)
    entries = [(rng.randrange(20), f"t{rng.randrange(100):03d}") for _ in range(300)]
    postings = Postings()
    for when, task_id in entries:
        postings.add(when, task_id)
    expected = sorted(set(entries), key=lambda e: (-e[0], e[1]))
    assert [(-negative, task_id) for negative, task_id, _ in postings.newest_first(7)] == expected
    assert {tag for *_, tag in postings.newest_first(7)} == {7}
    assert len(postings) == len(set(entries))  # an entry already there is not added twice


def test_columns_given_in_order_read_back_the_same() -> None:
    postings = Postings([1, 2, 2, 5], ["d", "a", "b", "c"])
    assert [(-n, i) for n, i, _ in postings.newest_first(0)] == [(5, "c"), (2, "a"), (2, "b"), (1, "d")]


def test_compact_keeps_only_the_live_entries_and_their_order() -> None:
    postings = Postings([1, 2, 3, 4], ["a", "b", "c", "d"])
    postings.add(5, "b")
    live = {("a", 1), ("b", 5), ("d", 4)}
    postings.compact(lambda when, task_id: (task_id, when) in live)
    assert len(postings) == 3
    assert [(-n, i) for n, i, _ in postings.newest_first(0)] == [(5, "b"), (4, "d"), (1, "a")]
    assert sorted(postings.live(lambda when, task_id: task_id != "d")) == ["a", "b"]
