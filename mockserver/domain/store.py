"""TaskStore: the human tasks of one mock, and every change to them (TemplateStore lives in `templates`).

Every public method is atomic: under the store's lock it loads the task, applies one pure function of the
lifecycle room (`lifecycle.transitions`: rights, state, arguments, the new task and its logs) and saves and
indexes the result. A claim is therefore a compare-and-set: of N concurrent claims exactly one wins.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter
from typing import Any

from mockserver.domain.clock import Clock
from mockserver.domain.errors import InvalidRequest, TaskNotFound
from mockserver.domain.identity import Directory, Principal
from mockserver.domain.ids import IdGenerator
from mockserver.domain.index import TaskIndex
from mockserver.domain.lifecycle import rights, transitions
from mockserver.domain.lifecycle.logs import SYSTEM, assignment_log
from mockserver.domain.lifecycle.transitions import new_task
from mockserver.domain.model import Action, Assignment, HumanTask, TaskState, TaskUser
from mockserver.domain.query import flatten, glob_matcher, parse_field_query, parse_full_text
from mockserver.domain.templates import TemplateStore

__all__ = ["SYSTEM", "SearchPage", "SearchType", "TaskSearch", "TaskStore", "TemplateStore", "assignment_log",
           "new_task"]  # re-exported: `SYSTEM`, `assignment_log`, `new_task` (lifecycle), `TemplateStore` (templates)

DEFAULT_PAGE_SIZE = 15
MAX_PAGE_SIZE = 1000

TaskListener = Callable[[HumanTask, HumanTask], None]
SchemaOf = Callable[[HumanTask], Mapping[str, Any] | None]  # the `jsonSchema` of a task's form, if it has one


class SearchType(StrEnum):
    ADMIN = "ADMIN"
    INBOX = "INBOX"


@dataclass(frozen=True, slots=True)
class TaskSearch:
    """A HumanTaskSearch. Empty tuples and None mean "no filter". `search_type` None: the field was left out (the
    JS SDK leaves it out), and the scope is the caller's INBOX plus the tasks it owns (`rights.in_default_scope`)."""

    search_type: SearchType | None = None
    start: int = 0
    size: int = DEFAULT_PAGE_SIZE
    states: tuple[TaskState, ...] = ()
    assignees: tuple[TaskUser, ...] = ()
    claimants: tuple[TaskUser, ...] = ()
    definition_names: tuple[str, ...] = ()
    display_names: tuple[str, ...] = ()
    task_ref_names: tuple[str, ...] = ()
    workflow_ids: tuple[str, ...] = ()
    workflow_names: tuple[str, ...] = ()
    full_text_query: str = ""
    task_input_query: str = ""
    task_output_query: str = ""
    update_start_time: int | None = None
    update_end_time: int | None = None


@dataclass(frozen=True, slots=True)
class SearchPage:
    total_hits: int
    start: int
    size: int
    results: tuple[HumanTask, ...]


class TaskStore:
    """All human tasks of one mock instance. Every public method is atomic."""

    def __init__(self, tasks: Iterable[HumanTask], *, directory: Directory, clock: Clock, ids: IdGenerator,
                 lock: threading.RLock | None = None, schema_of: SchemaOf | None = None) -> None:
        """`schema_of`: where `update` finds the form schema a task's output must satisfy (default: none)."""
        self._lock = lock or threading.RLock()
        self._schema_of: SchemaOf = schema_of or (lambda _: None)
        self._tasks: dict[str, HumanTask] = {t.task_id: t for t in tasks}
        self._index = TaskIndex(self._tasks)
        self._directory = directory
        self._clock = clock
        self._ids = ids
        self._listeners: list[TaskListener] = []

    # -- reading -------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._tasks)

    def all(self) -> list[HumanTask]:
        with self._lock:
            return list(self._tasks.values())

    def peek(self, task_id: str) -> HumanTask:
        """The task, with no permission check (for the mock's own control plane and tests)."""
        try:
            return self._tasks[task_id]
        except KeyError:
            raise TaskNotFound(task_id) from None

    def get(self, caller: Principal, task_id: str) -> HumanTask:
        task = self.peek(task_id)
        rights.require(rights.may_read(caller, task), caller, "read", task)
        return task

    def search(self, caller: Principal, query: TaskSearch) -> SearchPage:
        """One page of the tasks in the caller's scope that match `query`. Scope: ADMIN = every task for an admin,
        the tasks it owns for anyone else; INBOX = `rights.in_inbox`; left out = INBOX plus the tasks it owns."""
        admin = query.search_type is SearchType.ADMIN
        inbox = query.search_type is SearchType.INBOX
        in_scope = rights.in_admin_view if admin else rights.in_inbox if inbox else rights.in_default_scope
        matches = _matcher(query)
        size = min(max(query.size, 0), MAX_PAGE_SIZE)
        start = max(query.start, 0)
        unrestricted = admin and caller.is_admin  # an admin's ADMIN search: every task is in scope
        accept = matches if unrestricted else lambda t: in_scope(caller, t) and matches(t)
        with self._lock:  # the index picks the candidates; `in_scope` and `matches` decide, as in a full scan
            total, page = self._index.select(query, accept, start=start, size=size,
                                             inbox_of=None if admin else caller,
                                             owned_by=None if inbox or unrestricted else caller)
        return SearchPage(total, start, size, tuple(page))

    def display_names(self, caller: Principal, search_type: SearchType) -> list[str]:
        """`getTaskDisplayNames`: the distinct display names of the tasks `search_type` shows the caller, sorted."""
        names: set[str] = set()
        start, total = 0, 1
        while start < total:
            page = self.search(caller, TaskSearch(search_type=search_type, start=start, size=MAX_PAGE_SIZE))
            names.update(t.display_name for t in page.results if t.display_name)
            start, total = start + MAX_PAGE_SIZE, page.total_hits
        return sorted(names)

    # -- changing ------------------------------------------------------------------------------------

    def subscribe(self, listener: TaskListener) -> None:
        """Call `listener(before, after)` after every change, still under the lock (the workflow engine listens
        here: a human task's completion moves its workflow on in the same atomic step)."""
        self._listeners.append(listener)

    def claim_for_user(self, caller: Principal, task_id: str, user_id: str, *, override: bool = False) -> HumanTask:
        """`/externalUser/{userId}`: the caller (owner or admin) claims the task on behalf of `user_id`."""
        return self._apply(task_id, lambda task, now: transitions.claim_for_user(
            task, caller, user_id, override=override, directory=self._directory, now=now, ids=self._ids))

    def claim_as_caller(self, caller: Principal, task_id: str, *, override: bool = False) -> HumanTask:
        """`/claim`: the calling Conductor user (or application) claims the task for itself."""
        return self._apply(task_id, lambda task, now: transitions.claim_as_caller(
            task, caller, override=override, now=now, ids=self._ids))

    def release(self, caller: Principal, task_id: str) -> HumanTask:
        return self._apply(task_id, lambda task, now: transitions.release(task, caller, now=now, ids=self._ids))

    def update(self, caller: Principal, task_id: str, output: dict[str, Any], *, complete: bool) -> HumanTask:
        """Merge `output` into the task's output (shallow); with `complete`, the task is COMPLETED with it.
        The merged output is checked against the task's form (`FormInvalid`: nothing changed)."""
        return self._apply(task_id, lambda task, now: transitions.update(
            task, caller, output, complete=complete, now=now, schema=self._schema_of(task)))

    def reassign(self, caller: Principal, task_id: str, assignments: Sequence[Assignment]) -> HumanTask:
        """Replace the assignment policy of an unclaimed task and start again at its first assignee."""
        return self._apply(task_id, lambda task, now: transitions.reassign(
            task, caller, assignments, now=now, ids=self._ids))

    def skip(self, caller: Principal, task_id: str, reason: str | None = None) -> HumanTask:
        """Skip the current assignee: the next assignment takes over, or the completion strategy applies."""
        return self._apply(task_id, lambda task, now: transitions.skip(task, caller, reason, now=now, ids=self._ids))

    def expire_assignment(self, task_id: str) -> HumanTask:
        """The current assignee's SLA passed while the task was unclaimed (called by the clock)."""
        return self._apply(task_id, lambda task, now: transitions.next_assignment(task, now=now, ids=self._ids))

    def delete(self, caller: Principal, task_ids: Sequence[str]) -> list[HumanTask]:
        """Mark tasks DELETED (still readable and searchable). All or nothing: any unknown id refuses all."""
        with self._lock:
            tasks = [self.peek(task_id) for task_id in task_ids]
            deleted = transitions.delete_all(tasks, caller, now=self._clock.now_ms(), ids=self._ids)
            return [self._save(before, after) for before, after in zip(tasks, deleted, strict=True)]

    def finish_by_system(self, task_id: str, action: Action, actor: str = SYSTEM) -> HumanTask:
        """TIME_OUT, CANCEL or DELETE a task on the workflow's behalf."""
        return self._apply(task_id, lambda task, now: transitions.finish(task, action, actor, now=now, ids=self._ids))

    def complete_by_system(self, task_id: str, output: dict[str, Any], actor: str) -> HumanTask:
        """Complete a task through the Conductor task API (the workflow side), with no human-task rules."""
        return self._apply(task_id, lambda task, now: transitions.complete_by_system(task, output, actor, now=now))

    def record_trigger(self, task_id: str, entry: dict[str, Any]) -> HumanTask:
        return self._apply(task_id, lambda task, _: transitions.record_trigger(task, entry))

    def replace_all(self, tasks: Iterable[HumanTask]) -> None:
        with self._lock:
            self._tasks = {t.task_id: t for t in tasks}
            self._index = TaskIndex(self._tasks)

    def insert(self, task: HumanTask) -> HumanTask:
        with self._lock:
            if task.task_id in self._tasks:
                raise InvalidRequest(f"Task {task.task_id} already exists")
            self._tasks[task.task_id] = task
            self._index.add(task)
            return task

    # -- internals -----------------------------------------------------------------------------------

    def _apply(self, task_id: str, change: Callable[[HumanTask, int], HumanTask]) -> HumanTask:
        """Load, apply one lifecycle function (which raises before anything changes), save: atomically."""
        with self._lock:
            before = self.peek(task_id)
            return self._save(before, change(before, self._clock.now_ms()))

    def _save(self, before: HumanTask, after: HumanTask) -> HumanTask:
        if after is before:
            return before  # nothing changed (deleting a deleted task): nothing to index or announce
        self._tasks[after.task_id] = after
        self._index.update(before, after)
        for listener in self._listeners:
            listener(before, after)
        return after


def _matcher(query: TaskSearch) -> Callable[[HumanTask], bool]:
    """One predicate for every filter of `query` (AND across fields, OR within a list), compiled once per search
    into few calls per task: the states (the usual filter) are tested in the predicate itself, then one closure
    per other filter the query has, the cheapest first, with no generator for one or two of them."""
    rest = _all_of(_checks(query))
    if not query.states:
        return rest or _anything
    states = frozenset(query.states)
    if rest is None:
        return lambda task: task.state in states
    return lambda task: task.state in states and rest(task)


def _all_of(checks: list[Callable[[HumanTask], bool]]) -> Callable[[HumanTask], bool] | None:
    if len(checks) > 2:
        return lambda task: all(check(task) for check in checks)
    if len(checks) == 2:
        first, second = checks
        return lambda task: first(task) and second(task)
    return checks[0] if checks else None


def _anything(task: HumanTask) -> bool:
    return True


def _checks(query: TaskSearch) -> list[Callable[[HumanTask], bool]]:
    """A check for each filter of `query` but the states."""
    checks: list[Callable[[HumanTask], bool]] = []
    for values, field in ((query.definition_names, "definition_name"), (query.display_names, "display_name"),
                          (query.task_ref_names, "task_ref_name"), (query.workflow_ids, "workflow_id"),
                          (query.workflow_names, "workflow_name")):
        if values:
            checks.append(_one_of(attrgetter(field), frozenset(values)))
    low, high = query.update_start_time, query.update_end_time
    if low is not None or high is not None:
        after = -math.inf if low is None else low  # (an int compares with a float exactly)
        before = math.inf if high is None else high
        checks.append(lambda t: after <= t.updated_on <= before)
    if query.assignees:
        checks.append(_user_filter(query.assignees, attrgetter("assignee")))
    if query.claimants:
        checks.append(_user_filter(query.claimants, attrgetter("claimant")))
    checks += _query_checks(query)
    return checks


def _one_of(attribute: Callable[[HumanTask], str], wanted: frozenset[str]) -> Callable[[HumanTask], bool]:
    return lambda t: attribute(t) in wanted


def _query_checks(query: TaskSearch) -> list[Callable[[HumanTask], bool]]:
    """The checks of the query languages: `taskInputQuery`, `taskOutputQuery`, `fullTextQuery`."""
    checks: list[Callable[[HumanTask], bool]] = []
    if query.task_input_query.strip():
        on_input = parse_field_query(query.task_input_query, "taskInputQuery")
        checks.append(lambda t: on_input(t.input))
    if query.task_output_query.strip():
        on_output = parse_field_query(query.task_output_query, "taskOutputQuery")
        checks.append(lambda t: on_output(t.output))
    if query.full_text_query.strip():
        text = parse_full_text(query.full_text_query)
        checks.append(lambda t: text(flatten([t.task_id, t.display_name, t.definition_name, t.task_ref_name,
                                              t.workflow_id, t.workflow_name, t.input, t.output])))
    return checks


def _user_filter(users: Sequence[TaskUser], attribute: Callable[[HumanTask], TaskUser | None]
                 ) -> Callable[[HumanTask], bool]:
    """`users` (OR) against the task's assignee or claimant, as `query.glob_matcher` compares: the user type
    exactly, the user case-insensitively, `*` a wildcard. The users without a wildcard are one set of keys."""
    exact = frozenset((u.user_type, u.user.lower()) for u in users if "*" not in u.user)
    globs = [(u.user_type, glob_matcher(u.user)) for u in users if "*" in u.user]
    if not globs:
        def exactly(task: HumanTask) -> bool:
            value = attribute(task)
            return value is not None and (value.user_type, value.user.lower()) in exact

        return exactly

    def check(task: HumanTask) -> bool:
        value = attribute(task)
        return value is not None and ((value.user_type, value.user.lower()) in exact
                                      or any(t is value.user_type and m(value.user) for t, m in globs))

    return check
