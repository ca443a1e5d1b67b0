"""Every change to a human task, as a pure function `(task, caller, ..., now, ids) -> new task`.

Each one checks in this order: who may act (`rights`, `Forbidden`), then the state (`table`, `InvalidTransition`),
then the arguments; it raises before it takes an id, so a refused action changes nothing. The store loads the task,
applies one of these under its lock (a compare-and-set) and saves the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from mockserver.domain import forms
from mockserver.domain.errors import AssigneeMismatch, FormInvalid, InvalidRequest
from mockserver.domain.identity import Directory, Principal
from mockserver.domain.ids import IdGenerator
from mockserver.domain.lifecycle import logs, rights
from mockserver.domain.lifecycle.logs import SYSTEM, assignment_log
from mockserver.domain.lifecycle.table import next_state
from mockserver.domain.model import (
    Action,
    Assignment,
    CompletionStrategy,
    HumanTask,
    HumanTaskDef,
    LogAction,
    TaskState,
    TaskUser,
    UserType,
    evolve,
)

AUTO_CLAIMING = frozenset({UserType.EXTERNAL_USER, UserType.CONDUCTOR_USER})  # one person, who can be the claimant


def new_task(task_id: str, definition: HumanTaskDef, *, now: int, ids: IdGenerator, **fields: Any) -> HumanTask:
    """A task as a real server creates it: PENDING, then at once assigned to `assignments[0]` (ASSIGNED),
    or, with no assignments, ASSIGNED to no one and open to anyone (ASSIGNMENTS_COMPLETED).
    With `autoClaim: true` and a first assignee that is one person (EXTERNAL_USER or CONDUCTOR_USER), that
    assignee claims it at once: IN_PROGRESS, claimant = the assignee, a CLAIM log after the ASSIGNMENT."""
    first = definition.assignments[0].assignee if definition.assignments else None
    task = HumanTask(task_id=task_id, state=TaskState.ASSIGNED, created_on=now, updated_on=now,
                     assignee=first, definition=definition, assignee_index=0 if first else None,
                     assignments_completed=first is None, **fields)
    task = evolve(task, action_logs=(assignment_log(task, now, ids),))
    if definition.auto_claim and first is not None and first.user_type in AUTO_CLAIMING:
        claimed = logs.claim_log(first, first, now, ids)
        task = evolve(task, state=next_state(task, Action.CLAIM), claimant=first,
                       action_logs=logs.appended(task.action_logs, claimed))
    return task


def claim_for_user(task: HumanTask, caller: Principal, user_id: str, *, override: bool, directory: Directory,
                   now: int, ids: IdGenerator) -> HumanTask:
    """`/externalUser/{userId}`: the caller (owner or admin) claims the task on behalf of `user_id`.
    Order: rights, state, then (unless `override`) that `user_id` is the one the task waits for."""
    rights.require(rights.may_claim_for_external_user(caller, task), caller, "claim", task)
    next_state(task, Action.CLAIM)
    if not override and not rights.user_matches_assignee(directory, user_id, task.assignee):
        raise AssigneeMismatch(task.task_id, user_id, str(task.assignee))
    return _claimed(task, caller, TaskUser(user_id, UserType.EXTERNAL_USER), override, now, ids)


def claim_as_caller(task: HumanTask, caller: Principal, *, override: bool, now: int, ids: IdGenerator) -> HumanTask:
    """`/claim`: the calling Conductor user (or application) claims the task for itself."""
    rights.require(rights.may_claim_as_self(caller, task, override), caller, "claim", task,
                   f" assigned to {task.assignee} (use overrideAssignment=true)")
    next_state(task, Action.CLAIM)
    return _claimed(task, caller, TaskUser(caller.id, UserType.CONDUCTOR_USER), override, now, ids)


def _claimed(task: HumanTask, caller: Principal, claimant: TaskUser, override: bool, now: int,
             ids: IdGenerator) -> HumanTask:
    """The override rule: an override claim makes the claimant the assignee too."""
    assignee = claimant if override else task.assignee
    log = logs.claim_log(claimant, assignee, now, ids)
    return evolve(task, state=next_state(task, Action.CLAIM), claimant=claimant, assignee=assignee, updated_on=now,
                  updated_by=caller.id, action_logs=logs.appended(task.action_logs, log))


def release(task: HumanTask, caller: Principal, *, now: int, ids: IdGenerator) -> HumanTask:
    rights.require(rights.may_act_on_claim(caller, task), caller, "release", task)
    state = next_state(task, Action.RELEASE)
    released = logs.release_log(caller.id, task.assignee, now, ids)
    assigned = assignment_log(task, now, ids)  # to the assignee it had, which a release keeps
    return evolve(task, state=state, claimant=None, updated_on=now, updated_by=caller.id,
                  action_logs=logs.appended(task.action_logs, released, assigned))


def update(task: HumanTask, caller: Principal, output: dict[str, Any], *, complete: bool, now: int,
           schema: Mapping[str, Any] | None = None) -> HumanTask:
    """Merge `output` into the task's output (shallow); with `complete`, the task is COMPLETED with it.
    With the `schema` of the task's form, the merged output must satisfy it (`required` only to complete)."""
    rights.require(rights.may_act_on_claim(caller, task), caller, "update", task)
    state = next_state(task, Action.COMPLETE if complete else Action.UPDATE)
    merged = {**task.output, **output}
    if schema is not None and (problems := forms.validate(schema, merged, required=complete)):
        form = task.definition.form
        raise FormInvalid(task.task_id, form.name if form else "", problems)
    return evolve(task, state=state, output=merged, updated_on=now, updated_by=caller.id)


def complete_by_system(task: HumanTask, output: dict[str, Any], actor: str, *, now: int) -> HumanTask:
    """Complete through the Conductor task API (the workflow side): the state rule only, no human-task rights."""
    state = next_state(task, Action.COMPLETE)
    return evolve(task, state=state, output={**task.output, **output}, updated_on=now, updated_by=actor)


def reassign(task: HumanTask, caller: Principal, assignments: Sequence[Assignment], *, now: int,
             ids: IdGenerator) -> HumanTask:
    """Replace the assignment policy of an unclaimed task and start again at its first assignee."""
    rights.require(rights.may_reassign(caller, task), caller, "reassign", task)
    state = next_state(task, Action.REASSIGN)
    first = assignments[0].assignee if assignments else None
    log = logs.reassign_log(caller.id, first, now, ids)
    after = evolve(task, state=state, assignee=first, assignee_index=0 if first else None,
                   skipped_assignee_indexes=(), assignments_completed=first is None,
                   definition=replace(task.definition, assignments=tuple(assignments)),
                   updated_on=now, updated_by=caller.id)
    return evolve(after, action_logs=logs.appended(task.action_logs, log, assignment_log(after, now, ids)))


def skip(task: HumanTask, caller: Principal, reason: str | None, *, now: int, ids: IdGenerator) -> HumanTask:
    """Skip the current assignee: the next assignment takes over, or the completion strategy applies."""
    rights.require(rights.may_act_on_claim(caller, task), caller, "skip", task)
    next_state(task, Action.SKIP)
    if task.assignee is None:
        raise InvalidRequest(f"Task {task.task_id} has no assignee to skip")
    log = logs.skip_log(task.state, caller.id, reason, task.assignee, now, ids)
    skipped = evolve(task, action_logs=logs.appended(task.action_logs, log),
                     skipped_assignee_indexes=(*task.skipped_assignee_indexes, task.assignee_index or 0))
    return next_assignment(skipped, now=now, actor=caller.id, ids=ids)


def next_assignment(task: HumanTask, *, now: int, actor: str = SYSTEM, ids: IdGenerator) -> HumanTask:
    """Move to the assignment after the current one (an SLA passed, or a skip); past the last, apply the
    completion strategy: LEAVE_OPEN opens the task to anyone, TERMINATE deletes it."""
    index = (task.assignee_index if task.assignee_index is not None else -1) + 1
    assignments = task.definition.assignments
    if task.assignee is not None and index < len(assignments):
        state = next_state(task, Action.ESCALATE)
        after = evolve(task, state=state, assignee=assignments[index].assignee, assignee_index=index,
                       updated_on=now, updated_by=actor)
        return evolve(after, action_logs=logs.appended(task.action_logs, assignment_log(after, now, ids)))
    terminate = task.definition.completion_strategy is CompletionStrategy.TERMINATE
    state = next_state(task, Action.TERMINATE if terminate else Action.LEAVE_OPEN)
    after = evolve(task, state=state, assignee=None, assignments_completed=True, updated_on=now, updated_by=actor)
    return evolve(after, action_logs=logs.appended(task.action_logs, logs.assignments_completed_log(state, now, ids)))


def delete_all(tasks: Sequence[HumanTask], caller: Principal, *, now: int, ids: IdGenerator) -> list[HumanTask]:
    """Mark tasks DELETED. All or nothing: the rights are checked for every task before any changes."""
    for task in tasks:
        rights.require(rights.may_delete(caller, task), caller, "delete", task)
    return [finish(task, Action.DELETE, caller.id, now=now, ids=ids) for task in tasks]


def finish(task: HumanTask, action: Action, actor: str = SYSTEM, *, now: int, ids: IdGenerator) -> HumanTask:
    """TIME_OUT, CANCEL or DELETE. Finishing a task already in the target state returns it unchanged."""
    state = next_state(task, action)
    if task.state is state:
        return task  # deleting a deleted task changes nothing
    log_action = LogAction.TIMED_OUT if action is Action.TIME_OUT else LogAction.DELETED
    log = logs.finish_log(state, log_action, actor, task.assignee, task.claimant, now, ids)
    return evolve(task, state=state, updated_on=now, updated_by=actor,
                  action_logs=logs.appended(task.action_logs, log))


def record_trigger(task: HumanTask, entry: dict[str, Any]) -> HumanTask:
    return evolve(task, trigger_log=(*task.trigger_log, entry))
