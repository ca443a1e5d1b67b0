"""Building: a valid scenario → its `Seed`, faithfully, with the defaults a real server fills in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Final

import pytest

from mockserver.control.export import export_world, unsupported_fields
from mockserver.domain import (
    ActionLog,
    ApiKey,
    Assignment,
    AuthSettings,
    CompletionStrategy,
    FormRef,
    HumanTask,
    HumanTaskDef,
    LogAction,
    ManualClock,
    Principal,
    PrincipalKind,
    Role,
    SequentialIds,
    TaskState,
    TaskUser,
    Template,
    UserType,
    World,
)
from tests.scenarios.support import ANONYMOUS, START, load, problems_of

INLINE: Final = """
clock: {start: 2026-01-01T09:00:00Z}
users:
  - {id: alice@example.com, groups: [reviewers], keys: [{keyId: a-key, keySecret: a-secret}]}
  - {id: bob@example.com, name: Bob}
groups:
  - {id: reviewers, members: [bob@example.com]}
applications:
  - {id: owner-app, roles: [ADMIN, USER]}
templates:
  - {name: form, jsonSchema: {type: object}, tags: [{key: team, value: ap}], ownerApp: owner-app}
tasks:
  - taskId: t-assigned
    ownerApp: owner-app
    taskRefName: approve_ref
    humanTaskDef:
      displayName: Approve
      assignments:
        - {assignee: {user: alice@example.com, userType: CONDUCTOR_USER}, slaMinutes: 30}
        - {assignee: {user: reviewers, userType: CONDUCTOR_GROUP}}
      userFormTemplate: {name: form}
    input: {amount: 10, __humanTaskDefinition: {stale: true}, __humanTaskProcessContext: {}}
  - taskId: t-claimed
    state: IN_PROGRESS
    workflowId: wf-1
    assignee: {user: reviewers, userType: CONDUCTOR_GROUP}
    claimant: {user: bob@example.com, userType: EXTERNAL_USER}
    humanTaskDef:
      assignments:
        - {assignee: {user: alice@example.com, userType: CONDUCTOR_USER}, slaMinutes: 30}
        - {assignee: {user: reviewers, userType: CONDUCTOR_GROUP}}
      assignmentCompletionStrategy: TERMINATE
    output: {draft: true}
    createdOn: 1000
    updatedOn: 2000
  - taskId: t-open
    assignee: null
    displayName: Anyone
    definitionName: triage
    humanTaskDef:
      assignments: [{assignee: {user: carol, userType: EXTERNAL_USER}}]
"""


ALICE: Final = TaskUser("alice@example.com", UserType.CONDUCTOR_USER)


REVIEWERS: Final = TaskUser("reviewers", UserType.CONDUCTOR_GROUP)


BOB: Final = TaskUser("bob@example.com", UserType.EXTERNAL_USER)


CAROL: Final = TaskUser("carol", UserType.EXTERNAL_USER)


@pytest.fixture
def expected_ids() -> Iterator[str]:
    """The ids the loader draws from `SequentialIds(7)`, in the order it draws them."""
    return iter(SequentialIds(7).new_id, "")


def test_inline_scenario_builds_principals_groups_keys_and_templates() -> None:
    seed = load(INLINE).seed

    assert seed.name == "inline"
    assert seed.auth == AuthSettings(required=True, token_ttl_ms=3_600_000, anonymous=ANONYMOUS)
    assert seed.principals == (
        Principal("alice@example.com", PrincipalKind.USER, frozenset({Role.USER}), frozenset({"reviewers"}),
                  "alice@example.com"),
        Principal("bob@example.com", PrincipalKind.USER, frozenset({Role.USER}), frozenset(), "Bob"),
        Principal("owner-app", PrincipalKind.APPLICATION, frozenset({Role.ADMIN, Role.USER}), frozenset(), "owner-app"),
    )
    assert seed.groups == (("reviewers", ("bob@example.com", "alice@example.com")),)
    assert seed.keys == (ApiKey("a-key", "a-secret", "alice@example.com"),)
    assert seed.templates == (Template("form", 1, {"type": "object"}, {}, ({"key": "team", "value": "ap"},),
                                       "owner-app", "owner-app", START, "owner-app", START),)


def test_assigned_task_takes_first_assignment_and_defaults(expected_ids: Iterator[str]) -> None:
    task = load(INLINE).seed.tasks[0]

    workflow_id, log_id = next(expected_ids), next(expected_ids)
    assert task == HumanTask(
        task_id="t-assigned", state=TaskState.ASSIGNED, created_on=START, updated_on=START,
        assignee=ALICE, claimant=None, definition_name="approve_ref", display_name="Approve",
        workflow_id=workflow_id, workflow_name="", task_ref_name="approve_ref",
        created_by="owner-app", updated_by="owner-app", owner_app="owner-app",
        definition=HumanTaskDef(assignments=(Assignment(ALICE, 30), Assignment(REVIEWERS, 0)),
                                display_name="Approve", form=FormRef("form", 0)),
        input={"amount": 10}, output={},
        action_logs=(ActionLog(log_id, TaskState.ASSIGNED, START, LogAction.ASSIGNMENT, "system", assignee=ALICE),),
        assignee_index=0, assignments_completed=False,
    )


def test_claimed_task_gets_assignment_and_claim_logs(expected_ids: Iterator[str]) -> None:
    task = load(INLINE).seed.tasks[1]

    _, _, assigned_log, claim_log = (next(expected_ids) for _ in range(4))
    assert task == HumanTask(
        task_id="t-claimed", state=TaskState.IN_PROGRESS, created_on=1000, updated_on=2000,
        assignee=REVIEWERS, claimant=BOB, definition_name="human_task", display_name="human_task",
        workflow_id="wf-1", workflow_name="", task_ref_name="t-claimed", created_by="", updated_by="",
        owner_app=None,
        definition=HumanTaskDef(assignments=(Assignment(ALICE, 30), Assignment(REVIEWERS, 0)),
                                completion_strategy=CompletionStrategy.TERMINATE, display_name="human_task"),
        input={}, output={"draft": True},
        action_logs=(
            ActionLog(assigned_log, TaskState.ASSIGNED, 1000, LogAction.ASSIGNMENT, "system", assignee=REVIEWERS),
            ActionLog(claim_log, TaskState.IN_PROGRESS, 2000, LogAction.CLAIM, "EXTERNAL_USER:bob@example.com",
                      assignee=REVIEWERS, claimant=BOB),
        ),
        assignee_index=1, assignments_completed=False,
    )


def test_explicit_null_assignee_makes_an_open_task(expected_ids: Iterator[str]) -> None:
    task = load(INLINE).seed.tasks[2]

    *_, workflow_id, log_id = (next(expected_ids) for _ in range(6))
    assert task.assignee is None and task.is_open
    assert task.workflow_id == workflow_id
    assert (task.definition_name, task.task_ref_name, task.display_name) == ("triage", "triage", "Anyone")
    assert task.definition.assignments == (Assignment(CAROL, 0),)
    assert task.definition.display_name == "Anyone"
    assert (task.assignee_index, task.assignments_completed) == (None, True)
    assert task.action_logs == (
        ActionLog(log_id, TaskState.ASSIGNED, START, LogAction.ASSIGNMENTS_COMPLETED, "system"),
    )


def test_assignee_without_assignments_is_listed_as_the_only_assignment() -> None:
    [task] = load("tasks: [{taskId: t, assignee: {user: dan, userType: EXTERNAL_USER}}]\n").seed.tasks

    assert task.definition.assignments == (Assignment(TaskUser("dan", UserType.EXTERNAL_USER), 0),)
    assert task.assignee_index == 0


def test_open_mode_acts_as_the_declared_anonymous_principal() -> None:
    seed = load("auth: {anonymous: viewer, tokenTtlSeconds: 60}\nusers: [{id: viewer}]\n").seed

    assert seed.auth == AuthSettings(required=False, token_ttl_ms=60_000,
                                     anonymous=Principal("viewer", PrincipalKind.USER, name="viewer"))


def test_anonymous_principal_carries_the_groups_that_list_it() -> None:
    seed = load("users: [{id: viewer}]\ngroups: [{id: readers, members: [viewer]}]\nauth: {anonymous: viewer}\n").seed

    assert seed.auth.anonymous is not None and seed.auth.anonymous.groups == {"readers"}


EXACT: Final = """
clock: {start: 2026-01-01T09:00:00Z}
users: [{id: alice@example.com}]
applications: [{id: owner-app}]
tasks:
  - taskId: t-given
    state: ASSIGNED
    assignee: {user: reviewers, userType: EXTERNAL_GROUP}
    humanTaskDef:
      assignments:
        - {assignee: {user: alice@example.com, userType: CONDUCTOR_USER}, slaMinutes: 5}
        - {assignee: {user: reviewers, userType: EXTERNAL_GROUP}}
    actionLogs:
      - {id: log-a, state: ASSIGNED, stateStart: 10, action: ASSIGNMENT, actedBy: system,
         assignee: {user: alice@example.com, userType: CONDUCTOR_USER}}
      - {id: log-b, state: ASSIGNED, stateStart: 20, action: SKIP, actedBy: owner-app (busy),
         assignee: {user: alice@example.com, userType: CONDUCTOR_USER}}
      - {id: log-c, state: IN_PROGRESS, stateStart: 30, action: CLAIM, actedBy: EXTERNAL_USER:x,
         claimant: {user: x, userType: EXTERNAL_USER}}
    triggerLog: [{triggerType: ASSIGNED, workflowId: wf-9}]
    assigneeIndex: 1
    skippedAssigneeIndexes: [0]
    assignmentsCompleted: false
  - taskId: t-derived
    humanTaskDef:
      assignments: [{assignee: {user: alice@example.com, userType: CONDUCTOR_USER}}]
"""


def test_given_task_keys_are_used_as_they_are(expected_ids: Iterator[str]) -> None:
    given, derived = load(EXACT).seed.tasks

    alice = TaskUser("alice@example.com", UserType.CONDUCTOR_USER)
    reviewers = TaskUser("reviewers", UserType.EXTERNAL_GROUP)
    assert given.action_logs == (
        ActionLog("log-a", TaskState.ASSIGNED, 10, LogAction.ASSIGNMENT, "system", assignee=alice),
        ActionLog("log-b", TaskState.ASSIGNED, 20, LogAction.SKIP, "owner-app (busy)", assignee=alice),
        ActionLog("log-c", TaskState.IN_PROGRESS, 30, LogAction.CLAIM, "EXTERNAL_USER:x",
                  claimant=TaskUser("x", UserType.EXTERNAL_USER)),
    )
    assert given.trigger_log == ({"triggerType": "ASSIGNED", "workflowId": "wf-9"},)
    assert (given.assignee, given.assignee_index, given.skipped_assignee_indexes) == (reviewers, 1, (0,))
    assert given.assignments_completed is False
    # Given logs draw no ids: the next task's workflow and log ids follow the first task's workflow id.
    _, workflow_id, log_id = (next(expected_ids) for _ in range(3))
    assert derived.workflow_id == workflow_id
    assert derived.action_logs == (ActionLog(log_id, TaskState.ASSIGNED, START, LogAction.ASSIGNMENT, "system",
                                             assignee=alice),)
    assert (derived.trigger_log, derived.skipped_assignee_indexes) == ((), ())


def test_given_assignment_state_overrides_what_the_assignee_implies() -> None:
    text = ("tasks: [{taskId: t, assignee: {user: d, userType: EXTERNAL_USER}, assigneeIndex: null, "
            "assignmentsCompleted: true, actionLogs: []}]\n")
    [task] = load(text).seed.tasks

    assert (task.assignee_index, task.assignments_completed, task.action_logs) == (None, True, ())


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        ("tasks: [{taskId: t, actionLogs: [{id: l, state: DONE, stateStart: 0, action: CLAIM, actedBy: s}]}]\n",
         "tasks[0].actionLogs[0].state", "'DONE' is not a valid state."),
        ("tasks: [{taskId: t, actionLogs: [{id: l, state: ASSIGNED, stateStart: 0, action: CLAIM, actedBy: s, "
         "by: x}]}]\n", "tasks[0].actionLogs[0].by", "unknown key 'by'"),
        ("tasks: [{taskId: t, actionLogs: [{id: l, state: ASSIGNED, stateStart: 0, action: CLAIM, actedBy: s, "
         "claimant: {user: c, userType: EXTERNAL_GROUPS}}]}]\n", "tasks[0].actionLogs[0].claimant.userType",
         "'EXTERNAL_GROUPS' is not a valid claimant user type. Did you mean 'EXTERNAL_GROUP'?"),
        ("tasks: [{taskId: t, assigneeIndex: 1}]\n", "tasks[0].assigneeIndex", None),  # no assignments: not checked
        ("tasks: [{taskId: t, assignee: {user: d, userType: EXTERNAL_USER}, assigneeIndex: 1}]\n",
         "tasks[0].assigneeIndex", "1 is past the last assignment (there is 1)"),
    ],
)
def test_given_task_keys_are_checked(text: str, path: str, message: str | None) -> None:
    if message is None:
        load(text)
    else:
        assert (path, message) in [(p.path, p.message) for p in problems_of(text)]


def test_template_times_and_updated_by_are_given_or_default() -> None:
    text = """
users: [{id: alice@example.com}, {id: bob@example.com}]
templates:
  - {name: given, createdBy: alice@example.com, createTime: 100, updatedBy: bob@example.com, updateTime: 200}
  - {name: created, createdBy: alice@example.com, createTime: 100}
  - {name: updated, updateTime: 100}
  - {name: neither}
"""
    given, created, updated, neither = load(text, now_ms=5_000).seed.templates

    assert (given.created_by, given.create_time, given.updated_by, given.update_time) == (
        "alice@example.com", 100, "bob@example.com", 200)
    assert (created.create_time, created.updated_by, created.update_time) == (100, "alice@example.com", 100)
    assert (updated.create_time, updated.update_time) == (100, 100)  # created no later than it was saved
    assert (neither.create_time, neither.update_time, neither.updated_by) == (5_000, 5_000, "")


def test_definition_display_name_null_is_unset_and_absent_defaults_to_the_task() -> None:
    text = """
tasks:
  - {taskId: unset, displayName: Shown, humanTaskDef: {displayName: null}}
  - {taskId: absent, displayName: Shown, humanTaskDef: {}}
  - {taskId: empty, displayName: Shown, humanTaskDef: {displayName: ""}}
"""
    unset, absent, empty = load(text).seed.tasks

    assert unset.definition.display_name is None and unset.display_name == "Shown"
    assert absent.definition.display_name == "Shown"
    assert empty.definition.display_name == ""


def test_empty_assignments_keep_the_assignee_out_of_the_definition() -> None:
    dan = TaskUser("dan", UserType.EXTERNAL_USER)
    text = ("tasks:\n"
            "  - {taskId: empty, assignee: {user: dan, userType: EXTERNAL_USER}, humanTaskDef: {assignments: []}}\n"
            "  - {taskId: absent, assignee: {user: dan, userType: EXTERNAL_USER}, humanTaskDef: {}}\n")
    empty, absent = load(text).seed.tasks

    assert (empty.assignee, empty.definition.assignments, empty.assignee_index) == (dan, (), 0)
    assert (absent.assignee, absent.definition.assignments) == (dan, (Assignment(dan),))


def test_export_of_a_changed_world_loads_back_exactly() -> None:
    """Override claims by an application and by open mode's anonymous, a skip, a saved form: all round-trip."""
    text = """
clock: {start: 2026-01-01T09:00:00Z}
users: [{id: alice@example.com}]
applications: [{id: owner-app, roles: [ADMIN, USER]}]
templates: [{name: form, ownerApp: owner-app}]
tasks:
  - taskId: skipped
    humanTaskDef:
      assignments:
        - {assignee: {user: alice@example.com, userType: CONDUCTOR_USER}, slaMinutes: 5}
        - {assignee: {user: x, userType: EXTERNAL_USER}}
  - taskId: by-app
    humanTaskDef: {assignments: [{assignee: {user: alice@example.com, userType: CONDUCTOR_USER}}]}
  - taskId: by-anonymous
    humanTaskDef: {displayName: null, assignments: []}
    assignee: {user: x, userType: EXTERNAL_USER}
"""
    scenario = load(text)
    world = World(scenario.seed, clock=ManualClock(START), ids=SequentialIds(99))
    app = world.directory.get("owner-app")
    assert app is not None and world.seed.auth.anonymous is not None
    world.tasks.skip(app, "skipped", "busy")
    world.tasks.claim_as_caller(app, "by-app", override=True)
    world.tasks.claim_as_caller(world.seed.auth.anonymous, "by-anonymous", override=True)
    world.tasks.record_trigger("by-app", {"triggerType": "CLAIMANT_CHANGED", "workflowId": "wf-x"})
    world.templates.save(world.seed.auth.anonymous, replace(world.templates.get("form", 1), json_schema={"x": 1}),
                         new_version=False, version_given=True)

    assert unsupported_fields() == {"tasks": [], "templates": []}
    document = export_world(world)
    by_anonymous = document["tasks"][2]["humanTaskDef"]
    by_anonymous.setdefault("displayName", None)  # export.py leaves an unset displayName out: see the report
    again = load(json.dumps(document), seed=1).seed

    assert again.tasks == tuple(world.tasks.all())
    # the store keeps `createdBy`/`updatedBy` as subjects (`USER:<id>`); a scenario names bare ids
    assert World(again, clock=ManualClock(START), ids=SequentialIds(99)).templates.all() == world.templates.all()


def test_same_text_and_id_seed_give_the_same_seed() -> None:
    first, again, other = load(INLINE).seed, load(INLINE).seed, load(INLINE, seed=8).seed

    assert first == again
    assert first != other  # generated workflow and log ids depend on the id seed
