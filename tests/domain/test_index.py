"""TaskIndex: an indexed search returns exactly what a scan of every task returns, for many random queries,
before and after many random changes; and the index itself always equals one rebuilt from scratch.

Property-style with a seeded `random.Random`: the same cases run every time (nothing here is timed).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from mockserver.domain import (
    Access,
    Directory,
    HumanTask,
    ManualClock,
    Principal,
    PrincipalKind,
    Role,
    SearchType,
    SequentialIds,
    TaskSearch,
    TaskState,
    TaskStore,
    TaskUser,
    UserType,
)
from mockserver.domain.errors import DomainError
from mockserver.domain.index import (
    ASSIGNEE,
    CLAIMANT,
    NOT_INDEXED,
    STATE,
    TaskIndex,
    _page,
    class_key,
    keys_of,
    order_key,
)
from mockserver.domain.lifecycle import rights
from mockserver.domain.store import MAX_PAGE_SIZE, _matcher
from mockserver.generate import generate_tasks

NOW = 1_767_258_000_000
ADMIN = Principal("admin@example.com", PrincipalKind.USER, frozenset({Role.ADMIN, Role.USER}))
OWNER = Principal("owner-app", PrincipalKind.APPLICATION)
OUTSIDER = Principal("other-app", PrincipalKind.APPLICATION)
MEMBER = Principal("member00001@example.com", PrincipalKind.USER, groups=frozenset({"team-0001", "team-0002"}))
SHOUTY = Principal("MEMBER00002@EXAMPLE.COM", PrincipalKind.USER)  # ids compare exactly; the index folds case
EXTERNAL = Principal("user00003@example.com", PrincipalKind.USER)
# A scenario's `permissions:` made it an owner of two workflow definitions' tasks (EXECUTE), and a reader of one.
GRANTED = Principal("granted-app", PrincipalKind.APPLICATION,
                    grants=frozenset({("loan_origination", Access.EXECUTE), ("refunds", Access.EXECUTE),
                                      ("procurement", Access.READ)}))
CALLERS = (ADMIN, OWNER, OUTSIDER, MEMBER, SHOUTY, EXTERNAL, GRANTED)
SCOPES: dict[SearchType | None, Callable[[Principal, HumanTask], bool]] = {
    SearchType.ADMIN: rights.in_admin_view, SearchType.INBOX: rights.in_inbox, None: rights.in_default_scope}


def edge_tasks(base: HumanTask) -> list[HumanTask]:
    """Ties on updatedOn, mixed-case users, an empty definition name: what a generator does not make."""
    mixed = TaskUser("User00003@Example.com", UserType.EXTERNAL_USER)
    return [
        replace(base, task_id="tie-b", updated_on=NOW - 5, assignee=mixed, state=TaskState.ASSIGNED, claimant=None),
        replace(base, task_id="tie-a", updated_on=NOW - 5, assignee=mixed, state=TaskState.ASSIGNED, claimant=None),
        replace(base, task_id="tie-c", updated_on=NOW - 5, assignee=None, state=TaskState.PENDING, claimant=None),
        replace(base, task_id="nameless", definition_name="", assignee=TaskUser("Team-0001", UserType.CONDUCTOR_GROUP),
                state=TaskState.IN_PROGRESS, claimant=TaskUser("member00002@example.com", UserType.CONDUCTOR_USER)),
    ]


def make_store(count: int, seed: int) -> TaskStore:
    tasks = list(generate_tasks(count, now_ms=NOW - 1000, seed=seed))
    tasks += edge_tasks(tasks[0])
    groups = {"team-0001": ["member00001@example.com"], "team-0002": ["member00001@example.com"]}
    return TaskStore(tasks, directory=Directory(CALLERS, groups), clock=ManualClock(NOW), ids=SequentialIds(seed))


def full_scan(store: TaskStore, caller: Principal, query: TaskSearch) -> tuple[int, list[str]]:
    """The search as the store did it before it had an index: every task, then one sort."""
    in_scope = SCOPES[query.search_type]
    matches = _matcher(query)
    hits = sorted((t for t in store.all() if in_scope(caller, t) and matches(t)), key=order_key)
    start, size = max(query.start, 0), min(max(query.size, 0), MAX_PAGE_SIZE)
    return len(hits), [t.task_id for t in hits[start:start + size]]


def indexed(store: TaskStore, caller: Principal, query: TaskSearch) -> tuple[int, list[str]]:
    page = store.search(caller, query)
    return page.total_hits, [t.task_id for t in page.results]


def some(rng: random.Random, values: list[Any], most: int = 3) -> tuple[Any, ...]:
    return tuple(rng.sample(values, rng.randint(1, min(most, len(values)))))


def vary_case(rng: random.Random, text: str) -> str:
    return text.upper() if rng.random() < 0.2 else text


def user_filter(rng: random.Random, seen: list[TaskUser]) -> tuple[TaskUser, ...]:
    out = []
    for user in some(rng, seen, 2):
        roll = rng.random()
        if roll < 0.15:
            out.append(TaskUser(user.user[:6] + "*", user.user_type))  # a glob: every user of that prefix
        elif roll < 0.25:
            out.append(TaskUser("nobody@example.com", user.user_type))
        else:
            out.append(TaskUser(vary_case(rng, user.user), user.user_type))
    return tuple(out)


def random_query(rng: random.Random, tasks: list[HumanTask]) -> TaskSearch:
    """One to three indexed filters (sometimes none, sometimes an unindexed one too), any scope and page."""
    assignees = list({t.assignee for t in tasks if t.assignee is not None})
    claimants = list({t.claimant for t in tasks if t.claimant is not None})
    fields: dict[str, Any] = {}
    options: dict[str, Callable[[], Any]] = {
        "states": lambda: some(rng, list(TaskState), 2),
        "assignees": lambda: user_filter(rng, assignees),
        "claimants": lambda: user_filter(rng, claimants),
        "definition_names": lambda: some(rng, [*{t.definition_name for t in tasks}, "no_such_definition"]),
        "task_ref_names": lambda: some(rng, list({t.task_ref_name for t in tasks}), 2),
        "workflow_names": lambda: some(rng, list({t.workflow_name for t in tasks}), 2),
    }
    for name in rng.sample(sorted(options), rng.choice((0, 1, 1, 1, 2, 2, 3))):
        fields[name] = options[name]()
    if rng.random() < 0.15:
        fields["update_start_time"] = rng.choice(tasks).updated_on
    if rng.random() < 0.1:
        fields["full_text_query"] = rng.choice(("INV", "loan", "Acme", "nothing-like-this"))
    if rng.random() < 0.05:
        fields["display_names"] = (rng.choice(tasks).display_name,)
    return TaskSearch(search_type=rng.choice((SearchType.ADMIN, SearchType.INBOX, None)),
                      start=rng.choice((0, 0, 0, 1, 7, 40)), size=rng.choice((0, 1, 5, 15, 15, 100, 5000)), **fields)


def random_change(rng: random.Random, store: TaskStore, clock: ManualClock, serial: int) -> None:
    tasks = store.all()
    task = rng.choice(tasks)
    roll = rng.random()
    try:
        if roll < 0.25:
            store.claim_as_caller(rng.choice((ADMIN, MEMBER)), task.task_id, override=rng.random() < 0.3)
        elif roll < 0.35:
            store.claim_for_user(ADMIN, task.task_id, "User00042@example.com", override=rng.random() < 0.5)
        elif roll < 0.6:
            store.release(ADMIN, task.task_id)
        elif roll < 0.8:
            store.update(ADMIN, task.task_id, {"note": f"n{serial}"}, complete=rng.random() < 0.3)
        elif roll < 0.9:
            store.insert(replace(task, task_id=f"copy-{serial:05d}", updated_on=clock.now_ms() - rng.randrange(5)))
        else:
            clock.advance(rng.choice((0, 1, 1, 60_000)))
    except DomainError:
        pass  # refused (wrong state, no right): nothing changed, which is a change worth checking too


def clock_of(store: TaskStore) -> ManualClock:
    clock = store._clock  # the test made it
    assert isinstance(clock, ManualClock)
    return clock


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_indexed_search_equals_a_full_scan_through_random_changes(seed: int) -> None:
    rng = random.Random(seed)
    store = make_store(400, seed)
    clock = clock_of(store)
    checked = 0
    for round_no in range(12):
        tasks = store.all()
        for _ in range(40):
            query, caller = random_query(rng, tasks), rng.choice(CALLERS)
            assert indexed(store, caller, query) == full_scan(store, caller, query), (caller.id, query)
            checked += 1
        for change in range(30):
            random_change(rng, store, clock, round_no * 100 + change)
    assert checked == 480


@pytest.mark.parametrize("count", [0, 1, 20, 123, 124, 125, 126, 400])
def test_a_page_of_hits_is_the_slice_of_them_sorted_whether_sorted_or_heaped(count: int) -> None:
    """`_page` sorts up to 4 * (start + size) + 64 hits and heaps more: both give the sorted slice (with many
    ties on updatedOn, broken by taskId)."""
    generated = list(generate_tasks(count, now_ms=NOW, seed=6))
    tasks = [replace(t, updated_on=NOW - i % 7) for i, t in enumerate(generated)]
    rng = random.Random(count)
    for start, size in ((0, 15), (0, 0), (3, 15), (15, 15), (0, 1000), (120, 1)):
        hits = rng.sample(tasks, len(tasks))
        assert _page(hits, start, start + size) == sorted(tasks, key=order_key)[start:start + size]


def test_broad_admin_searches_page_without_looking_at_every_task() -> None:
    """One indexed filter, an admin's ADMIN scope: the buckets count the hits and the page comes from walking
    the tasks newest first, so only about (page size / share of hits) tasks are looked at."""
    tasks = {t.task_id: t for t in generate_tasks(5000, now_ms=NOW, seed=4)}
    index = TaskIndex(tasks)
    looked_at = 0
    query = TaskSearch(search_type=SearchType.ADMIN, states=(TaskState.ASSIGNED,), size=15)
    matches = _matcher(query)

    def accept(task: HumanTask) -> bool:
        nonlocal looked_at
        looked_at += 1
        return matches(task)

    total, page = index.select(query, accept, start=0, size=15)
    expected = sorted((t for t in tasks.values() if t.state is TaskState.ASSIGNED), key=order_key)
    assert total == len(expected) > 1000
    assert page == expected[:15]
    assert looked_at < 200


def test_a_selective_filter_looks_only_at_its_bucket() -> None:
    tasks = {t.task_id: t for t in generate_tasks(5000, now_ms=NOW, seed=5)}
    index = TaskIndex(tasks)
    someone = next(t.assignee for t in tasks.values() if t.assignee is not None)
    query = TaskSearch(search_type=SearchType.ADMIN, assignees=(someone,), states=(TaskState.ASSIGNED,))
    matches = _matcher(query)
    looked_at: list[str] = []

    def accept(task: HumanTask) -> bool:
        looked_at.append(task.task_id)
        return matches(task)

    total, page = index.select(query, accept, start=0, size=15)
    expected = sorted((t for t in tasks.values() if matches(t)), key=order_key)
    assert (total, page) == (len(expected), expected[:15])
    assert len(looked_at) == min(len(index.bucket(ASSIGNEE, (someone.user_type, someone.user))),
                                 len(index.bucket(STATE, TaskState.ASSIGNED)))


class CountingTasks(dict[str, HumanTask]):
    """The store's mapping, counting the tasks the index reads from it."""

    reads = 0

    def get(self, key: str, default: Any = None) -> Any:
        self.reads += 1
        return super().get(key, default)

    def __getitem__(self, key: str) -> HumanTask:
        self.reads += 1
        return super().__getitem__(key)


@pytest.mark.parametrize("count", [20000, 50000])
def test_an_inbox_search_reads_a_page_and_the_callers_own_tasks_not_every_open_task(count: int) -> None:
    """Every open task is in every INBOX: the classes count them and the page comes from merging their lists, so
    only the caller's own tasks (assigned to it or its groups, claimed by it) and the page are read."""
    tasks = CountingTasks((t.task_id, t) for t in generate_tasks(count, now_ms=NOW, seed=7))
    index = TaskIndex(tasks)
    query = TaskSearch(search_type=SearchType.INBOX, states=(TaskState.ASSIGNED,), size=15)
    matches = _matcher(query)
    asked = 0

    def accept(task: HumanTask) -> bool:
        nonlocal asked
        asked += 1
        return rights.in_inbox(MEMBER, task) and matches(task)

    tasks.reads = 0
    total, page = index.select(query, accept, start=0, size=15, inbox_of=MEMBER)
    reads = tasks.reads
    expected = sorted((t for t in tasks.values() if rights.in_inbox(MEMBER, t) and matches(t)), key=order_key)
    me = MEMBER.id.lower()
    own = index.bucket(ASSIGNEE, (UserType.CONDUCTOR_USER, me)).union(
        *(index.bucket(ASSIGNEE, (UserType.CONDUCTOR_GROUP, g)) for g in MEMBER.groups),
        *(index.bucket(CLAIMANT, (t, me)) for t in UserType))
    open_hits = sum(1 for t in expected if t.assignee is None)
    assert (total, page) == (len(expected), expected[:15])
    assert open_hits > len(own) + 15  # most hits are open tasks: reading them all would break the bound below
    assert reads <= len(own) + 15
    assert asked <= len(own) + len({class_key(t) for t in tasks.values()})


def test_the_classes_a_search_selects_follow_classes_that_come_and_go() -> None:
    """The classes of a filter are kept between searches: a class that comes (a task of a new definition), goes
    (its last task leaves) and comes back (a new class of the same key) is seen each time."""
    tasks = {t.task_id: t for t in generate_tasks(200, now_ms=NOW, seed=8)}
    index = TaskIndex(tasks)
    query = TaskSearch(search_type=SearchType.ADMIN, states=(TaskState.ASSIGNED,), definition_names=("fresh",),
                       update_start_time=0)  # (an unindexed filter: the candidates are the classes of a filter)

    def search() -> list[str]:
        return [t.task_id for t in index.select(query, _matcher(query), start=0, size=15)[1]]

    def move(task: HumanTask, **changes: Any) -> HumanTask:
        after = replace(task, **changes)
        tasks[after.task_id] = after
        index.update(task, after)
        return after

    first = next(t for t in tasks.values() if t.state is TaskState.ASSIGNED)
    assert search() == []
    fresh = move(first, definition_name="fresh", updated_on=NOW + 1)  # a new class
    assert search() == [first.task_id]
    gone = move(fresh, definition_name=first.definition_name, updated_on=NOW + 2)  # its last task left
    assert search() == []
    assert all(c.count for kept in index._class_lists.values() for c in kept)  # the class gone is let go
    move(gone, definition_name="fresh", updated_on=NOW + 3)  # the same class key, a new class
    assert search() == [first.task_id]


def expected_buckets(tasks: dict[str, HumanTask]) -> list[dict[Any, frozenset[str]]]:
    fields: list[dict[Any, set[str]]] = [{} for _ in range(8)]
    for task in tasks.values():
        for field, key in enumerate(keys_of(task)):
            if key is not NOT_INDEXED:
                fields[field].setdefault(key, set()).add(task.task_id)
    return [{k: frozenset(v) for k, v in f.items()} for f in fields]


def test_the_index_always_equals_one_rebuilt_from_scratch() -> None:
    rng = random.Random(9)
    tasks = {t.task_id: t for t in generate_tasks(300, now_ms=NOW - 10, seed=9)}
    index = TaskIndex(tasks)
    now = NOW
    people = list({t.assignee for t in tasks.values() if t.assignee is not None})
    for step in range(3000):  # more writes than tasks: the newest-first list compacts itself along the way
        before = rng.choice(list(tasks.values()))
        now += rng.choice((0, 0, 1, 5))
        after = replace(before, state=rng.choice(list(TaskState)), updated_on=rng.choice((before.updated_on, now)),
                        assignee=rng.choice((None, *people)), claimant=rng.choice((None, None, *people)),
                        definition_name=rng.choice((before.definition_name, "renamed")))
        tasks[after.task_id] = after
        index.update(before, after)
        if step % 7 == 0:
            added = replace(before, task_id=f"added-{step}", updated_on=now - rng.randrange(3))
            tasks[added.task_id] = added
            index.add(added)
        if step % 500 == 0 or step == 2999:
            for field, buckets in enumerate(expected_buckets(tasks)):
                assert {k: index.bucket(field, k) for k in buckets} == buckets
            assert list(index.newest_first()) == sorted(tasks.values(), key=order_key)
    classes = len({class_key(t) for t in tasks.values()})
    assert index.entries() <= 2 * len(tasks) + 65 * classes  # stale entries do not pile up (a class compacts)
    assert index.bucket(CLAIMANT, NOT_INDEXED) == frozenset()
