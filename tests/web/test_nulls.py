"""Spring/Jackson's tolerance over HTTP: a JSON `null` in an optional body member, and an empty boolean query value,
mean "not given".

Each tolerant case runs twice, on two apps of the same world (manual clock, sequential ids): once with the nulls
(or the empty value), once with the members left out. Both must answer 200 with the same reply and leave the same
world. A `null` in a required member is still refused (400, the Orkes error body, nothing changed), and a `null`
inside a free-form map (a form's output, a workflow's input) is data, kept as sent.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver.app import build_app
from tests.conftest import HTTP_WORLD, Api
from tests.web.test_api import assert_error
from tests.web.test_workflows_api import definition

FORM = {"name": "nulls_form", "jsonSchema": {"type": "object"}, "templateUI": {}}
START = {"name": "human_flow", "input": {"amount": 10}}
GREET: dict[str, Any] = {"name": "greet", "taskReferenceName": "greet_ref", "type": "SIMPLE"}
WORKER_FLOW: dict[str, Any] = {"name": "worker_flow", "version": 1, "tasks": [GREET]}


def nulls(*names: str) -> dict[str, None]:
    return dict.fromkeys(names)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: Any = None
    who: str | None = "owner"  # None: no token (generateToken)
    params: dict[str, str] = field(default_factory=dict)


def send(api: Api, call: Call) -> Any:
    kwargs: dict[str, Any] = {"params": call.params}
    if call.body is not None:
        kwargs["json"] = call.body
    return api.call(call.method, call.path, call.who, **kwargs)


def world_state(api: Api) -> Any:
    """Everything a call may change."""
    world = api.world
    return copy.deepcopy((world.tasks.all(), world.templates.all(), world.workflows.definitions(),
                          world.workflows.all(), world.workflows.task_defs()))


def open_api(spec: dict[str, Any]) -> Iterator[Api]:
    with TestClient(build_app(HTTP_WORLD, spec=spec), raise_server_exceptions=False) as client:
        yield Api(client, client.app)  # type: ignore[arg-type]  # the app build_app made


@pytest.fixture
def twins(spec: dict[str, Any]) -> Iterator[tuple[Api, Api]]:
    for first in open_api(spec):
        for second in open_api(spec):
            yield first, second


def first_task(api: Api) -> dict[str, Any]:
    [task] = api.call("GET", "/tasks/poll/batch/greet?count=1&timeout=0", "owner").json()
    return dict(task)


def result(api: Api, **members: Any) -> dict[str, Any]:
    task = first_task(api)
    return {"workflowInstanceId": task["workflowInstanceId"], "taskId": task["taskId"], "status": "COMPLETED",
            **members}


def start_worker_flow(api: Api) -> None:
    assert api.call("POST", "/metadata/workflow?overwrite=true", "owner", json=WORKER_FLOW).status_code == 200
    assert api.call("POST", "/workflow", "owner", json={"name": "worker_flow"}).status_code == 200


def register_human_flow(api: Api) -> None:
    assert api.call("POST", "/metadata/workflow?overwrite=true", "owner", json=definition()).status_code == 200


# (what to set up, the call with nulls, the same call with the members left out)
TOLERATED: dict[str, tuple[list[Call], Call, Call]] = {
    "search, every filter null": ([], Call("POST", "/human/tasks/search", nulls(
        "searchType", "start", "size", "states", "assignees", "claimants", "definitionNames", "displayNames",
        "taskRefNames", "workflowIds", "workflowNames", "fullTextQuery", "taskInputQuery", "taskOutputQuery",
        "updateStartTime", "updateEndTime"), who="admin"), Call("POST", "/human/tasks/search", {}, who="admin")),
    "search, an assignee with a null userType": (
        [], Call("POST", "/human/tasks/search", {"assignees": [{"user": "alice@example.com", "userType": None}]}),
        Call("POST", "/human/tasks/search", {"assignees": [{"user": "alice@example.com"}]})),
    "save a template with null members": (
        [], Call("POST", "/human/template", {**FORM, **nulls("version", "tags", "ownerApp", "createdBy", "createTime",
                                                             "updatedBy", "updateTime")}),
        Call("POST", "/human/template", FORM)),
    "save a template with a tag's null value": (
        [], Call("POST", "/human/template", {**FORM, "tags": [{"key": "team", "value": None, "type": None}]}),
        Call("POST", "/human/template", {**FORM, "tags": [{"key": "team"}]})),
    "save templates in bulk with null members": (
        [], Call("POST", "/human/template/bulk", [{**FORM, **nulls("version", "tags", "ownerApp")}]),
        Call("POST", "/human/template/bulk", [FORM])),
    "put tags with a null type": (
        [], Call("PUT", "/human/template/approve_form/tags", [{"key": "k", "value": "v", "type": None}]),
        Call("PUT", "/human/template/approve_form/tags", [{"key": "k", "value": "v"}])),
    "start a workflow with null members": (
        [Call("POST", "/metadata/workflow", definition(), params={"overwrite": "true"})],
        Call("POST", "/workflow", {**START, **nulls("version", "correlationId", "taskToDomain", "priority",
                                                    "idempotencyKey", "idempotencyStrategy", "createdBy",
                                                    "externalInputPayloadStoragePath", "workflowDef")}),
        Call("POST", "/workflow", START)),
    "start a workflow with a null input": (
        [Call("POST", "/metadata/workflow", definition(), params={"overwrite": "true"})],
        Call("POST", "/workflow", {"name": "human_flow", "input": None}), Call("POST", "/workflow",
                                                                             {"name": "human_flow"})),
    "register a workflow whose task has a null taskDefinition": (
        [], Call("POST", "/metadata/workflow", {**WORKER_FLOW, "description": None, "tasks": [
            {**GREET, "taskDefinition": None, "inputParameters": None}]}),
        Call("POST", "/metadata/workflow", WORKER_FLOW)),
    "register task definitions with null members": (
        [], Call("POST", "/metadata/taskdefs", [{"name": "greet", **nulls(
            "description", "retryCount", "retryLogic", "retryDelaySeconds", "backoffScaleFactor",
            "responseTimeoutSeconds", "timeoutSeconds", "timeoutPolicy", "ownerEmail", "createTime", "updateTime")}]),
        Call("POST", "/metadata/taskdefs", [{"name": "greet"}])),
    "reassign with a null userType and slaMinutes": (
        [], Call("POST", "/human/tasks/ext/reassign", [{"assignee": {"user": "bob@example.com", "userType": None},
                                                       "slaMinutes": None}]),
        Call("POST", "/human/tasks/ext/reassign", [{"assignee": {"user": "bob@example.com"}}])),
}


def run_twice(twins: tuple[Api, Api], setup: list[Call], tolerant: Call, plain: Call) -> tuple[Any, Any]:
    replies = []
    for api, call in zip(twins, (tolerant, plain), strict=True):
        for step in setup:
            assert send(api, step).status_code == 200
        replies.append(send(api, call))
    with_nulls, without = replies
    assert (with_nulls.status_code, without.status_code) == (200, 200), with_nulls.text
    assert with_nulls.content == without.content
    assert world_state(twins[0]) == world_state(twins[1])
    return with_nulls, without


@pytest.mark.parametrize("case", sorted(TOLERATED))
def test_a_null_optional_member_is_the_member_left_out(twins: tuple[Api, Api], case: str) -> None:
    setup, tolerant, plain = TOLERATED[case]
    run_twice(twins, setup, tolerant, plain)


def test_the_compared_calls_do_something(twins: tuple[Api, Api]) -> None:
    """The cases above compare calls with effects: a page of tasks, a stored form, a started workflow."""
    api = twins[0]
    assert send(api, TOLERATED["search, every filter null"][1]).json()["totalHits"] > 0
    assert send(api, TOLERATED["search, an assignee with a null userType"][1]).json()["totalHits"] > 0
    send(api, TOLERATED["save a template with a tag's null value"][1])
    assert api.call("GET", "/human/template/nulls_form/1", "owner").json()["tags"] == [{"key": "team"}]
    register_human_flow(api)
    reply = send(api, TOLERATED["start a workflow with a null input"][1])
    assert api.call("GET", f"/workflow/{reply.text}", "owner").json()["input"] == {}
    send(api, TOLERATED["register task definitions with null members"][1])
    assert api.call("GET", "/metadata/taskdefs/greet", "owner").json()["retryCount"] == 3  # the default


def test_a_task_result_with_null_members_is_the_result_without_them(twins: tuple[Api, Api]) -> None:
    for api in twins:
        start_worker_flow(api)
    members = nulls("outputData", "reasonForIncompletion", "workerId", "callbackAfterSeconds", "extendLease",
                    "externalOutputPayloadStoragePath", "subWorkflowId")
    with_nulls = send(twins[0], Call("POST", "/tasks", result(twins[0], **members, logs=[
        {"log": "done", "taskId": None, "createdTime": None}])))
    without = send(twins[1], Call("POST", "/tasks", result(twins[1], logs=[{"log": "done"}])))
    assert (with_nulls.status_code, with_nulls.text) == (without.status_code, without.text) == (200, without.text)
    assert world_state(twins[0]) == world_state(twins[1])
    [workflow] = [w for w in twins[0].world.workflows.all() if w.definition.name == "worker_flow"]
    assert workflow.status.value == "COMPLETED"


def test_a_human_task_definition_that_is_null_is_one_left_out(twins: tuple[Api, Api]) -> None:
    task = {"name": "approve", "taskReferenceName": "approve_ref", "type": "HUMAN"}
    flows = ({"name": "open_flow", "tasks": [{**task, "inputParameters": {"__humanTaskDefinition": None}}]},
             {"name": "open_flow", "tasks": [{**task, "inputParameters": {}}]})
    start_call = Call("POST", "/workflow", {"name": "open_flow"})
    for api, flow in zip(twins, flows, strict=True):
        assert send(api, Call("POST", "/metadata/workflow", flow)).status_code == 200
        assert send(api, start_call).status_code == 200
    assert world_state(twins[0]) == world_state(twins[1])
    [workflow] = [w for w in twins[0].world.workflows.all() if w.definition.name == "open_flow"]
    assert twins[0].world.tasks.peek(workflow.tasks[0].task_id).state.value == "ASSIGNED"


@pytest.mark.parametrize(("query", "claimed"), [({"overrideAssignment": ""}, False),
                                                ({"overrideAssignment": "true"}, True)])
def test_an_empty_boolean_query_value_is_the_default(twins: tuple[Api, Api], query: dict[str, str],
                                                     claimed: bool) -> None:
    path = "/human/tasks/ext/externalUser/bob%40example.com"  # bob is not ext's assignee: only an override claims
    given, left_out = send(twins[0], Call("POST", path, params=query)), send(twins[1], Call("POST", path))
    assert (given.status_code == 200) is claimed
    if not claimed:
        assert (given.status_code, given.content) == (left_out.status_code, left_out.content)
        assert world_state(twins[0]) == world_state(twins[1])


def test_an_empty_complete_only_stores_the_output(twins: tuple[Api, Api]) -> None:
    body = {"approved": True}
    run_twice(twins, [], Call("POST", "/human/tasks/ext/update", body, params={"complete": ""}),
              Call("POST", "/human/tasks/ext/update", body))
    assert twins[0].world.tasks.peek("ext").state.value == "ASSIGNED"
    assert twins[0].world.tasks.peek("ext").output == body


def test_a_null_in_a_form_output_or_a_workflow_input_is_data(api: Api) -> None:
    assert api.call("POST", "/human/tasks/open/update", "owner", json={"note": None}).status_code == 200
    assert api.world.tasks.peek("open").output == {"note": None}
    register_human_flow(api)
    reply = api.call("POST", "/workflow", "owner", json={"name": "human_flow", "input": {"amount": None}})
    assert api.call("GET", f"/workflow/{reply.text}", "owner").json()["input"] == {"amount": None}


# -- required members stay non-null ------------------------------------------------------------------------------

REFUSED: dict[str, tuple[Call, str]] = {
    "a null keyId": (Call("POST", "/token", {"keyId": None, "keySecret": "owner-secret"}, who=None), "body.keyId"),
    "a null assignee user in a search": (
        Call("POST", "/human/tasks/search", {"assignees": [{"user": None}]}), "body.assignees[0].user"),
    "a null state in a search's list": (Call("POST", "/human/tasks/search", {"states": [None]}), "body.states[0]"),
    "a null template name": (Call("POST", "/human/template", {**FORM, "name": None}), "body.name"),
    "a null jsonSchema": (Call("POST", "/human/template", {**FORM, "jsonSchema": None}), "body.jsonSchema"),
    "a null tag value in a tag list": (
        Call("PUT", "/human/template/approve_form/tags", [{"key": "k", "value": None}]), "body[0].value"),
    "a null workflow name to start": (Call("POST", "/workflow", {"name": None}), "body.name"),
    "a null task id in a result": (
        Call("POST", "/tasks", {"workflowInstanceId": "wf-ext", "taskId": None, "status": "COMPLETED"}),
        "body.taskId"),
    "a null assignee in a reassignment": (Call("POST", "/human/tasks/ext/reassign", [{"assignee": None}]),
                                          "body[0].assignee"),
    "a null task definition name": (Call("POST", "/metadata/taskdefs", [{"name": None}]), "body[0].name"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_null_required_member_is_refused_and_changes_nothing(api: Api, case: str) -> None:
    call, where = REFUSED[case]
    before = world_state(api)
    body = assert_error(send(api, call), 400, f"Invalid request body at '{where}'")
    assert "None is not" in body["message"] or "is not one of" in body["message"]
    assert world_state(api) == before
