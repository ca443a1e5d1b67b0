"""Secondary indexes over the task store, so that a search costs what it returns, not how many tasks there are.

`TaskIndex` watches one `task_id → HumanTask` mapping (the store's) and keeps, for each indexed field, a
bucket of task ids per value, plus every task ordered by `updatedOn`. The store tells it about every write
(`add`, `update`); it never reads a task the store does not hold. It is not thread-safe on its own: the
store calls it under its lock.

A search (`select`) then:

1. turns each indexed filter of the query (states, assignees, claimants, definition names, task reference
   names, workflow names) and the caller's scope (its inbox, the tasks it owns, or both) into a union of
   buckets, and picks the smallest union as the candidates;
2. checks every candidate with the store's full predicate (scope and all filters), so the result is
   exactly what a scan of every task would give; the index only prunes;
3. pages by `updatedOn` desc, then `taskId`, with `heapq.nsmallest` (it never sorts all the hits), or,
   when the buckets alone give the exact number of hits (one indexed filter, every task in scope, no other
   filter), walks the tasks newest first and stops as soon as the page is full.

User filters compare the user case-insensitively (as `query.glob_matcher` does), so their buckets are keyed
by `(userType, user.lower())`; a pattern with `*` looks at every distinct user of that field.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from mockserver.domain.identity import Access, Principal
from mockserver.domain.model import HumanTask, TaskState, TaskUser, UserType
from mockserver.domain.query import glob_matcher

UserKey = tuple[UserType, str]
Bucket = set[str]

# Indexed fields, by position in `keys_of`.
STATE, ASSIGNEE, CLAIMANT, DEFINITION, TASK_REF, WORKFLOW_NAME, CREATED_BY, OWNER_APP = range(8)
_FIELD_COUNT = 8

_ALL_USER_TYPES = tuple(UserType)
NOT_INDEXED: Any = object()  # the key of a task that has no claimant: the claimant index leaves it out
_GROWTH_BEFORE_COMPACTION = 1024


class Filters(Protocol):
    """What `select` reads from a search (`store.TaskSearch` has all of it)."""

    @property
    def states(self) -> Sequence[TaskState]: ...
    @property
    def assignees(self) -> Sequence[TaskUser]: ...
    @property
    def claimants(self) -> Sequence[TaskUser]: ...
    @property
    def definition_names(self) -> Sequence[str]: ...
    @property
    def task_ref_names(self) -> Sequence[str]: ...
    @property
    def workflow_names(self) -> Sequence[str]: ...
    @property
    def display_names(self) -> Sequence[str]: ...
    @property
    def workflow_ids(self) -> Sequence[str]: ...
    @property
    def full_text_query(self) -> str: ...
    @property
    def task_input_query(self) -> str: ...
    @property
    def task_output_query(self) -> str: ...
    @property
    def update_start_time(self) -> int | None: ...
    @property
    def update_end_time(self) -> int | None: ...


def user_key(user: TaskUser) -> UserKey:
    return (user.user_type, user.user.lower())


def keys_of(task: HumanTask) -> tuple[Any, ...]:
    """The task's value for each indexed field. An open task (no assignee) has the assignee key None."""
    assignee, claimant = task.assignee, task.claimant
    return (task.state,
            None if assignee is None else (assignee.user_type, assignee.user.lower()),
            NOT_INDEXED if claimant is None else (claimant.user_type, claimant.user.lower()),
            task.definition_name, task.task_ref_name, task.workflow_name, task.created_by,
            NOT_INDEXED if task.owner_app is None else task.owner_app)


def order_key(task: HumanTask) -> tuple[int, str]:
    """How search results are ordered: most recently updated first, then by task id."""
    return (-task.updated_on, task.task_id)


class _Candidates:
    """A union of buckets. `disjoint`: no id is in two of them, so they can be chained without a set."""

    __slots__ = ("buckets", "disjoint", "size")

    def __init__(self, buckets: list[Bucket], disjoint: bool) -> None:
        self.buckets = buckets
        self.disjoint = disjoint
        self.size = sum(len(b) for b in buckets)

    def ids(self) -> Iterable[str]:
        if len(self.buckets) == 1:
            return self.buckets[0]
        if self.disjoint:
            return (task_id for bucket in self.buckets for task_id in bucket)
        return set().union(*self.buckets)


class TaskIndex:
    """Buckets of task ids per indexed value, and the tasks newest first, over the mapping `tasks`."""

    def __init__(self, tasks: Mapping[str, HumanTask]) -> None:
        self._tasks = tasks
        self._by: tuple[dict[Any, Bucket], ...] = tuple({} for _ in range(_FIELD_COUNT))
        self._build(tasks.values())
        # (updatedOn, taskId), sorted. A write appends the task's new entry and leaves the old one behind,
        # stale (its time no longer matches the task); stale entries are skipped and, now and then, dropped.
        self._recent: list[tuple[int, str]] = sorted((t.updated_on, t.task_id) for t in tasks.values())
        self._stale = 0

    def _build(self, tasks: Iterable[HumanTask]) -> None:
        """`add` for every task, unrolled: this is most of the start-up time of a mock with a million tasks."""
        states, assignees, claimants, definitions, refs, workflows, starters, owner_apps = self._by
        user_keys: dict[int, tuple[TaskUser, UserKey]] = {}  # generated tasks share their TaskUser objects

        def key_of(user: TaskUser) -> UserKey:
            known = user_keys.get(id(user))
            if known is None or known[0] is not user:
                known = user_keys[id(user)] = (user, user_key(user))
            return known[1]

        for task in tasks:
            task_id, assignee, claimant = task.task_id, task.assignee, task.claimant
            for index, key in ((states, task.state), (definitions, task.definition_name), (refs, task.task_ref_name),
                               (workflows, task.workflow_name), (starters, task.created_by),
                               (assignees, None if assignee is None else key_of(assignee))):
                bucket = index.get(key)
                if bucket is None:
                    index[key] = {task_id}
                else:
                    bucket.add(task_id)
            if claimant is not None:
                claimants.setdefault(key_of(claimant), set()).add(task_id)
            if task.owner_app is not None:
                owner_apps.setdefault(task.owner_app, set()).add(task_id)

    # -- keeping up with the store -----------------------------------------------------------------------

    def add(self, task: HumanTask) -> None:
        """A task the mapping did not have before."""
        self._add_keys(task.task_id, keys_of(task))
        self._add_recent(task)

    def update(self, before: HumanTask, after: HumanTask) -> None:
        """`after` replaced `before` (same task id) in the mapping."""
        task_id = after.task_id
        for index, old, new in zip(self._by, keys_of(before), keys_of(after), strict=True):
            if old != new:
                if old is not NOT_INDEXED:
                    _discard(index, old, task_id)
                if new is not NOT_INDEXED:
                    index.setdefault(new, set()).add(task_id)
        if before.updated_on != after.updated_on:
            self._add_recent(after)
            self._stale += 1
            if self._stale > len(self._tasks) + _GROWTH_BEFORE_COMPACTION:
                self._compact()

    def _add_keys(self, task_id: str, keys: tuple[Any, ...]) -> None:
        for index, key in zip(self._by, keys, strict=True):
            if key is not NOT_INDEXED:
                bucket = index.get(key)
                if bucket is None:
                    index[key] = {task_id}
                else:
                    bucket.add(task_id)

    def _add_recent(self, task: HumanTask) -> None:
        entry = (task.updated_on, task.task_id)
        recent = self._recent
        if not recent or entry > recent[-1]:
            recent.append(entry)  # the usual case: a write happens now, after everything before it
        else:
            insort(recent, entry)  # a same-millisecond write with a smaller id (or a clock that went back)

    def _compact(self) -> None:
        tasks, kept = self._tasks, []
        previous = None
        for entry in self._recent:
            task = tasks.get(entry[1])
            if entry != previous and task is not None and task.updated_on == entry[0]:
                kept.append(entry)
            previous = entry
        self._recent = kept
        self._stale = 0

    # -- reading -------------------------------------------------------------------------------------------

    def bucket(self, field: int, value: Any) -> frozenset[str]:
        """The ids of the tasks whose `field` (STATE, ASSIGNEE, ...) is `value` (a `UserKey` for users)."""
        return frozenset(self._by[field].get(value, ()))

    def newest_first(self) -> Iterator[HumanTask]:
        """Every task, by `updatedOn` desc then `taskId` asc: the order of search results."""
        recent, tasks = self._recent, self._tasks
        end = len(recent)
        while end > 0:
            when = recent[end - 1][0]
            start = bisect_left(recent, (when,))  # the first entry of this millisecond: ids ascend from there
            previous = None
            for i in range(start, end):
                task_id = recent[i][1]
                if task_id != previous:
                    task = tasks.get(task_id)
                    if task is not None and task.updated_on == when:
                        yield task
                previous = task_id
            end = start

    def select(self, query: Filters, accept: Callable[[HumanTask], bool], *, start: int, size: int,
               inbox_of: Principal | None = None, owned_by: Principal | None = None,
               unrestricted: bool = False) -> tuple[int, list[HumanTask]]:
        """The number of tasks `accept` takes, and those of them at [start, start + size) in result order.

        `accept` is the whole search predicate (scope and every filter): the index only narrows what it is
        asked about. `inbox_of`: an INBOX search by this principal (its inbox narrows the candidates too).
        `owned_by`: the tasks this principal owns are in scope (with `inbox_of` too: the union of both).
        `unrestricted`: the scope is every task (an admin's ADMIN search), so the buckets may count the hits.
        """
        unions = self._unions(query, inbox_of, owned_by)
        if any(u.size == 0 for u in unions):
            return 0, []
        best = min(unions, key=lambda u: u.size) if unions else None
        count = best.size if best is not None else len(self._tasks)
        wanted = start + size
        if unrestricted and len(unions) <= 1 and not _unindexed_filters(query) and count * count > wanted * len(
                self._tasks):
            # `count` is the exact number of hits, and hits are frequent enough that walking newest first
            # fills the page sooner than collecting every hit would. Give up (and collect) past `count` steps.
            page = self._walk(accept, start, size, budget=max(count, 256))
            if page is not None:
                return count, page
        pool = self._tasks.values() if best is None else map(self._tasks.__getitem__, best.ids())
        hits = [task for task in pool if accept(task)]
        if wanted >= len(hits):
            hits.sort(key=order_key)
            return len(hits), hits[start:wanted]
        return len(hits), heapq.nsmallest(wanted, hits, key=order_key)[start:]

    def _walk(self, accept: Callable[[HumanTask], bool], start: int, size: int, *,
              budget: int) -> list[HumanTask] | None:
        page: list[HumanTask] = []
        if size <= 0:
            return page
        seen = 0
        for steps, task in enumerate(self.newest_first()):
            if steps > budget:
                return None
            if accept(task):
                if seen >= start:
                    page.append(task)
                    if len(page) == size:
                        break
                seen += 1
        return page

    def _unions(self, query: Filters, inbox_of: Principal | None, owned_by: Principal | None) -> list[_Candidates]:
        by = self._by
        unions = []
        for field, values in ((STATE, query.states), (DEFINITION, query.definition_names),
                              (TASK_REF, query.task_ref_names), (WORKFLOW_NAME, query.workflow_names)):
            if values:
                index = by[field]
                unions.append(_Candidates([index[v] for v in dict.fromkeys(values) if v in index], disjoint=True))
        for field, users in ((ASSIGNEE, query.assignees), (CLAIMANT, query.claimants)):
            if users:
                unions.append(_Candidates(self._user_buckets(field, users), disjoint=True))
        scope = [*self._inbox(inbox_of), *self._owned(owned_by)]
        if inbox_of is not None or owned_by is not None:
            unions.append(_Candidates(scope, disjoint=False))
        return unions

    def _user_buckets(self, field: int, users: Sequence[TaskUser]) -> list[Bucket]:
        index = self._by[field]
        keys: dict[UserKey, None] = {}
        for user in users:
            if "*" in user.user:
                matches = glob_matcher(user.user)
                keys.update((k, None) for k in index if k is not None and k[0] is user.user_type and matches(k[1]))
            else:
                keys[user_key(user)] = None
        return [index[k] for k in keys if k in index]

    def _inbox(self, caller: Principal | None) -> list[Bucket]:
        """A superset of `lifecycle.rights.in_inbox`: assigned to the caller or its groups, claimed by it, or open."""
        if caller is None:
            return []
        assignees, claimants = self._by[ASSIGNEE], self._by[CLAIMANT]
        me = caller.id.lower()
        keys: list[UserKey | None] = [(UserType.CONDUCTOR_USER, me), None]
        keys += [(UserType.CONDUCTOR_GROUP, g.lower()) for g in caller.groups]
        buckets = [assignees[k] for k in dict.fromkeys(keys) if k in assignees]
        buckets += [claimants[k] for k in ((t, me) for t in _ALL_USER_TYPES) if k in claimants]
        return buckets

    def _owned(self, caller: Principal | None) -> list[Bucket]:
        """Exactly `lifecycle.rights.is_owner`: started by the caller, owned by it as `ownerApp`, or of a workflow
        definition it holds EXECUTE on."""
        if caller is None:
            return []
        starters, owner_apps, workflows = self._by[CREATED_BY], self._by[OWNER_APP], self._by[WORKFLOW_NAME]
        buckets = [index[caller.id] for index in (starters, owner_apps) if caller.id in index]
        return buckets + [workflows[w] for w in caller.workflows_with(Access.EXECUTE) if w in workflows]


def _discard(index: dict[Any, Bucket], key: Any, task_id: str) -> None:
    bucket = index.get(key)
    if bucket is not None:
        bucket.discard(task_id)
        if not bucket:
            del index[key]


def _unindexed_filters(query: Filters) -> bool:
    return bool(query.display_names or query.workflow_ids or query.full_text_query.strip()
                or query.task_input_query.strip() or query.task_output_query.strip()
                or query.update_start_time is not None or query.update_end_time is not None)
