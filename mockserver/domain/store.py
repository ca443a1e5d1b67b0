"""TaskStore and TemplateStore: the state of one mock, and every change to it.

Every public method is atomic: it runs under the store's lock, reads the task, checks the caller's
rights (`policy`), the lifecycle (`model.TRANSITIONS`) and the arguments, and only then writes one new
immutable task. A claim is therefore a compare-and-set: of N concurrent claims exactly one wins.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from mockserver.domain import policy
from mockserver.domain.clock import Clock
from mockserver.domain.errors import AssigneeMismatch, Forbidden, InvalidRequest, TaskNotFound, TemplateNotFound
from mockserver.domain.identity import Directory, Principal
from mockserver.domain.ids import IdGenerator
from mockserver.domain.index import TaskIndex
from mockserver.domain.model import (
    Action,
    ActionLog,
    Assignment,
    CompletionStrategy,
    HumanTask,
    HumanTaskDef,
    LogAction,
    TaskState,
    TaskUser,
    Template,
    UserType,
    next_state,
)
from mockserver.domain.query import flatten, glob_matcher, parse_field_query, parse_full_text

SYSTEM = "system"
DEFAULT_PAGE_SIZE = 15
MAX_PAGE_SIZE = 1000

TaskListener = Callable[[HumanTask, HumanTask], None]


class SearchType(StrEnum):
    ADMIN = "ADMIN"
    INBOX = "INBOX"


@dataclass(frozen=True, slots=True)
class TaskSearch:
    """A HumanTaskSearch. Empty tuples and None mean "no filter"."""

    search_type: SearchType = SearchType.INBOX
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


def assignment_log(task: HumanTask, now: int, ids: IdGenerator) -> ActionLog:
    """The system's ASSIGNMENT (or ASSIGNMENTS_COMPLETED, for a task open to anyone) entry."""
    action = LogAction.ASSIGNMENT if task.assignee is not None else LogAction.ASSIGNMENTS_COMPLETED
    return ActionLog(ids.new_id(), TaskState.ASSIGNED, now, action, SYSTEM, assignee=task.assignee)


def new_task(
    task_id: str,
    definition: HumanTaskDef,
    *,
    now: int,
    ids: IdGenerator,
    **fields: Any,
) -> HumanTask:
    """A task as a real server creates it: PENDING, then at once assigned to `assignments[0]` (ASSIGNED),
    or, with no assignments, ASSIGNED to no one and open to anyone (ASSIGNMENTS_COMPLETED)."""
    first = definition.assignments[0].assignee if definition.assignments else None
    task = HumanTask(task_id=task_id, state=TaskState.ASSIGNED, created_on=now, updated_on=now,
                     assignee=first, definition=definition, assignee_index=0 if first else None,
                     assignments_completed=first is None, **fields)
    return replace(task, action_logs=(assignment_log(task, now, ids),))


class TaskStore:
    """All human tasks of one mock instance. Every public method is atomic."""

    def __init__(self, tasks: Iterable[HumanTask], *, directory: Directory, clock: Clock, ids: IdGenerator,
                 lock: threading.RLock | None = None) -> None:
        self._lock = lock or threading.RLock()
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
        if not policy.may_read(caller, task):
            raise Forbidden(caller.id, "read", f"task: {task.definition_name or task_id}")
        return task

    def search(self, caller: Principal, query: TaskSearch) -> SearchPage:
        admin = query.search_type is SearchType.ADMIN
        in_scope = policy.in_admin_view if admin else policy.in_inbox
        matches = _matcher(query)
        size = min(max(query.size, 0), MAX_PAGE_SIZE)
        start = max(query.start, 0)
        unrestricted = admin and caller.is_admin  # an admin's ADMIN search: every task is in scope
        accept = matches if unrestricted else lambda t: in_scope(caller, t) and matches(t)
        with self._lock:  # the index picks the candidates; `in_scope` and `matches` decide, as in a full scan
            total, page = self._index.select(query, accept, start=start, size=size,
                                             inbox_of=None if admin else caller, unrestricted=unrestricted)
        return SearchPage(total, start, size, tuple(page))

    # -- changing ------------------------------------------------------------------------------------

    def subscribe(self, listener: TaskListener) -> None:
        """Call `listener(before, after)` after every change (the workflow engine listens here)."""
        self._listeners.append(listener)

    def claim_for_user(self, caller: Principal, task_id: str, user_id: str, *, override: bool = False) -> HumanTask:
        """`/externalUser/{userId}`: the caller (owner or admin) claims the task on behalf of `user_id`."""
        with self._lock:
            task = self.peek(task_id)
            if not policy.may_claim_for_external_user(caller, task):
                raise Forbidden(caller.id, "claim", f"task: {task.definition_name or task_id}")
            state = next_state(task, Action.CLAIM)
            if not override and not policy.user_matches_assignee(self._directory, user_id, task.assignee):
                raise AssigneeMismatch(task_id, user_id, str(task.assignee))
            claimant = TaskUser(user_id, UserType.EXTERNAL_USER)
            return self._claim(task, state, caller, claimant, override)

    def claim_as_caller(self, caller: Principal, task_id: str, *, override: bool = False) -> HumanTask:
        """`/claim`: the calling Conductor user (or application) claims the task for itself."""
        with self._lock:
            task = self.peek(task_id)
            if not policy.may_claim_as_self(caller, task, override):
                raise Forbidden(caller.id, "claim", f"task: {task.definition_name or task_id}"
                                f" assigned to {task.assignee} (use overrideAssignment=true)")
            state = next_state(task, Action.CLAIM)
            claimant = TaskUser(caller.id, UserType.CONDUCTOR_USER)
            return self._claim(task, state, caller, claimant, override)

    def release(self, caller: Principal, task_id: str) -> HumanTask:
        with self._lock:
            task = self.peek(task_id)
            if not policy.may_act_on_claim(caller, task):
                raise Forbidden(caller.id, "release", f"task: {task.definition_name or task_id}")
            state = next_state(task, Action.RELEASE)
            now = self._clock.now_ms()
            released = ActionLog(self._ids.new_id(), TaskState.PENDING, now, LogAction.RELEASE, caller.id,
                                 assignee=task.assignee)
            after = replace(task, state=state, claimant=None, updated_on=now, updated_by=caller.id)
            after = replace(after, action_logs=(*task.action_logs, released, assignment_log(after, now, self._ids)))
            return self._put(task, after)

    def update(self, caller: Principal, task_id: str, output: dict[str, Any], *, complete: bool) -> HumanTask:
        """Merge `output` into the task's output (shallow); with `complete`, the task is COMPLETED with it."""
        with self._lock:
            task = self.peek(task_id)
            action = Action.COMPLETE if complete else Action.UPDATE
            if not policy.may_act_on_claim(caller, task):
                raise Forbidden(caller.id, "update", f"task: {task.definition_name or task_id}")
            state = next_state(task, action)
            after = replace(task, state=state, output={**task.output, **output},
                            updated_on=self._clock.now_ms(), updated_by=caller.id)
            return self._put(task, after)

    def reassign(self, caller: Principal, task_id: str, assignments: Sequence[Assignment]) -> HumanTask:
        """Replace the assignment policy of an unclaimed task and start again at its first assignee."""
        with self._lock:
            task = self.peek(task_id)
            if not policy.may_reassign(caller, task):
                raise Forbidden(caller.id, "reassign", f"task: {task.definition_name or task_id}")
            state = next_state(task, Action.REASSIGN)
            now = self._clock.now_ms()
            first = assignments[0].assignee if assignments else None
            log = ActionLog(self._ids.new_id(), state, now, LogAction.REASSIGN, caller.id, assignee=first)
            after = replace(task, state=state, assignee=first, assignee_index=0 if first else None,
                            skipped_assignee_indexes=(), assignments_completed=first is None,
                            definition=replace(task.definition, assignments=tuple(assignments)),
                            updated_on=now, updated_by=caller.id)
            after = replace(after, action_logs=(*task.action_logs, log, assignment_log(after, now, self._ids)))
            return self._put(task, after)

    def skip(self, caller: Principal, task_id: str, reason: str | None = None) -> HumanTask:
        """Skip the current assignee: the next assignment takes over, or the completion strategy applies."""
        with self._lock:
            task = self.peek(task_id)
            if not policy.may_act_on_claim(caller, task):
                raise Forbidden(caller.id, "skip", f"task: {task.definition_name or task_id}")
            next_state(task, Action.SKIP)
            if task.assignee is None:
                raise InvalidRequest(f"Task {task_id} has no assignee to skip")
            now = self._clock.now_ms()
            acted_by = caller.id if not reason else f"{caller.id} ({reason})"
            log = ActionLog(self._ids.new_id(), task.state, now, LogAction.SKIP, acted_by, assignee=task.assignee)
            skipped = replace(task, action_logs=(*task.action_logs, log),
                              skipped_assignee_indexes=(*task.skipped_assignee_indexes, task.assignee_index or 0))
            return self._put(task, self._next_assignment(skipped, now, caller.id))

    def expire_assignment(self, task_id: str) -> HumanTask:
        """The current assignee's SLA passed while the task was unclaimed (called by the clock)."""
        with self._lock:
            task = self.peek(task_id)
            return self._put(task, self._next_assignment(task, self._clock.now_ms(), SYSTEM))

    def delete(self, caller: Principal, task_ids: Sequence[str]) -> list[HumanTask]:
        """Mark tasks DELETED (still readable and searchable). All or nothing: any unknown id refuses all."""
        with self._lock:
            tasks = [self.peek(task_id) for task_id in task_ids]
            for task in tasks:
                if not policy.may_delete(caller, task):
                    raise Forbidden(caller.id, "delete", f"task: {task.definition_name or task.task_id}")
            return [self._finish(task, Action.DELETE, LogAction.DELETED, caller.id) for task in tasks]

    def finish_by_system(self, task_id: str, action: Action, actor: str = SYSTEM) -> HumanTask:
        """TIME_OUT, CANCEL or DELETE a task on the workflow's behalf."""
        log_action = LogAction.TIMED_OUT if action is Action.TIME_OUT else LogAction.DELETED
        with self._lock:
            return self._finish(self.peek(task_id), action, log_action, actor)

    def complete_by_system(self, task_id: str, output: dict[str, Any], actor: str) -> HumanTask:
        """Complete a task through the Conductor task API (the workflow side), with no human-task rules."""
        with self._lock:
            task = self.peek(task_id)
            state = next_state(task, Action.COMPLETE)
            after = replace(task, state=state, output={**task.output, **output}, updated_on=self._clock.now_ms(),
                            updated_by=actor)
            return self._put(task, after)

    def record_trigger(self, task_id: str, entry: dict[str, Any]) -> HumanTask:
        with self._lock:
            task = self.peek(task_id)
            return self._put(task, replace(task, trigger_log=(*task.trigger_log, entry)))

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

    def _claim(self, task: HumanTask, state: TaskState, caller: Principal, claimant: TaskUser,
               override: bool) -> HumanTask:
        now = self._clock.now_ms()
        assignee = claimant if override else task.assignee
        log = ActionLog(self._ids.new_id(), state, now, LogAction.CLAIM, str(claimant),
                        assignee=assignee, claimant=claimant)
        after = replace(task, state=state, claimant=claimant, assignee=assignee, updated_on=now,
                        updated_by=caller.id, action_logs=(*task.action_logs, log))
        return self._put(task, after)

    def _next_assignment(self, task: HumanTask, now: int, actor: str) -> HumanTask:
        """Move to the assignment after the current one; past the last, apply the completion strategy."""
        index = (task.assignee_index if task.assignee_index is not None else -1) + 1
        assignments = task.definition.assignments
        if task.assignee is not None and index < len(assignments):
            state = next_state(task, Action.ESCALATE)
            after = replace(task, state=state, assignee=assignments[index].assignee, assignee_index=index,
                            updated_on=now, updated_by=actor)
            return replace(after, action_logs=(*task.action_logs, assignment_log(after, now, self._ids)))
        terminate = task.definition.completion_strategy is CompletionStrategy.TERMINATE
        state = next_state(task, Action.TERMINATE if terminate else Action.LEAVE_OPEN)
        after = replace(task, state=state, assignee=None, assignments_completed=True, updated_on=now,
                        updated_by=actor)
        log = ActionLog(self._ids.new_id(), state, now, LogAction.ASSIGNMENTS_COMPLETED, SYSTEM)
        return replace(after, action_logs=(*task.action_logs, log))

    def _finish(self, task: HumanTask, action: Action, log_action: LogAction, actor: str) -> HumanTask:
        state = next_state(task, action)
        if task.state is state:
            return task  # deleting a deleted task changes nothing
        now = self._clock.now_ms()
        log = ActionLog(self._ids.new_id(), state, now, log_action, actor, assignee=task.assignee,
                        claimant=task.claimant)
        after = replace(task, state=state, updated_on=now, updated_by=actor, action_logs=(*task.action_logs, log))
        return self._put(task, after)

    def _put(self, before: HumanTask, after: HumanTask) -> HumanTask:
        self._tasks[after.task_id] = after
        self._index.update(before, after)
        for listener in self._listeners:
            listener(before, after)
        return after


def _matcher(query: TaskSearch) -> Callable[[HumanTask], bool]:
    """One predicate for every filter of `query` (AND across fields, OR within a list)."""
    checks: list[Callable[[HumanTask], bool]] = []

    def one_of(values: Sequence[str], attribute: Callable[[HumanTask], str]) -> None:
        if values:
            wanted = frozenset(values)
            checks.append(lambda t: attribute(t) in wanted)

    if query.states:
        states = frozenset(query.states)
        checks.append(lambda t: t.state in states)
    for users, attribute in ((query.assignees, "assignee"), (query.claimants, "claimant")):
        if users:
            checks.append(_user_filter(users, attribute))
    one_of(query.definition_names, lambda t: t.definition_name)
    one_of(query.display_names, lambda t: t.display_name)
    one_of(query.task_ref_names, lambda t: t.task_ref_name)
    one_of(query.workflow_ids, lambda t: t.workflow_id)
    one_of(query.workflow_names, lambda t: t.workflow_name)
    if query.update_start_time is not None:
        low = query.update_start_time
        checks.append(lambda t: t.updated_on >= low)
    if query.update_end_time is not None:
        high = query.update_end_time
        checks.append(lambda t: t.updated_on <= high)
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
    if len(checks) <= 2:  # the common case, without a generator per task
        first, second = (*checks, bool, bool)[:2]  # bool(task) is True: a dataclass has no __len__
        return lambda task: first(task) and second(task)
    return lambda task: all(check(task) for check in checks)


def _user_filter(users: Sequence[TaskUser], attribute: str) -> Callable[[HumanTask], bool]:
    wanted = [(u.user_type, glob_matcher(u.user)) for u in users]

    def check(task: HumanTask) -> bool:
        value: TaskUser | None = getattr(task, attribute)
        return value is not None and any(t is value.user_type and m(value.user) for t, m in wanted)

    return check


class TemplateStore:
    """User forms by (name, version)."""

    def __init__(self, templates: Iterable[Template], *, clock: Clock) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._templates: dict[tuple[str, int], Template] = {(t.name, t.version): t for t in templates}

    def all(self) -> list[Template]:
        return sorted(self._templates.values(), key=lambda t: (t.name, -t.version))

    def get(self, name: str, version: int) -> Template:
        found = self._find(name, version)
        if found is None:
            raise TemplateNotFound(name, version)
        return found

    def find_for_task(self, task: HumanTask) -> Template | None:
        form = task.definition.form
        return self._find(form.name, form.version) if form is not None else None

    def list(self, name: str | None = None, version: int | None = None) -> list[Template]:
        found = [t for t in self.all()
                 if (name is None or t.name == name) and (version is None or t.version == version)]
        if name is not None and not found:
            raise TemplateNotFound(name, version)
        return found

    def save(self, caller: Principal, template: Template, *, new_version: bool, version_given: bool) -> Template:
        """Save a form. A version in the body wins; else `new_version` makes latest+1; else the latest is
        overwritten (version 1 when the form is new)."""
        with self._lock:
            now = self._clock.now_ms()
            latest = max((v for n, v in self._templates if n == template.name), default=0)
            version = template.version if version_given else (latest + 1 if new_version or latest == 0 else latest)
            existing = self._templates.get((template.name, version))
            saved = replace(template, version=version, updated_by=caller.id, update_time=now,
                            created_by=existing.created_by if existing else caller.id,
                            create_time=existing.create_time if existing else now)
            self._templates[(saved.name, saved.version)] = saved
            return saved

    def _find(self, name: str, version: int) -> Template | None:
        if version <= 0:
            versions = [v for n, v in self._templates if n == name]
            return self._templates[(name, max(versions))] if versions else None
        return self._templates.get((name, version))
