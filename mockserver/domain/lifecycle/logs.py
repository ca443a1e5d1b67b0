"""The builders of `humanTaskActionLogs` entries: the store's transitions and the scenario loader use the same ones,
so a seeded log cannot drift from the one a live action writes."""

from __future__ import annotations

from typing import Final

from mockserver.domain.ids import IdGenerator
from mockserver.domain.model import ActionLog, HumanTask, LogAction, TaskState, TaskUser

SYSTEM = "system"
MAX_ACTION_LOGS: Final = 200  # a task keeps its first log entry and its last MAX_ACTION_LOGS (documented in README)


def appended(kept: tuple[ActionLog, ...], *new: ActionLog) -> tuple[ActionLog, ...]:
    """`kept` then `new`, bounded: the first entry (how the task began) and the last MAX_ACTION_LOGS, so a
    claim/release loop cannot grow a task without limit."""
    both = (*kept, *new)
    if len(both) <= MAX_ACTION_LOGS + 1:
        return both
    return (both[0], *both[-MAX_ACTION_LOGS:])


def assignment_log(task: HumanTask, now: int, ids: IdGenerator) -> ActionLog:
    """The system's ASSIGNMENT entry for `task`'s assignee (ASSIGNMENTS_COMPLETED for a task open to anyone)."""
    action = LogAction.ASSIGNMENT if task.assignee is not None else LogAction.ASSIGNMENTS_COMPLETED
    return ActionLog(ids.new_id(), TaskState.ASSIGNED, now, action, SYSTEM, assignee=task.assignee)


def claim_log(claimant: TaskUser, assignee: TaskUser | None, now: int, ids: IdGenerator) -> ActionLog:
    """CLAIM, acted by the claimant (`USERTYPE:user`), with the assignee after the claim."""
    return ActionLog(ids.new_id(), TaskState.IN_PROGRESS, now, LogAction.CLAIM, str(claimant),
                     assignee=assignee, claimant=claimant)


def release_log(actor: str, assignee: TaskUser | None, now: int, ids: IdGenerator) -> ActionLog:
    return ActionLog(ids.new_id(), TaskState.PENDING, now, LogAction.RELEASE, actor, assignee=assignee)


def reassign_log(actor: str, first: TaskUser | None, now: int, ids: IdGenerator) -> ActionLog:
    return ActionLog(ids.new_id(), TaskState.ASSIGNED, now, LogAction.REASSIGN, actor, assignee=first)


def skip_log(state: TaskState, actor: str, reason: str | None, assignee: TaskUser | None, now: int,
             ids: IdGenerator) -> ActionLog:
    acted_by = actor if not reason else f"{actor} ({reason})"
    return ActionLog(ids.new_id(), state, now, LogAction.SKIP, acted_by, assignee=assignee)


def assignments_completed_log(state: TaskState, now: int, ids: IdGenerator) -> ActionLog:
    """The system's entry when the last assignment passed (LEAVE_OPEN or TERMINATE)."""
    return ActionLog(ids.new_id(), state, now, LogAction.ASSIGNMENTS_COMPLETED, SYSTEM)


def finish_log(state: TaskState, log_action: LogAction, actor: str, assignee: TaskUser | None,
               claimant: TaskUser | None, now: int, ids: IdGenerator) -> ActionLog:
    """TIMED_OUT or DELETED, keeping who the task was assigned to and claimed by."""
    return ActionLog(ids.new_id(), state, now, log_action, actor, assignee=assignee, claimant=claimant)


def seeded_claim_log(task: HumanTask, ids: IdGenerator) -> tuple[ActionLog, ...]:
    """The logs a real server would have left on a seeded task: the system's assignment at `created_on`, then,
    when it has a claimant, the claim at `updated_on`, exactly as `transitions.claim` writes it."""
    logs = [assignment_log(task, task.created_on, ids)]
    if task.claimant is not None:
        logs.append(claim_log(task.claimant, task.assignee, task.updated_on, ids))
    return tuple(logs)
