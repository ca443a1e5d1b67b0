"""The search API: scopes, filters, paging, bad input (status, body, nothing changed)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.web.test_api import EMPTY_SEARCH, assert_error

# -- search -------------------------------------------------------------------------------------------

def search(api: Api, who: str = "admin", **body: Any) -> dict[str, Any]:
    reply = api.call("POST", "/human/tasks/search", who, json={**EMPTY_SEARCH, **body})
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = reply.json()
    return result


def test_search_with_the_js_default_body_is_the_inbox(api: Api) -> None:
    result = search(api, "alice")
    assert sorted(t["taskId"] for t in result["results"]) == ["cgroup", "cuser", "open"]
    assert (result["totalHits"], result["hits"], result["start"], result["pageSizeLimit"]) == (3, 3, 0, 15)


def test_search_without_search_type_finds_the_owners_tasks_and_leaves_out_the_definition(api: Api) -> None:
    owned = search(api, "owner")
    assert owned["totalHits"] == 10  # the owner started every workflow: all its tasks, whoever they wait for
    inbox = search(api, "owner", searchType="INBOX")
    assert inbox["totalHits"] < owned["totalHits"]
    for entry in owned["results"]:
        assert "humanTaskDef" not in entry
        assert "assignments" in entry["input"]["__humanTaskDefinition"]
    first = owned["results"][0]["taskId"]
    assert "humanTaskDef" in api.call("GET", f"/human/tasks/{first}", "owner").json()  # a read still has it


def test_search_admin_scope(api: Api) -> None:
    assert search(api, searchType="ADMIN")["totalHits"] == 10
    assert search(api, "owner", searchType="ADMIN")["totalHits"] == 10
    assert search(api, "other", searchType="ADMIN")["totalHits"] == 0


def test_search_filters(api: Api) -> None:
    def ids(**body: Any) -> list[str]:
        return sorted(t["taskId"] for t in search(api, searchType="ADMIN", **body)["results"])

    assert ids(states=["IN_PROGRESS"]) == ["claimed"]
    assert ids(assignees=[{"user": "alice@example.com", "userType": "EXTERNAL_USER"}]) == ["ext", "pending"]
    assert ids(claimants=[{"user": "bob*", "userType": "EXTERNAL_USER"}]) == ["claimed", "done"]
    assert ids(definitionNames=["review"]) == ["cgroup", "egroup"]
    assert ids(taskRefNames=["ext_ref"]) == ["ext"]
    assert ids(workflowIds=["wf-ext"]) == ["ext"]
    assert ids(taskInputQuery='customer.name = "Jane*"') == ["ext"]
    assert ids(fullTextQuery="Jane") == ["ext"]
    assert ids(states=["ASSIGNED"], definitionNames=["approve"]) == ["cuser", "ext"]


def test_search_paging(api: Api) -> None:
    first = search(api, searchType="ADMIN", start=0, size=4)
    second = search(api, searchType="ADMIN", start=4, size=4)
    last = search(api, searchType="ADMIN", start=8, size=4)
    assert (first["hits"], second["hits"], last["hits"]) == (4, 4, 2)
    seen = [t["taskId"] for page in (first, second, last) for t in page["results"]]
    assert len(set(seen)) == 10


@pytest.mark.parametrize(("body", "fragment"), [
    ({"states": ["IN_PROGESS"]}, "IN_PROGESS"),
    ({"size": "big"}, "body.size"),
    ({"searchType": "EVERYTHING"}, "body.searchType"),
    ({"taskOutputQuery": "a IN (1"}, "taskOutputQuery"),
])
def test_search_with_bad_input(api: Api, body: dict[str, Any], fragment: str) -> None:
    assert_error(api.call("POST", "/human/tasks/search", json=body), 400, fragment)
