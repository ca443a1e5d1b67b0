"""Each transition as a pure function: the new task and its logs, and each refusal (the task is left as it was
and no id is taken)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from mockserver.domain import (
    Action,
    Assignment,
    CompletionStrategy,
    Directory,
    HumanTask,
    HumanTaskDef,
    LogAction,
    Principal,
    PrincipalKind,
    Role,
    SequentialIds,
    TaskState,
    TaskUser,
    UserType,
)
from mockserver.domain.errors import (
    AssigneeMismatch,
    DomainError,
    Forbidden,
    FormInvalid,
    InvalidRequest,
    InvalidTransition,
)
from mockserver.domain.lifecycle import new_task, transitions

ADMIN = Principal("admin", PrincipalKind.USER, frozenset({Role.ADMIN}))
OWNER = Principal("owner-app", PrincipalKind.APPLICATION)
STRANGER = Principal("stranger", PrincipalKind.USER)
ANN, CAROL = TaskUser("ann", UserType.EXTERNAL_USER), TaskUser("carol", UserType.EXTERNAL_USER)
DEFINITION = HumanTaskDef(assignments=(Assignment(ANN, 5), Assignment(CAROL, 5)))
DIRECTORY = Directory((ADMIN, OWNER, STRANGER))
NOW = 1_000


def fresh(definition: HumanTaskDef = DEFINITION) -> HumanTask:
    return new_task("t-1", definition, now=0, ids=SequentialIds(1), created_by="owner-app", definition_name="review")


def refused(error: type[DomainError], change: Callable[[SequentialIds], object]) -> DomainError:
    """Run `change` with fresh ids: it must raise `error` before taking one."""
    ids = SequentialIds(50)
    with pytest.raises(error) as caught:
        change(ids)
    assert ids.new_id() == SequentialIds(50).new_id()  # nothing was taken from the generator
    return caught.value


def test_new_task_is_assigned_to_its_first_assignment() -> None:
    task = fresh()
    assert (task.state, task.assignee, task.assignee_index, task.assignments_completed) == (
        TaskState.ASSIGNED, ANN, 0, False)
    assert [log.action for log in task.action_logs] == [LogAction.ASSIGNMENT]
    open_task = fresh(HumanTaskDef())
    assert (open_task.assignee, open_task.assignee_index, open_task.assignments_completed) == (None, None, True)


def test_claim_for_user_and_the_override_rule() -> None:
    task = fresh()
    claimed = transitions.claim_for_user(task, OWNER, "ann", override=False, directory=DIRECTORY, now=NOW,
                                         ids=SequentialIds(50))
    assert (claimed.state, claimed.claimant, claimed.assignee, claimed.updated_by) == (
        TaskState.IN_PROGRESS, ANN, ANN, "owner-app")
    assert claimed.action_logs[-1].action is LogAction.CLAIM
    overridden = transitions.claim_for_user(task, OWNER, "zed", override=True, directory=DIRECTORY, now=NOW,
                                            ids=SequentialIds(50))
    assert overridden.assignee == overridden.claimant == TaskUser("zed", UserType.EXTERNAL_USER)


def test_claim_for_user_checks_rights_then_state_then_the_user() -> None:
    task = fresh()
    forbidden = refused(Forbidden, lambda ids: transitions.claim_for_user(
        replace(task, state=TaskState.COMPLETED), STRANGER, "zed", override=False, directory=DIRECTORY, now=NOW,
        ids=ids))
    assert "stranger" in forbidden.message
    refused(InvalidTransition, lambda ids: transitions.claim_for_user(
        replace(task, state=TaskState.COMPLETED), OWNER, "zed", override=False, directory=DIRECTORY, now=NOW,
        ids=ids))
    mismatch = refused(AssigneeMismatch, lambda ids: transitions.claim_for_user(
        task, OWNER, "zed", override=False, directory=DIRECTORY, now=NOW, ids=ids))
    assert "zed" in mismatch.message


def test_claim_as_caller() -> None:
    task = fresh()
    claimed = transitions.claim_as_caller(task, STRANGER, override=True, now=NOW, ids=SequentialIds(9))
    assert claimed.claimant == claimed.assignee == TaskUser("stranger", UserType.CONDUCTOR_USER)
    forbidden = refused(Forbidden, lambda ids: transitions.claim_as_caller(task, STRANGER, override=False, now=NOW,
                                                                         ids=ids))
    assert "use overrideAssignment=true" in forbidden.message


def test_release_puts_the_task_back_with_two_logs() -> None:
    claimed = transitions.claim_as_caller(fresh(), OWNER, override=False, now=NOW, ids=SequentialIds(9))
    released = transitions.release(claimed, OWNER, now=NOW + 1, ids=SequentialIds(10))
    assert (released.state, released.claimant) == (TaskState.ASSIGNED, None)
    assert [log.action for log in released.action_logs[-2:]] == [LogAction.RELEASE, LogAction.ASSIGNMENT]
    refused(InvalidTransition, lambda ids: transitions.release(fresh(), OWNER, now=NOW, ids=ids))
    refused(Forbidden, lambda ids: transitions.release(claimed, STRANGER, now=NOW, ids=ids))


def test_update_and_complete_check_the_merged_output_against_the_form() -> None:
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    task = replace(fresh(), output={"ok": "draft"})
    with pytest.raises(FormInvalid) as refusal:
        transitions.update(task, OWNER, {}, complete=False, now=NOW, schema=schema)
    assert [(p.path, p.invalid_value) for p in refusal.value.problems] == [("ok", "draft")]
    assert transitions.update(task, OWNER, {"ok": True}, complete=True, now=NOW, schema=schema).output == {"ok": True}
    saved = transitions.update(fresh(), OWNER, {"note": 1}, complete=False, now=NOW, schema=schema)
    assert saved.output == {"note": 1}  # `required` waits for the completion
    with pytest.raises(FormInvalid, match="1 problem"):
        transitions.update(saved, OWNER, {}, complete=True, now=NOW, schema=schema)
    with pytest.raises(Forbidden):  # rights first
        transitions.update(task, STRANGER, {}, complete=True, now=NOW, schema=schema)


def test_update_and_complete_merge_the_output() -> None:
    task = replace(fresh(), output={"a": 1})
    updated = transitions.update(task, OWNER, {"b": 2}, complete=False, now=NOW)
    assert (updated.state, updated.output, updated.updated_on) == (TaskState.ASSIGNED, {"a": 1, "b": 2}, NOW)
    completed = transitions.update(task, ADMIN, {"b": 3}, complete=True, now=NOW)
    assert (completed.state, completed.output) == (TaskState.COMPLETED, {"a": 1, "b": 3})
    with pytest.raises(Forbidden):
        transitions.update(task, STRANGER, {}, complete=True, now=NOW)
    with pytest.raises(InvalidTransition, match="already in terminal state"):
        transitions.update(completed, OWNER, {}, complete=False, now=NOW)
    by_system = transitions.complete_by_system(task, {"c": 1}, "worker", now=NOW)
    assert (by_system.state, by_system.updated_by, by_system.output) == (TaskState.COMPLETED, "worker",
                                                                          {"a": 1, "c": 1})
    with pytest.raises(InvalidTransition):
        transitions.complete_by_system(completed, {}, "worker", now=NOW)


def test_reassign_starts_again_at_the_first_new_assignee() -> None:
    reassigned = transitions.reassign(fresh(), OWNER, [Assignment(CAROL)], now=NOW, ids=SequentialIds(9))
    assert (reassigned.assignee, reassigned.assignee_index, reassigned.definition.assignments) == (
        CAROL, 0, (Assignment(CAROL),))
    assert [log.action for log in reassigned.action_logs[-2:]] == [LogAction.REASSIGN, LogAction.ASSIGNMENT]
    emptied = transitions.reassign(fresh(), OWNER, [], now=NOW, ids=SequentialIds(9))
    assert (emptied.assignee, emptied.assignments_completed) == (None, True)
    claimed = transitions.claim_as_caller(fresh(), OWNER, override=False, now=NOW, ids=SequentialIds(9))
    refused(InvalidTransition, lambda ids: transitions.reassign(claimed, OWNER, [], now=NOW, ids=ids))
    refused(Forbidden, lambda ids: transitions.reassign(fresh(), STRANGER, [], now=NOW, ids=ids))


def test_skip_moves_to_the_next_assignee_or_refuses() -> None:
    skipped = transitions.skip(fresh(), OWNER, "away", now=NOW, ids=SequentialIds(9))
    assert (skipped.assignee, skipped.assignee_index, skipped.skipped_assignee_indexes) == (CAROL, 1, (0,))
    assert skipped.action_logs[-2].acted_by == "owner-app (away)"
    none_left = refused(InvalidRequest, lambda ids: transitions.skip(fresh(HumanTaskDef()), OWNER, None, now=NOW,
                                                                  ids=ids))
    assert none_left.message == "Task t-1 has no assignee to skip"
    refused(Forbidden, lambda ids: transitions.skip(fresh(), STRANGER, None, now=NOW, ids=ids))


@pytest.mark.parametrize(("strategy", "state"), [(CompletionStrategy.LEAVE_OPEN, TaskState.ASSIGNED),
                                                 (CompletionStrategy.TERMINATE, TaskState.DELETED)])
def test_next_assignment_escalates_then_applies_the_strategy(strategy: CompletionStrategy, state: TaskState) -> None:
    task = fresh(replace(DEFINITION, completion_strategy=strategy))
    escalated = transitions.next_assignment(task, now=NOW, ids=SequentialIds(9))
    assert (escalated.assignee, escalated.assignee_index, escalated.updated_by) == (CAROL, 1, "system")
    last = transitions.next_assignment(escalated, now=NOW, ids=SequentialIds(10))
    assert (last.state, last.assignee, last.assignments_completed) == (state, None, True)
    assert last.action_logs[-1].action is LogAction.ASSIGNMENTS_COMPLETED


def test_finish_and_delete_all() -> None:
    timed_out = transitions.finish(fresh(), Action.TIME_OUT, now=NOW, ids=SequentialIds(9))
    assert (timed_out.state, timed_out.action_logs[-1].action) == (TaskState.TIMED_OUT, LogAction.TIMED_OUT)
    deleted = transitions.finish(timed_out, Action.DELETE, "admin", now=NOW, ids=SequentialIds(10))
    assert (deleted.state, deleted.action_logs[-1].action) == (TaskState.DELETED, LogAction.DELETED)
    assert transitions.finish(deleted, Action.DELETE, now=NOW, ids=SequentialIds(11)) is deleted
    with pytest.raises(InvalidTransition):
        transitions.finish(timed_out, Action.CANCEL, now=NOW, ids=SequentialIds(11))
    other = replace(fresh(), task_id="t-2", created_by="someone-else")
    refused(Forbidden, lambda ids: transitions.delete_all([fresh(), other], OWNER, now=NOW, ids=ids))
    assert [t.state for t in transitions.delete_all([fresh(), other], ADMIN, now=NOW, ids=SequentialIds(9))] == [
        TaskState.DELETED, TaskState.DELETED]


def test_record_trigger_appends() -> None:
    assert transitions.record_trigger(fresh(), {"x": 1}).trigger_log == ({"x": 1},)


# -- autoClaim ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("first", [ANN, TaskUser("cuser@example.com", UserType.CONDUCTOR_USER)])
def test_auto_claim_makes_a_single_first_assignee_the_claimant_at_creation(first: TaskUser) -> None:
    task = fresh(HumanTaskDef(assignments=(Assignment(first, 5), Assignment(CAROL, 5)), auto_claim=True))
    assert (task.state, task.assignee, task.claimant) == (TaskState.IN_PROGRESS, first, first)
    assert [(log.action, log.state, log.acted_by) for log in task.action_logs] == [
        (LogAction.ASSIGNMENT, TaskState.ASSIGNED, "system"), (LogAction.CLAIM, TaskState.IN_PROGRESS, str(first))]
    assert task.action_logs[1].claimant == first


@pytest.mark.parametrize("definition", [
    HumanTaskDef(assignments=(Assignment(TaskUser("reviewers", UserType.CONDUCTOR_GROUP), 5),), auto_claim=True),
    HumanTaskDef(assignments=(Assignment(TaskUser("partners", UserType.EXTERNAL_GROUP), 5),), auto_claim=True),
    HumanTaskDef(auto_claim=True),  # open to anyone: nobody to claim it
    HumanTaskDef(assignments=(Assignment(ANN, 5),), auto_claim=False),
])
def test_auto_claim_needs_one_person_as_first_assignee(definition: HumanTaskDef) -> None:
    task = fresh(definition)
    assert (task.state, task.claimant) == (TaskState.ASSIGNED, None)
    assert [log.action for log in task.action_logs] in ([LogAction.ASSIGNMENT], [LogAction.ASSIGNMENTS_COMPLETED])


def test_auto_claim_as_a_workflow_creates_its_human_task() -> None:
    from tests.domain.workflows.flows import OWNER as FLOW_OWNER
    from tests.domain.workflows.flows import human, human_task_of, make_world, start

    world = make_world()
    step = human("review", ("ann@example.com", "EXTERNAL_USER", 0))
    step["inputParameters"]["__humanTaskDefinition"]["autoClaim"] = True
    task = world.tasks.get(FLOW_OWNER, human_task_of(world, start(world, step, amount=3), "review"))
    ann = TaskUser("ann@example.com", UserType.EXTERNAL_USER)
    assert (task.state, task.claimant, task.definition.auto_claim) == (TaskState.IN_PROGRESS, ann, True)
    assert [log.action for log in task.action_logs] == [LogAction.ASSIGNMENT, LogAction.CLAIM]
    world.tasks.update(FLOW_OWNER, task.task_id, {"ok": True}, complete=True)  # and it completes as a claimed one
    assert world.tasks.peek(task.task_id).state is TaskState.COMPLETED
