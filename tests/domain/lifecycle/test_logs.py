"""The builders of action-log entries, including the logs of a seeded claimed task."""

from __future__ import annotations

from mockserver.domain import ActionLog, HumanTask, LogAction, SequentialIds, TaskState, TaskUser, UserType
from mockserver.domain.lifecycle import logs

ANN = TaskUser("ann", UserType.CONDUCTOR_USER)
BOB = TaskUser("bob", UserType.EXTERNAL_USER)


def ids() -> SequentialIds:
    return SequentialIds(7)


def test_assignment_log_for_an_assignee_and_for_no_one() -> None:
    task = HumanTask(task_id="t", state=TaskState.ASSIGNED, created_on=0, updated_on=0, assignee=ANN)
    made = ids()
    assert logs.assignment_log(task, 5, made) == ActionLog(ids().new_id(), TaskState.ASSIGNED, 5,
                                                            LogAction.ASSIGNMENT, "system", assignee=ANN)
    open_log = logs.assignment_log(HumanTask(task_id="t", state=TaskState.ASSIGNED, created_on=0, updated_on=0), 5,
                                   made)
    assert (open_log.action, open_log.assignee) == (LogAction.ASSIGNMENTS_COMPLETED, None)


def test_claim_log_is_acted_by_the_claimant() -> None:
    log = logs.claim_log(BOB, ANN, 9, ids())
    assert (log.state, log.action, log.acted_by, log.assignee, log.claimant) == (
        TaskState.IN_PROGRESS, LogAction.CLAIM, "EXTERNAL_USER:bob", ANN, BOB)


def test_release_reassign_skip_and_finish_logs() -> None:
    release = logs.release_log("owner", ANN, 1, ids())
    assert (release.state, release.action, release.acted_by, release.assignee) == (
        TaskState.PENDING, LogAction.RELEASE, "owner", ANN)
    reassign = logs.reassign_log("owner", BOB, 1, ids())
    assert (reassign.state, reassign.action, reassign.assignee) == (TaskState.ASSIGNED, LogAction.REASSIGN, BOB)
    assert logs.skip_log(TaskState.ASSIGNED, "owner", None, ANN, 1, ids()).acted_by == "owner"
    skip = logs.skip_log(TaskState.ASSIGNED, "owner", "away", ANN, 1, ids())
    assert (skip.action, skip.acted_by, skip.assignee) == (LogAction.SKIP, "owner (away)", ANN)
    done = logs.assignments_completed_log(TaskState.DELETED, 1, ids())
    assert (done.state, done.action, done.acted_by) == (TaskState.DELETED, LogAction.ASSIGNMENTS_COMPLETED, "system")
    finished = logs.finish_log(TaskState.TIMED_OUT, LogAction.TIMED_OUT, "system", ANN, BOB, 1, ids())
    assert (finished.state, finished.action, finished.assignee, finished.claimant) == (
        TaskState.TIMED_OUT, LogAction.TIMED_OUT, ANN, BOB)


def test_seeded_claim_log_is_what_a_live_claim_leaves() -> None:
    task = HumanTask(task_id="t", state=TaskState.IN_PROGRESS, created_on=10, updated_on=20, assignee=ANN,
                     claimant=BOB)
    seeded = logs.seeded_claim_log(task, ids())
    live = ids()
    assert seeded == (logs.assignment_log(task, 10, live), logs.claim_log(BOB, ANN, 20, live))
    unclaimed = logs.seeded_claim_log(HumanTask(task_id="t", state=TaskState.ASSIGNED, created_on=10, updated_on=20,
                                                assignee=ANN), ids())
    assert [log.action for log in unclaimed] == [LogAction.ASSIGNMENT]


def test_appended_keeps_the_first_entry_and_the_last_ones() -> None:
    ids = SequentialIds(1)
    entries = tuple(logs.assignments_completed_log(TaskState.ASSIGNED, n, ids) for n in range(logs.MAX_ACTION_LOGS + 5))
    assert logs.appended(entries[:3], entries[3]) == entries[:4]
    assert logs.appended(entries[:-2], *entries[-2:]) == (entries[0], *entries[-logs.MAX_ACTION_LOGS:])
