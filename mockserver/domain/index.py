"""Secondary indexes over the task store, so that a search costs what it returns, not how many tasks there are.

`TaskIndex` watches one `task_id → HumanTask` mapping (the store's). The store tells it about every write
(`add`, `update`); it never reads a task the store does not hold. It is not thread-safe on its own: the
store calls it under its lock. It keeps:

* the tasks by *class*: the values of every field a search's scope and indexed filters read, but the people
  (state, open or not, definition, task reference, workflow name, starter, owner app). A mock has few classes
  (about 150 for a million generated tasks). Each class counts its tasks and lists them in result order
  (`postings.Postings`);
* the tasks by assignee and by claimant (`(userType, user.lower())`, as `query.glob_matcher` compares users).

A search (`select`) with no filter on people and no unindexed filter is answered from the classes alone: the
search predicate is asked once per class, of a stand-in task of that class assigned to no one who could match
(`_probe`); the hits are the tasks of the classes it takes, plus those of the caller's own assignee and
claimant buckets that it takes for themselves (an INBOX holds what is assigned to or claimed by the caller).
`totalHits` is then a sum of counts, and the page is a lazy merge of the classes' lists: neither looks at more
than a page of tasks, however many there are. Any other search picks the smallest of the unions of buckets its
filters and scope give, checks every candidate with the predicate, and pages with `heapq.nsmallest`.
Either way the result is exactly what a scan of every task gives.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from operator import attrgetter
from typing import Any, Protocol

from mockserver.domain.identity import Access, Principal
from mockserver.domain.model import HumanTask, TaskState, TaskUser, UserType
from mockserver.domain.postings import Postings
from mockserver.domain.query import glob_matcher

UserKey = tuple[UserType, str]
Bucket = set[str]

# Indexed fields, by position in `keys_of`.
STATE, ASSIGNEE, CLAIMANT, DEFINITION, TASK_REF, WORKFLOW_NAME, CREATED_BY, OWNER_APP = range(8)
_FIELD_COUNT = 8

ClassKey = tuple[TaskState, bool, str, str, str, str, str | None]
_CLASS_FIELDS = {STATE: 0, DEFINITION: 2, TASK_REF: 3, WORKFLOW_NAME: 4, CREATED_BY: 5, OWNER_APP: 6}

_ALL_USER_TYPES = tuple(UserType)
NOT_INDEXED: Any = object()  # the key of a task that has no claimant: the claimant index leaves it out
_STALE_BEFORE_COMPACTION = 64
_KEPT_CLASS_LISTS = 256
_TASK_ID, _UPDATED_ON = attrgetter("task_id"), attrgetter("updated_on")
_COUNT, _SIZE = attrgetter("count"), attrgetter("size")
_SORT_FACTOR, _SORT_FLOOR = 4, 64  # `_page` sorts up to 4 * (start + size) + 64 hits (measured: 124 for a page of 15)
_NOBODY = TaskUser("", UserType.EXTERNAL_USER)  # no principal is ever this assignee (`rights.principal_matches`)


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


def class_key(task: HumanTask) -> ClassKey:
    """Every field a search's scope and its indexed filters other than people read (see `_probe`)."""
    return (task.state, task.assignee is None, task.definition_name, task.task_ref_name, task.workflow_name,
            task.created_by, task.owner_app)


def _probe(key: ClassKey) -> HumanTask:
    """A stand-in task of the class `key`: assigned to no one a caller could be (or open), claimed by no one.
    For a task of the class that is in none of the caller's own buckets, the search predicate says the same."""
    state, is_open, definition, ref, workflow, created_by, owner_app = key
    return HumanTask(task_id="", state=state, created_on=0, updated_on=0, assignee=None if is_open else _NOBODY,
                     definition_name=definition, task_ref_name=ref, workflow_name=workflow, created_by=created_by,
                     owner_app=owner_app)


class _Class:
    """The tasks of one class: how many, and in result order (`Postings`, with stale entries left behind)."""

    __slots__ = ("count", "key", "postings", "probe", "stale")

    def __init__(self, key: ClassKey, postings: Postings | None = None, count: int = 0) -> None:
        self.key = key
        self.postings = postings or Postings()
        self.count = count
        self.stale = 0
        self.probe = _probe(key)

    def is_live(self, tasks: Mapping[str, HumanTask]) -> Callable[[int, str], bool]:
        key = self.key

        def live(when: int, task_id: str) -> bool:
            task = tasks.get(task_id)
            return task is not None and task.updated_on == when and class_key(task) == key

        return live


class _Union:
    """Candidates: tasks of some classes and some buckets of ids, and at most how many (`size`)."""

    __slots__ = ("buckets", "classes", "size")

    def __init__(self, classes: list[_Class], buckets: list[Bucket]) -> None:
        self.classes = classes
        self.buckets = buckets
        self.size = sum(map(_COUNT, classes)) + sum(map(len, buckets))

    def ids(self, tasks: Mapping[str, HumanTask]) -> Iterable[str]:
        parts: list[Iterable[str]] = [c.postings.live(c.is_live(tasks)) for c in self.classes]
        parts += self.buckets
        if len(parts) == 1:
            return parts[0]
        return set().union(*parts)  # classes are disjoint, but a bucket of people may share ids with any of them


class TaskIndex:
    """The tasks of the mapping `tasks` by class (counted, in result order) and by assignee and claimant."""

    def __init__(self, tasks: Mapping[str, HumanTask]) -> None:
        self._tasks = tasks
        self._classes: dict[ClassKey, _Class] = {}
        self._class_lists: dict[tuple[int, tuple[Any, ...]], list[_Class]] = {}  # see `_classes_of`
        self._assignees: dict[UserKey, Bucket] = {}
        self._claimants: dict[UserKey, Bucket] = {}
        self._build(tasks.values())

    def _build(self, tasks: Iterable[HumanTask]) -> None:
        """`add` for every task, in bulk: this is most of the start-up time of a mock with a million tasks."""
        ordered = sorted(tasks, key=attrgetter("task_id"))  # two stable sorts of one key each: (updatedOn, taskId)
        ordered.sort(key=attrgetter("updated_on"))  # (generated tasks come in id order: the first is one pass)
        columns: dict[ClassKey, tuple[list[int], list[str]]] = {}
        assignees, claimants = self._assignees, self._claimants
        assigned: dict[int, tuple[TaskUser, Bucket]] = {}  # the bucket of a TaskUser, by id: tasks share users
        claimed: dict[int, tuple[TaskUser, Bucket]] = {}
        for task in ordered:
            task_id = task.task_id
            assignee = task.assignee
            key = (task.state, assignee is None, task.definition_name, task.task_ref_name, task.workflow_name,
                   task.created_by, task.owner_app)
            column = columns.get(key)
            if column is None:
                column = columns[key] = ([], [])
            column[0].append(task.updated_on)
            column[1].append(task_id)
            if assignee is not None:
                known = assigned.get(id(assignee))
                if known is None or known[0] is not assignee:
                    known = assigned[id(assignee)] = (assignee, assignees.setdefault(user_key(assignee), set()))
                known[1].add(task_id)
            claimant = task.claimant
            if claimant is not None:
                known = claimed.get(id(claimant))
                if known is None or known[0] is not claimant:
                    known = claimed[id(claimant)] = (claimant, claimants.setdefault(user_key(claimant), set()))
                known[1].add(task_id)
        for key, (times, ids) in columns.items():
            self._classes[key] = _Class(key, Postings(times, ids), len(ids))

    # -- keeping up with the store -----------------------------------------------------------------------

    def add(self, task: HumanTask) -> None:
        """A task the mapping did not have before."""
        self._join(class_key(task), task)
        if task.assignee is not None:
            self._assignees.setdefault(user_key(task.assignee), set()).add(task.task_id)
        if task.claimant is not None:
            self._claimants.setdefault(user_key(task.claimant), set()).add(task.task_id)

    def update(self, before: HumanTask, after: HumanTask) -> None:
        """`after` replaced `before` (same task id) in the mapping."""
        task_id = after.task_id
        old_key, new_key = class_key(before), class_key(after)
        if old_key != new_key or before.updated_on != after.updated_on:
            self._leave(old_key)
            self._join(new_key, after)
        for index, old, new in ((self._assignees, before.assignee, after.assignee),
                                (self._claimants, before.claimant, after.claimant)):
            old_user = None if old is None else user_key(old)
            new_user = None if new is None else user_key(new)
            if old_user != new_user:
                if old_user is not None:
                    _discard(index, old_user, task_id)
                if new_user is not None:
                    index.setdefault(new_user, set()).add(task_id)

    def _join(self, key: ClassKey, task: HumanTask) -> None:
        group = self._classes.get(key)
        if group is None:
            group = self._classes[key] = _Class(key)
            self._class_lists.clear()
        group.postings.add(task.updated_on, task.task_id)
        group.count += 1

    def _leave(self, key: ClassKey) -> None:
        group = self._classes[key]
        group.count -= 1
        if group.count == 0:
            del self._classes[key]  # and its stale entries with it
            self._class_lists.clear()
            return
        group.stale += 1  # the task's entry stays behind, stale
        if group.stale > group.count + _STALE_BEFORE_COMPACTION:
            group.postings.compact(group.is_live(self._tasks))
            group.stale = 0

    # -- reading -------------------------------------------------------------------------------------------

    def bucket(self, field: int, value: Any) -> frozenset[str]:
        """The ids of the tasks whose `field` (STATE, ASSIGNEE, ...) is `value` (a `UserKey` for users)."""
        if field == CLAIMANT or (field == ASSIGNEE and value is not None):
            return frozenset((self._claimants if field == CLAIMANT else self._assignees).get(value, ()))
        position, wanted = (1, True) if field == ASSIGNEE else (_CLASS_FIELDS[field], value)
        if field == OWNER_APP and value is NOT_INDEXED:
            return frozenset()
        classes = [c for c in self._classes.values() if c.key[position] == wanted]
        return frozenset(_Union(classes, []).ids(self._tasks))

    def entries(self) -> int:
        """How many entries the classes' lists hold, stale ones included."""
        return sum(len(c.postings) for c in self._classes.values())

    def newest_first(self) -> Iterator[HumanTask]:
        """Every task, by `updatedOn` desc then `taskId` asc: the order of search results."""
        return self._merge(list(self._classes.values()), [])

    def _merge(self, classes: list[_Class], others: list[HumanTask]) -> Iterator[HumanTask]:
        """The tasks of `classes` and `others` (sorted already, in none of those classes), in result order. The
        lists are merged on their entries alone; a task is looked at only when its entry comes out of the merge."""
        tasks = self._tasks
        keys = [c.key for c in classes]
        streams: list[Iterator[tuple[int, str, int]]] = [c.postings.newest_first(i) for i, c in enumerate(classes)]
        if others:
            streams.append(iter([(-t.updated_on, t.task_id, -1) for t in others]))
        merged = streams[0] if len(streams) == 1 else heapq.merge(*streams)  # (no stream: an empty merge)
        for negative_time, task_id, tag in merged:
            task = tasks.get(task_id)
            if task is not None and (tag < 0 or (task.updated_on == -negative_time and class_key(task) == keys[tag])):
                yield task

    def select(self, query: Filters, accept: Callable[[HumanTask], bool], *, start: int, size: int,
               inbox_of: Principal | None = None, owned_by: Principal | None = None) -> tuple[int, list[HumanTask]]:
        """The number of tasks `accept` takes, and those of them at [start, start + size) in result order.

        `accept` is the whole search predicate (scope and every filter). `inbox_of`: the scope includes this
        principal's INBOX (what is assigned to it or its groups, claimed by it, or open). `owned_by`: the scope
        includes the tasks this principal owns. Neither: every task is in scope (an admin's ADMIN search).
        """
        if not (query.assignees or query.claimants or _unindexed_filters(query)):
            return self._select_by_class(accept, start, size, inbox_of)
        unions = self._unions(query, inbox_of, owned_by)
        best = min(unions, key=_SIZE) if unions else None
        if best is not None and best.size == 0:
            return 0, []
        tasks = self._tasks
        pool = tasks.values() if best is None else map(tasks.__getitem__, best.ids(tasks))
        hits = list(filter(accept, pool))
        return len(hits), _page(hits, start, start + size)

    def _select_by_class(self, accept: Callable[[HumanTask], bool], start: int, size: int,
                         inbox_of: Principal | None) -> tuple[int, list[HumanTask]]:
        """Every class `accept` takes as a whole, and the caller's own tasks it takes in other classes."""
        taken = [c for c in self._classes.values() if accept(c.probe)]
        keys = {c.key for c in taken}
        tasks = self._tasks
        own = _Union([], self._people(inbox_of)).ids(tasks) if inbox_of is not None else ()
        others = [t for t in map(tasks.__getitem__, own) if class_key(t) not in keys and accept(t)]
        others.sort(key=order_key)
        total = sum(c.count for c in taken) + len(others)
        if size <= 0 or start >= total:
            return total, []
        return total, list(islice(self._merge(taken, others), start, start + size))

    def _unions(self, query: Filters, inbox_of: Principal | None, owned_by: Principal | None) -> list[_Union]:
        unions = []
        for position, values in ((0, query.states), (2, query.definition_names), (3, query.task_ref_names),
                                 (4, query.workflow_names)):
            if values:
                unions.append(_Union(self._classes_of(position, values), []))
        for index, users in ((self._assignees, query.assignees), (self._claimants, query.claimants)):
            if users:
                unions.append(_Union([], _user_buckets(index, users)))
        if inbox_of is not None or owned_by is not None:
            classes = [c for c in self._classes.values()
                       if (inbox_of is not None and c.key[1]) or (owned_by is not None and _owns(owned_by, c.key))]
            unions.append(_Union(classes, self._people(inbox_of)))
        return unions

    def _classes_of(self, position: int, values: Sequence[Any]) -> list[_Class]:
        """The classes whose key holds one of `values` at `position`: a walk of every class, kept (for at most
        `_KEPT_CLASS_LISTS` searches' values) until a class comes or goes."""
        key = (position, tuple(values))
        kept = self._class_lists.get(key)
        if kept is None:
            wanted = frozenset(values)
            kept = [c for c in self._classes.values() if c.key[position] in wanted]
            if len(self._class_lists) >= _KEPT_CLASS_LISTS:
                self._class_lists.clear()
            self._class_lists[key] = kept
        return kept

    def _people(self, caller: Principal | None) -> list[Bucket]:
        """The caller's own buckets: assigned to it or its groups (as a Conductor user and groups), claimed by it.
        With the open tasks, a superset of `lifecycle.rights.in_inbox`."""
        if caller is None:
            return []
        assignees, claimants = self._assignees, self._claimants
        me = caller.id.lower()
        keys: list[UserKey] = [(UserType.CONDUCTOR_USER, me)]
        keys += [(UserType.CONDUCTOR_GROUP, g.lower()) for g in caller.groups]
        buckets = [assignees[k] for k in dict.fromkeys(keys) if k in assignees]
        buckets += [claimants[k] for k in ((t, me) for t in _ALL_USER_TYPES) if k in claimants]
        return buckets


def _owns(caller: Principal, key: ClassKey) -> bool:
    """Exactly `lifecycle.rights.is_owner` for the class `key`: started by the caller, owned by it as
    `ownerApp`, or of a workflow definition it holds EXECUTE on."""
    return caller.id == key[5] or caller.id == key[6] or caller.holds(Access.EXECUTE, key[4])


def _user_buckets(index: dict[UserKey, Bucket], users: Sequence[TaskUser]) -> list[Bucket]:
    keys: dict[UserKey, None] = {}
    for user in users:
        if "*" in user.user:
            matches = glob_matcher(user.user)
            keys.update((k, None) for k in index if k[0] is user.user_type and matches(k[1]))
        else:
            keys[user_key(user)] = None
    return [index[k] for k in keys if k in index]


def _page(hits: list[HumanTask], start: int, end: int) -> list[HumanTask]:
    """`hits[start:end]` in result order. A few hits are sorted in C on two keys (two stable sorts, no call per
    task); many, with a short page, are cheaper with `heapq.nsmallest` (a heap of a page, not a sort of all)."""
    if end * _SORT_FACTOR + _SORT_FLOOR >= len(hits):
        hits.sort(key=_TASK_ID)
        hits.sort(key=_UPDATED_ON, reverse=True)  # stable: taskId ascending within one updatedOn
        return hits[start:end]
    return heapq.nsmallest(end, hits, key=order_key)[start:]


def _discard(index: dict[UserKey, Bucket], key: UserKey, task_id: str) -> None:
    bucket = index.get(key)
    if bucket is not None:
        bucket.discard(task_id)
        if not bucket:
            del index[key]


def _unindexed_filters(query: Filters) -> bool:
    return bool(query.display_names or query.workflow_ids or query.full_text_query.strip()
                or query.task_input_query.strip() or query.task_output_query.strip()
                or query.update_start_time is not None or query.update_end_time is not None)
