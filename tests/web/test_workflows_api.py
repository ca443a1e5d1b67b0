"""The workflow subset over HTTP: a human task inside a real workflow, end to end, and its errors."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.domain import ManualClock
from tests.conftest import Api
from tests.web.test_api import Unchanged, assert_error

HUMAN_DEF = {
    "assignmentCompletionStrategy": "LEAVE_OPEN", "displayName": "Approve it",
    "userFormTemplate": {"name": "approve_form", "version": 1},
    "assignments": [{"assignee": {"user": "alice@example.com", "userType": "EXTERNAL_USER"}, "slaMinutes": 0}],
}


def definition(name: str = "human_flow", **human_extra: Any) -> dict[str, Any]:
    return {
        "name": name, "version": 1,
        "tasks": [
            {"name": "approve", "taskReferenceName": "approve_ref", "type": "HUMAN",
             "inputParameters": {"__humanTaskDefinition": {**HUMAN_DEF, **human_extra},
                                 "amount": "${workflow.input.amount}"}},
            {"name": "record", "taskReferenceName": "record_ref", "type": "SET_VARIABLE",
             "inputParameters": {"approved": "${approve_ref.output.approved}"}},
        ],
        "outputParameters": {"approved": "${approve_ref.output.approved}", "amount": "${workflow.input.amount}"},
    }


def start(api: Api, who: str = "owner", name: str = "human_flow", **human_extra: Any) -> tuple[str, str]:
    """Register and start a workflow; return (workflow id, human task id)."""
    assert api.call("POST", "/metadata/workflow?overwrite=true", who, json=definition(name, **human_extra)).json() == {}
    reply = api.call("POST", "/workflow", who, json={"name": name, "version": 1, "input": {"amount": 10},
                                                     "correlationId": "corr-1"})
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/plain")
    workflow_id = reply.text
    workflow = api.call("GET", f"/workflow/{workflow_id}?includeTasks=true", who).json()
    [human] = [t for t in workflow["tasks"] if t["taskType"] == "HUMAN"]
    return workflow_id, human["taskId"]


def test_a_human_task_inside_a_workflow_end_to_end(api: Api) -> None:
    workflow_id, task_id = start(api)
    workflow = api.call("GET", f"/workflow/{workflow_id}").json()
    assert (workflow["status"], workflow["workflowName"], workflow["correlationId"]) == (
        "RUNNING", "human_flow", "corr-1")
    assert workflow["tasks"][0]["status"] == "IN_PROGRESS"
    entry = api.call("GET", f"/human/tasks/{task_id}", "owner").json()
    assert (entry["state"], entry["workflowId"], entry["taskRefName"]) == ("ASSIGNED", workflow_id, "approve_ref")
    assert entry["input"]["amount"] == 10
    assert entry["createdBy"] == "owner-app"
    conductor = api.call("GET", f"/human/tasks/{task_id}/conductorTask", "owner").json()
    assert (conductor["taskId"], conductor["taskType"], conductor["status"]) == (task_id, "HUMAN", "IN_PROGRESS")
    assert "__humanTaskProcessContext" in conductor["inputData"]
    assert conductor["firstStartTime"] == conductor["startTime"] > 0
    assert (conductor["taskDefinition"]["name"], conductor["taskDefinition"]["timeoutPolicy"]) == (
        conductor["taskDefName"], "TIME_OUT_WF")

    assert api.call("POST", f"/human/tasks/{task_id}/externalUser/alice%40example.com", "owner").status_code == 200
    assert api.call("POST", f"/human/tasks/{task_id}/update?complete=true", "owner",
                    json={"approved": True}).status_code == 200
    workflow = api.call("GET", f"/workflow/{workflow_id}?includeTasks=true").json()
    assert workflow["status"] == "COMPLETED"
    assert workflow["output"] == {"approved": True, "amount": 10}
    assert [(t["referenceTaskName"], t["status"]) for t in workflow["tasks"]] == [
        ("approve_ref", "COMPLETED"), ("record_ref", "COMPLETED")]
    assert workflow["tasks"][0]["outputData"] == {"approved": True}
    assert isinstance(workflow["createTime"], int) and isinstance(workflow["endTime"], int)
    task = api.call("GET", f"/tasks/{task_id}").json()
    assert (task["status"], task["outputData"]) == ("COMPLETED", {"approved": True})


@pytest.mark.parametrize("body", [{"approved": True}, {"result": {"approved": True}},
                                  {"outputData": {"approved": True}}])
def test_complete_by_ref_name_with_each_sdk_body_shape(api: Api, body: dict[str, Any]) -> None:
    workflow_id, task_id = start(api)
    reply = api.call("POST", f"/tasks/{workflow_id}/approve_ref/COMPLETED?workerid=vm", "owner", json=body)
    assert (reply.status_code, reply.text) == (200, task_id)
    assert api.call("GET", f"/human/tasks/{task_id}", "owner").json()["state"] == "COMPLETED"
    assert api.call("GET", f"/workflow/{workflow_id}").json()["output"]["approved"] is True


def test_complete_with_a_task_result(api: Api) -> None:
    workflow_id, task_id = start(api)
    reply = api.call("POST", "/tasks", "owner", json={"workflowInstanceId": workflow_id, "taskId": task_id,
                                                      "status": "COMPLETED", "outputData": {"approved": False},
                                                      "extendLease": False})
    assert (reply.status_code, reply.text) == (200, task_id)
    assert api.call("GET", f"/workflow/{workflow_id}").json()["output"]["approved"] is False


def test_update_human_task_by_workflow_and_ref(api: Api) -> None:
    workflow_id, task_id = start(api)
    reply = api.call("POST", f"/human/tasks/update/taskRef?workflowId={workflow_id}&taskRefName=approve_ref"
                     "&complete=true", "owner", json={"approved": True})
    assert reply.status_code == 200, reply.text
    assert api.call("GET", f"/workflow/{workflow_id}").json()["status"] == "COMPLETED"
    assert_error(api.call("POST", f"/human/tasks/update/taskRef?workflowId={workflow_id}&taskRefName=nope",
                          "owner", json={}), 404, "nope")


def test_start_by_name_and_terminate(api: Api) -> None:
    api.call("POST", "/metadata/workflow", json=definition())
    reply = api.call("POST", "/workflow/human_flow?version=1&correlationId=c2", "owner", json={"amount": 3})
    workflow_id = reply.text
    workflow = api.call("GET", f"/workflow/{workflow_id}").json()
    assert (workflow["input"], workflow["correlationId"]) == ({"amount": 3}, "c2")
    task_id = workflow["tasks"][0]["taskId"]
    assert api.call("DELETE", f"/workflow/{workflow_id}?reason=done", "owner").status_code == 200
    workflow = api.call("GET", f"/workflow/{workflow_id}").json()
    assert (workflow["status"], workflow["reasonForIncompletion"]) == ("TERMINATED", "done")
    assert api.call("GET", f"/human/tasks/{task_id}", "owner").json()["state"] == "DELETED"
    assert_error(api.call("DELETE", f"/workflow/{workflow_id}"), 409, "already TERMINATED")


def test_get_definition(api: Api) -> None:
    api.call("POST", "/metadata/workflow", json=definition())
    got = api.call("GET", "/metadata/workflow/human_flow").json()
    assert (got["name"], got["version"], got["tasks"][0]["type"]) == ("human_flow", 1, "HUMAN")
    assert_error(api.call("GET", "/metadata/workflow/nope"), 404, "nope")


def test_register_refuses_unsupported_constructs(api: Api) -> None:
    bad = {"name": "forky", "tasks": [{"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN"}]}
    assert_error(api.call("POST", "/metadata/workflow", json=bad), 400, "Supported: HUMAN")
    assert_error(api.call("GET", "/metadata/workflow/forky"), 404, "forky")


def test_register_without_overwrite_conflicts(api: Api) -> None:
    api.call("POST", "/metadata/workflow", json=definition())
    assert_error(api.call("POST", "/metadata/workflow?overwrite=false", json=definition()), 409, "already exists")


def test_start_an_unknown_workflow(api: Api) -> None:
    assert_error(api.call("POST", "/workflow", json={"name": "nope"}), 404, "nope")


def test_unknown_workflow_and_task(api: Api) -> None:
    assert_error(api.call("GET", "/workflow/nope"), 404, "nope")
    assert_error(api.call("GET", "/tasks/nope"), 404, "nope")
    assert_error(api.call("GET", "/human/tasks/nope/conductorTask"), 400, "nope")


def test_a_finished_task_cannot_be_updated(api: Api) -> None:
    workflow_id, task_id = start(api)
    api.call("POST", f"/tasks/{workflow_id}/approve_ref/COMPLETED", "owner", json={})
    with Unchanged(api):
        assert_error(api.call("POST", f"/tasks/{workflow_id}/approve_ref/COMPLETED", "owner", json={}), 409,
                     "already COMPLETED")


def test_sla_escalation_through_the_clock(api: Api) -> None:
    assignments = [{"assignee": {"user": "alice@example.com", "userType": "EXTERNAL_USER"}, "slaMinutes": 10},
                   {"assignee": {"user": "reviewers", "userType": "CONDUCTOR_GROUP"}, "slaMinutes": 0}]
    _, task_id = start(api, assignments=assignments)
    clock = api.world.clock
    assert isinstance(clock, ManualClock)
    fired = api.world.advance_clock(10 * 60_000)
    assert [f["result"] for f in fired] == ["ESCALATED"]
    api.forget_tokens()  # the fixture's tokens live 10 minutes
    entry = api.call("GET", f"/human/tasks/{task_id}", "owner").json()
    assert entry["assignee"] == {"user": "reviewers", "userType": "CONDUCTOR_GROUP"}
    assert entry["input"]["__humanTaskProcessContext"]["assigneeIndex"] == 1


def test_reassign_skip_delete(api: Api) -> None:
    _, task_id = start(api)
    new = [{"assignee": {"user": "bob@example.com", "userType": "EXTERNAL_USER"}, "slaMinutes": 0},
           {"assignee": {"user": "carol@example.com", "userType": "EXTERNAL_USER"}, "slaMinutes": 0}]
    assert api.call("POST", f"/human/tasks/{task_id}/reassign", "owner", json=new).status_code == 200
    assert api.call("GET", f"/human/tasks/{task_id}", "owner").json()["assignee"]["user"] == "bob@example.com"
    assert api.call("POST", f"/human/tasks/{task_id}/skip?reason=away", "owner").status_code == 200
    assert api.call("GET", f"/human/tasks/{task_id}", "owner").json()["assignee"]["user"] == "carol@example.com"
    with Unchanged(api):
        assert_error(api.call("POST", f"/human/tasks/{task_id}/skip", "other"), 403, "permissions to skip")
        assert_error(api.call("DELETE", f"/human/tasks/delete/{task_id}", "other"), 403, "permissions to delete")
        assert_error(api.call("DELETE", "/human/tasks/delete", json=[task_id, "nope"]), 400, "nope")
    assert api.call("DELETE", f"/human/tasks/delete/{task_id}", "owner").status_code == 200
    assert api.call("GET", f"/human/tasks/{task_id}", "owner").json()["state"] == "DELETED"


def test_skip_of_an_open_task(api: Api) -> None:
    with Unchanged(api):
        assert_error(api.call("POST", "/human/tasks/open/skip"), 400, "no assignee")


def test_reassign_a_claimed_task(api: Api) -> None:
    with Unchanged(api):
        assert_error(api.call("POST", "/human/tasks/claimed/reassign", json=[]), 400, "only an unclaimed task")


def test_seeded_tasks_belong_to_workflows(api: Api) -> None:
    """A task seeded by a scenario completes its (generated) workflow."""
    entry = api.call("GET", "/human/tasks/claimed").json()
    workflow_id = entry["workflowId"]
    assert api.call("GET", f"/workflow/{workflow_id}").json()["status"] == "RUNNING"
    api.call("POST", "/human/tasks/claimed/update?complete=true", json={"ok": True})
    workflow = api.call("GET", f"/workflow/{workflow_id}").json()
    assert (workflow["status"], workflow["output"]) == ("COMPLETED", {"ok": True})


def test_update_by_ref_accepts_repeated_iteration_and_refuses_a_bad_one(api: Api) -> None:
    workflow_id, task_id = start(api)
    base = f"/human/tasks/update/taskRef?workflowId={workflow_id}&taskRefName=approve_ref"
    with Unchanged(api):
        assert_error(api.call("POST", base + "&iteration=1&iteration=x", "owner", json={}), 400, "'iteration'")
    assert api.call("POST", base + "&iteration=0&iteration=1", "owner", json={"note": 1}).status_code == 200
    assert api.call("GET", f"/human/tasks/{task_id}", "owner").json()["output"] == {"note": 1}


# -- a Conductor task's taskDefinition ------------------------------------------------------------------------

def test_conductor_task_carries_the_registered_task_definition(api: Api) -> None:
    registered = {"name": "approve", "retryCount": 2, "ownerEmail": "ops@example.com", "description": "approvals"}
    assert api.call("POST", "/metadata/taskdefs", "owner", json=[registered]).json() == {}
    _, task_id = start(api)
    expected = api.call("GET", "/metadata/taskdefs/approve", "owner").json()
    assert expected["ownerEmail"] == "ops@example.com"
    for path in (f"/human/tasks/{task_id}/conductorTask", f"/tasks/{task_id}"):
        conductor = api.call("GET", path, "owner").json()
        assert (conductor["taskDefName"], conductor["taskDefinition"]) == ("approve", expected), path


def test_a_workflow_tasks_own_task_definition_wins_over_the_registered_one(api: Api) -> None:
    assert api.call("POST", "/metadata/taskdefs", "owner", json=[{"name": "approve", "retryCount": 2}]).json() == {}
    flow = definition()
    flow["tasks"][0]["taskDefinition"] = {"timeoutSeconds": 600}
    assert api.call("POST", "/metadata/workflow?overwrite=true", "owner", json=flow).status_code == 200
    workflow_id = api.call("POST", "/workflow", "owner", json={"name": "human_flow", "input": {"amount": 1}}).text
    [human] = api.call("GET", f"/workflow/{workflow_id}", "owner").json()["tasks"]
    given = api.call("GET", f"/human/tasks/{human['taskId']}/conductorTask", "owner").json()["taskDefinition"]
    assert (given["name"], given["timeoutSeconds"], given["retryCount"]) == ("approve", 600, 0)


def test_without_a_registered_definition_the_task_definition_is_the_defaults(api: Api) -> None:
    _, task_id = start(api)
    given = api.call("GET", f"/tasks/{task_id}", "owner").json()["taskDefinition"]
    assert (given["name"], given["retryCount"], given["timeoutSeconds"], given["responseTimeoutSeconds"]) == (
        "approve", 0, 0, 0)
