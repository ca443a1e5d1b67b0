"""A posting list: the ids of some tasks, kept in search-result order, cheap to append to and to read lazily.

`Postings` holds (updatedOn, taskId) entries sorted ascending, as two parallel columns (an `array` of the times
and a list of the ids: 16 bytes an entry, not a tuple's 100). A task that changes leaves its old entry behind,
stale; the owner says which entries are live (`is_live`), counts them, and calls `compact` now and then.
Reading (`newest_first`) walks the entries by `updatedOn` desc, then `taskId` asc (the order of search results),
touching no task: the reader merges several lists and checks only the entries it keeps.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator

IsLive = Callable[[int, str], bool]  # (updatedOn, taskId) of an entry -> is it the task as it is now?


class Postings:
    """(updatedOn, taskId) entries, ascending, some of them stale."""

    __slots__ = ("_ids", "_times")

    def __init__(self, times: list[int] | None = None, ids: list[str] | None = None) -> None:
        """`times` and `ids`: parallel columns already in (updatedOn, taskId) order."""
        self._times = array("q", times or ())
        self._ids: list[str] = ids or []

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, when: int, task_id: str) -> None:
        """Add the entry, unless it is already there (a task back where it was, in the same millisecond)."""
        times, ids = self._times, self._ids
        if not ids or when > times[-1] or (when == times[-1] and task_id > ids[-1]):
            times.append(when)  # the usual case: a write happens now, after everything before it
            ids.append(task_id)
            return
        low = bisect_left(times, when)
        high = bisect_right(times, when, low)
        at = bisect_left(ids, task_id, low, high)
        if at < high and ids[at] == task_id:
            return
        times.insert(at, when)
        ids.insert(at, task_id)

    def newest_first(self, tag: int) -> Iterator[tuple[int, str, int]]:
        """Every entry, stale ones too, as (-updatedOn, taskId, `tag`), ascending: `updatedOn` desc then `taskId`
        asc, the order of search results. `tag` tells the entries of several lists apart once merged."""
        times, ids = self._times, self._ids
        end = len(ids)
        while end > 0:
            when = times[end - 1]
            start = bisect_left(times, when, 0, end)  # the first entry of this millisecond: ids ascend from there
            for i in range(start, end):
                yield (-when, ids[i], tag)
            end = start

    def live(self, is_live: IsLive) -> Iterator[str]:
        """The live ids, in no particular order (ascending), each once."""
        for when, task_id in zip(self._times, self._ids, strict=True):
            if is_live(when, task_id):
                yield task_id

    def compact(self, is_live: IsLive) -> None:
        """Drop the stale entries."""
        kept = [(when, task_id) for when, task_id in zip(self._times, self._ids, strict=True) if is_live(when, task_id)]
        self._times = array("q", (when for when, _ in kept))
        self._ids = [task_id for _, task_id in kept]
