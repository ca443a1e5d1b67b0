"""Domain objects to and from Orkes JSON: field names and shapes of tasks, templates, search pages and errors."""

from __future__ import annotations

import json
import operator
from collections.abc import Mapping
from typing import Any

import pytest

from mockserver.domain import (
    ActionLog,
    Assignment,
    CompletionStrategy,
    FormRef,
    HumanTask,
    HumanTaskDef,
    LogAction,
    SearchPage,
    SearchType,
    TaskSearch,
    TaskState,
    TaskUser,
    Template,
    UserType,
)
from mockserver.web import wire, wire_workflow

ANN = TaskUser("ann", UserType.EXTERNAL_USER)
BOB = TaskUser("bob", UserType.CONDUCTOR_USER)
DEFINITION = HumanTaskDef(
    assignments=(Assignment(ANN, 30), Assignment(TaskUser("ops", UserType.CONDUCTOR_GROUP))),
    completion_strategy=CompletionStrategy.TERMINATE, display_name="Approve", form=FormRef("expense", 2),
    triggers=({"startWorkflowRequest": {"name": "notify"}},), auto_claim=False,
)
LOG = ActionLog("log-1", TaskState.ASSIGNED, 1_000, LogAction.ASSIGNMENT, "system", assignee=ANN)
CLAIM_LOG = ActionLog("log-2", TaskState.IN_PROGRESS, 2_000, LogAction.CLAIM, "EXTERNAL_USER:ann", assignee=ANN,
                      claimant=ANN)
TEMPLATE = Template("expense", 2, {"type": "object"}, {"layout": []}, tags=({"key": "team", "value": "fin"},),
                    owner_app="app-1", created_by="owner", create_time=10, updated_by="admin", update_time=20)


def task(**changes: Any) -> HumanTask:
    fields: dict[str, Any] = dict(
        task_id="t-1", state=TaskState.IN_PROGRESS, created_on=1_000, updated_on=2_000, assignee=ANN, claimant=ANN,
        definition_name="approve_def", display_name="Approve", workflow_id="wf-1", workflow_name="expenses",
        task_ref_name="approve_ref", created_by="owner", updated_by="ann", owner_app="app-1", definition=DEFINITION,
        input={"amount": 5}, output={"ok": True}, action_logs=(LOG, CLAIM_LOG), trigger_log=({"t": 1},),
        assignee_index=0, skipped_assignee_indexes=(1,), assignments_completed=False,
    )
    fields.update(changes)
    return HumanTask(**fields)


DEFINITION_JSON = {
    "assignments": [{"assignee": {"user": "ann", "userType": "EXTERNAL_USER"}, "slaMinutes": 30},
                    {"assignee": {"user": "ops", "userType": "CONDUCTOR_GROUP"}, "slaMinutes": 0}],
    "assignmentCompletionStrategy": "TERMINATE",
    "displayName": "Approve",
    "userFormTemplate": {"name": "expense", "version": 2},
    "taskTriggers": [{"startWorkflowRequest": {"name": "notify"}}],
    "autoClaim": False,
}
TEMPLATE_JSON = {"name": "expense", "version": 2, "jsonSchema": {"type": "object"}, "templateUI": {"layout": []},
                 "tags": [{"key": "team", "value": "fin"}], "createdBy": "owner", "createTime": 10,
                 "updatedBy": "admin", "updateTime": 20, "ownerApp": "app-1"}


def test_a_user() -> None:
    assert wire.user(ANN) == {"user": "ann", "userType": "EXTERNAL_USER"}
    assert wire.parse_user({"user": "bob", "userType": "CONDUCTOR_USER"}) == BOB


def test_a_user_of_an_unknown_type_is_refused() -> None:
    with pytest.raises(ValueError):
        wire.parse_user({"user": "bob", "userType": "ROBOT"})


def test_a_definition() -> None:
    assert wire.definition(DEFINITION) == DEFINITION_JSON


def test_a_bare_definition_sends_only_its_assignments_and_strategy() -> None:
    assert wire.definition(HumanTaskDef()) == {"assignments": [], "assignmentCompletionStrategy": "LEAVE_OPEN"}


def test_a_definition_with_its_template() -> None:
    assert wire.definition(DEFINITION, TEMPLATE) == {**DEFINITION_JSON, "fullTemplate": TEMPLATE_JSON}


def test_a_task_with_its_keys_in_the_order_a_real_server_sends_them() -> None:
    dumped = wire.dump_task(task())
    assert list(dumped) == ["createdBy", "updatedBy", "taskId", "state", "displayName", "definitionName",
                            "workflowId", "workflowName", "taskRefName", "assignee", "claimant", "humanTaskDef",
                            "input", "output", "createdOn", "updatedOn", "ownerApp"]
    assert dumped == {
        "createdBy": "owner", "updatedBy": "ann", "taskId": "t-1", "state": "IN_PROGRESS", "displayName": "Approve",
        "definitionName": "approve_def", "workflowId": "wf-1", "workflowName": "expenses",
        "taskRefName": "approve_ref", "assignee": {"user": "ann", "userType": "EXTERNAL_USER"},
        "claimant": {"user": "ann", "userType": "EXTERNAL_USER"}, "humanTaskDef": DEFINITION_JSON,
        "input": {
            "amount": 5, "_createdBy": "owner", "__humanTaskDefinition": DEFINITION_JSON,
            "__humanTaskProcessContext": {
                "state": "IN_PROGRESS", "lastUpdated": 2_000, "assigneeIndex": 0, "skippedAssigneeIndexes": [1],
                "assignmentsCompleted": False, "humanTaskTriggerLog": [{"t": 1}],
                "humanTaskActionLogs": [
                    {"id": "log-1", "state": "ASSIGNED", "stateStart": 1_000,
                     "assignee": {"user": "ann", "userType": "EXTERNAL_USER"}, "action": "ASSIGNMENT",
                     "actedBy": "system"},
                    {"id": "log-2", "state": "IN_PROGRESS", "stateStart": 2_000,
                     "assignee": {"user": "ann", "userType": "EXTERNAL_USER"},
                     "claimant": {"user": "ann", "userType": "EXTERNAL_USER"}, "action": "CLAIM",
                     "actedBy": "EXTERNAL_USER:ann"},
                ],
            },
        },
        "output": {"ok": True}, "createdOn": 1_000, "updatedOn": 2_000, "ownerApp": "app-1",
    }


def test_an_unassigned_unclaimed_task_leaves_those_fields_out() -> None:
    dumped = wire.dump_task(task(assignee=None, claimant=None, owner_app=None, created_by="", assignee_index=None,
                                 action_logs=(), definition=HumanTaskDef()))
    assert {"assignee", "claimant", "ownerApp"}.isdisjoint(dumped)
    assert dumped["createdBy"] == ""
    assert "_createdBy" not in dumped["input"]
    context = dumped["input"]["__humanTaskProcessContext"]
    assert "assigneeIndex" not in context
    assert context["humanTaskActionLogs"] == []


def test_a_task_does_not_change_its_own_input() -> None:
    original = task()
    wire.dump_task(original)
    assert original.input == {"amount": 5}


def test_a_task_with_its_template() -> None:
    dumped = wire.dump_task(task(), TEMPLATE)
    assert dumped["humanTaskDef"] == {**DEFINITION_JSON, "fullTemplate": TEMPLATE_JSON}
    assert dumped["input"]["__humanTaskDefinition"] == DEFINITION_JSON


def test_an_unchanged_task_is_dumped_once() -> None:
    same = task()
    assert wire.dump_task(same) is wire.dump_task(same)
    assert wire.dump_task(task()) == wire.dump_task(same)
    assert wire.task_json(same) is wire.task_json(same)


def test_log_entries_are_dumped_once_whether_appended_or_trimmed() -> None:
    released = ActionLog("log-3", TaskState.ASSIGNED, 3_000, LogAction.RELEASE, "ann", assignee=ANN)
    first = wire._dump_logs((LOG, CLAIM_LOG), None)
    assert first == (wire._dump_log(LOG), wire._dump_log(CLAIM_LOG))
    appended = wire._dump_logs((LOG, CLAIM_LOG, released), ((LOG, CLAIM_LOG), first))
    assert appended == (*first, wire._dump_log(released)) and all(map(operator.is_, first, appended))
    trimmed = wire._dump_logs((LOG, released), ((LOG, CLAIM_LOG, released), appended))  # the first and the last
    assert trimmed == (first[0], appended[2]) and trimmed[0] is first[0] and trimmed[1] is appended[2]
    other = ActionLog("log-1", TaskState.ASSIGNED, 1_000, LogAction.ASSIGNMENT, "system", assignee=ANN)  # == LOG
    rebuilt = wire._dump_logs((other, CLAIM_LOG), ((LOG, CLAIM_LOG), first))  # an equal entry is not the same one
    assert rebuilt == first and rebuilt[0] is not first[0] and rebuilt[1] is first[1]


def test_task_json_is_the_dump_as_compact_utf8() -> None:
    unicode = task(display_name="Godkjenn ø")
    assert json.loads(wire.task_json(unicode)) == wire.dump_task(unicode)
    assert "Godkjenn ø".encode() in wire.task_json(unicode)
    assert b", " not in wire.task_json(unicode)


def test_a_search_page() -> None:
    tasks = (task(), task(task_id="t-2"))
    page = SearchPage(total_hits=7, start=2, size=2, results=tasks)
    results = [wire.search_entry(t) for t in tasks]
    expected = {"totalHits": 7, "hits": 2, "start": 2, "pageSizeLimit": 2, "results": results}
    assert json.loads(wire.page_json(page)) == expected
    assert all("humanTaskDef" not in entry and "__humanTaskDefinition" in entry["input"]
               for entry in results)  # as Orkes answers a search
    assert list(json.loads(wire.page_json(page))) == ["totalHits", "hits", "start", "pageSizeLimit", "results"]


def test_an_empty_search_page() -> None:
    assert json.loads(wire.page_json(SearchPage(0, 0, 15, ()))) == {"totalHits": 0, "hits": 0, "start": 0,
                                                                     "pageSizeLimit": 15, "results": []}


@pytest.mark.parametrize("body", [None, {}, {"states": [], "definitionNames": [], "fullTextQuery": ""}])
def test_a_search_with_no_fields_is_the_default_inbox(body: dict[str, Any] | None) -> None:
    assert wire.parse_search(body) == TaskSearch()
    assert TaskSearch().search_type is None  # omitted: the INBOX plus the caller's own tasks (README claim rules)
    assert TaskSearch().size == 15


def test_a_search_with_every_field() -> None:
    body = {
        "searchType": "ADMIN", "start": 10, "size": 5, "states": ["ASSIGNED", "IN_PROGRESS"],
        "assignees": [{"user": "ann", "userType": "EXTERNAL_USER"}],
        "claimants": [{"user": "bob", "userType": "CONDUCTOR_USER"}], "definitionNames": ["d", ""],
        "displayNames": ["Approve"], "taskRefNames": ["r"], "workflowIds": ["wf-1"], "workflowNames": ["w"],
        "fullTextQuery": "acme", "taskInputQuery": "a = 1", "taskOutputQuery": "b = 2",
        "updateStartTime": 100, "updateEndTime": 200,
    }
    assert wire.parse_search(body) == TaskSearch(
        search_type=SearchType.ADMIN, start=10, size=5, states=(TaskState.ASSIGNED, TaskState.IN_PROGRESS),
        assignees=(ANN,), claimants=(BOB,), definition_names=("d",), display_names=("Approve",),
        task_ref_names=("r",), workflow_ids=("wf-1",), workflow_names=("w",), full_text_query="acme",
        task_input_query="a = 1", task_output_query="b = 2", update_start_time=100, update_end_time=200,
    )


def test_a_search_of_size_zero_keeps_it() -> None:
    assert wire.parse_search({"size": 0}).size == 0


def test_a_search_reads_nulls_and_falsy_values_as_no_filter_and_other_names_as_text() -> None:
    body = {"searchType": "", "start": None, "size": None, "states": None, "assignees": [], "claimants": None,
            "definitionNames": [1, "", "x", None], "workflowIds": None, "fullTextQuery": None,
            "updateStartTime": None, "updateEndTime": 0}
    assert wire.parse_search(body) == TaskSearch(definition_names=("1", "x", "None"), update_end_time=0)


def test_a_search_for_an_unknown_state_is_refused() -> None:
    with pytest.raises(ValueError):
        wire.parse_search({"states": ["SLEEPING"]})


def test_a_template() -> None:
    assert wire.dump_template(TEMPLATE) == TEMPLATE_JSON
    assert list(wire.dump_template(TEMPLATE))[:4] == ["name", "version", "jsonSchema", "templateUI"]


def test_a_template_without_owner_app_leaves_it_out() -> None:
    assert "ownerApp" not in wire.dump_template(Template("f", 1, {}, {}))


def test_a_template_body() -> None:
    body = {"name": "expense", "version": 3, "jsonSchema": {"type": "object"}, "templateUI": {"x": 1},
            "tags": [{"key": "k", "value": "v"}], "ownerApp": "app-2", "createdBy": "ignored"}
    assert wire.parse_template(body) == Template("expense", 3, {"type": "object"}, {"x": 1},
                                                 tags=({"key": "k", "value": "v"},), owner_app="app-2")


def test_a_minimal_template_body() -> None:
    assert wire.parse_template({"name": "f"}) == Template("f", 0, {}, {})


def test_assignments() -> None:
    items: list[Mapping[str, Any]] = [{"assignee": {"user": "ann", "userType": "EXTERNAL_USER"}, "slaMinutes": 30},
                                      {"assignee": {"user": "bob", "userType": "CONDUCTOR_USER"}}]
    assert wire.parse_assignments(items) == (Assignment(ANN, 30), Assignment(BOB, 0))


def test_the_error_body() -> None:
    assert wire.error_body(404, "gone", instance="here") == {"status": 404, "message": "gone", "instance": "here",
                                                             "retryable": False}


def test_the_error_body_with_a_code_and_validation_errors() -> None:
    errors = [{"path": "body.name", "message": "required"}]
    assert wire.error_body(400, "bad", instance="i", code="INVALID_TOKEN", validation_errors=errors) == {
        "status": 400, "message": "bad", "instance": "i", "retryable": False, "error": "INVALID_TOKEN",
        "validationErrors": errors}


def test_empty_validation_errors_are_left_out() -> None:
    assert "validationErrors" not in wire.error_body(400, "bad", instance="i", validation_errors=[])


@pytest.mark.parametrize(("body", "output"), [
    ({"approved": True}, {"approved": True}),
    ({"result": {"approved": True}}, {"approved": True}),
    ({"outputData": {"approved": True}}, {"approved": True}),
    ({"result": 1}, {"result": 1}),
    ({"result": {"a": 1}, "other": 2}, {"result": {"a": 1}, "other": 2}),
    ([1, 2], {}),
    (None, {}),
    ("text", {}),
])
def test_a_task_result_body_in_any_sdk_shape(body: Any, output: dict[str, Any]) -> None:
    assert wire_workflow.unwrap_output(body) == output
