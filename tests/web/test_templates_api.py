"""HTTP tests of the user-form endpoints and the two literal human-task paths (getTaskDisplayNames,
backPopulateFullTextIndex)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.web.test_api import assert_error

FORM: dict[str, Any] = {"name": "new_form", "jsonSchema": {"type": "object"}, "templateUI": {}}
TAG = {"key": "team", "value": "loans"}


def forms(api: Api) -> list[tuple[str, int, tuple[Any, ...]]]:
    return [(t.name, t.version, t.tags) for t in api.world.templates.all()]


# -- template field shapes ------------------------------------------------------------------------------

def test_saved_template_names_its_author_as_a_subject_and_leaves_out_empty_tags(api: Api) -> None:
    saved = api.call("POST", "/human/template", "owner", json=FORM).json()
    assert (saved["createdBy"], saved["updatedBy"]) == ("APPLICATION:owner-app", "APPLICATION:owner-app")
    assert "tags" not in saved
    by_alice = api.call("POST", "/human/template", "alice", json=FORM).json()
    assert (by_alice["createdBy"], by_alice["updatedBy"]) == ("APPLICATION:owner-app", "USER:alice@example.com")


# -- bulk ------------------------------------------------------------------------------------------------

def test_save_templates_saves_each_and_returns_them_in_order(api: Api) -> None:
    reply = api.call("POST", "/human/template/bulk?newVersion=true", json=[FORM, {**FORM, "name": "approve_form"}])
    assert reply.status_code == 200
    assert [(t["name"], t["version"]) for t in reply.json()] == [("new_form", 1), ("approve_form", 2)]
    assert api.world.templates.get("approve_form", 2).created_by == "USER:admin@example.com"


def test_save_templates_with_a_bad_form_saves_none(api: Api) -> None:
    before = forms(api)
    body = assert_error(api.call("POST", "/human/template/bulk", json=[FORM, {"name": "x"}]), 400, "jsonSchema")
    assert body["status"] == 400
    assert forms(api) == before


# -- the template of a task ----------------------------------------------------------------------------

def test_get_template_by_task_id_returns_the_form_the_task_names(api: Api) -> None:
    reply = api.call("GET", "/human/template/ext", "owner")
    assert reply.status_code == 200
    assert (reply.json()["name"], reply.json()["version"]) == ("approve_form", 1)


@pytest.mark.parametrize(("task_id", "who", "status", "fragment"), [
    ("nope", "admin", 400, "Task not found for id: nope"),
    ("open", "admin", 404, "has no userFormTemplate"),
    ("ext", "other", 403, "permission"),
])
def test_get_template_by_task_id_refusals(api: Api, task_id: str, who: str, status: int, fragment: str) -> None:
    before = api.snapshot()
    assert_error(api.call("GET", f"/human/template/{task_id}", who), status, fragment)
    assert api.snapshot() == before


# -- deleting ------------------------------------------------------------------------------------------

def test_delete_template_by_name_deletes_every_version(api: Api) -> None:
    api.call("POST", "/human/template?newVersion=true", json={**FORM, "name": "approve_form"})
    reply = api.call("DELETE", "/human/template/approve_form")
    assert (reply.status_code, reply.content) == (200, b"")
    assert forms(api) == []
    assert_error(api.call("GET", "/human/template/approve_form/0"), 404, "approve_form")


def test_delete_one_version_keeps_the_others(api: Api) -> None:
    api.call("POST", "/human/template?newVersion=true", json={**FORM, "name": "approve_form"})
    reply = api.call("DELETE", "/human/template/approve_form/1")
    assert (reply.status_code, reply.content) == (200, b"")
    assert [(n, v) for n, v, _ in forms(api)] == [("approve_form", 2)]


@pytest.mark.parametrize(("path", "status", "fragment"), [
    ("/human/template/nope", 404, "User form template not found: nope"),
    ("/human/template/approve_form/9", 404, "approve_form version 9"),
    ("/human/template/approve_form/one", 400, "'version'"),
])
def test_delete_of_an_unknown_form_changes_nothing(api: Api, path: str, status: int, fragment: str) -> None:
    before = forms(api)
    assert_error(api.call("DELETE", path), status, fragment)
    assert forms(api) == before


# -- tags ----------------------------------------------------------------------------------------------

def test_put_tags_then_get_them(api: Api) -> None:
    reply = api.call("PUT", "/human/template/approve_form/tags", json=[TAG, {"key": "env", "value": "dev"}])
    assert (reply.status_code, reply.content) == (200, b"")
    api.call("PUT", "/human/template/approve_form/tags", json=[{"key": "env", "value": "prod"}])
    tags = api.call("GET", "/human/template/approve_form/tags")
    assert (tags.status_code, tags.json()) == (200, [TAG, {"key": "env", "value": "prod"}])
    assert api.call("GET", "/human/template/approve_form/1").json()["tags"] == tags.json()


def test_delete_tags_removes_the_matching_ones(api: Api) -> None:
    api.call("PUT", "/human/template/approve_form/tags", json=[TAG, {"key": "env", "value": "dev"}])
    reply = api.call("DELETE", "/human/template/approve_form/tags", json=[{"key": "env", "value": "dev"}])
    assert (reply.status_code, reply.content) == (200, b"")
    assert api.call("GET", "/human/template/approve_form/tags").json() == [TAG]


def test_get_tags_of_an_untagged_form_is_an_empty_list(api: Api) -> None:
    reply = api.call("GET", "/human/template/approve_form/tags")
    assert (reply.status_code, reply.json()) == (200, [])


@pytest.mark.parametrize(("method", "body", "status", "fragment"), [
    ("GET", None, 404, "nope"),
    ("PUT", [TAG], 404, "nope"),
    ("DELETE", [TAG], 404, "nope"),
    ("PUT", [{"key": "k"}], 400, "value"),
])
def test_tag_refusals_change_nothing(api: Api, method: str, body: Any, status: int, fragment: str) -> None:
    before = forms(api)
    name = "approve_form" if status == 400 else "nope"
    assert_error(api.call(method, f"/human/template/{name}/tags", json=body), status, fragment)
    assert forms(api) == before


# -- the literal human-task paths ------------------------------------------------------------------------

def test_get_task_display_names_in_the_admin_scope_of_an_admin(api: Api) -> None:
    # a task without a displayName shows its definition name
    reply = api.call("GET", "/human/tasks/getTaskDisplayNames?searchType=ADMIN")
    assert (reply.status_code, reply.json()) == (200, ["Approve invoice", "approve", "review", "triage"])


EVERY_NAME = ["Approve invoice", "approve", "review", "triage"]


@pytest.mark.parametrize(("who", "expected"), [("alice", []), ("carol", []), ("owner", EVERY_NAME)])
def test_get_task_display_names_follows_the_search_scope(api: Api, who: str, expected: list[str]) -> None:
    search = api.call("POST", "/human/tasks/search", who, json={"searchType": "ADMIN", "size": 1000}).json()
    names = sorted({r["displayName"] for r in search["results"] if r.get("displayName")})
    reply = api.call("GET", "/human/tasks/getTaskDisplayNames?searchType=ADMIN", who)
    assert (reply.status_code, reply.json()) == (200, names)
    assert names == expected


@pytest.mark.parametrize("query", ["", "?searchType=EVERYTHING"])
def test_get_task_display_names_needs_a_search_type(api: Api, query: str) -> None:
    before = api.snapshot()
    body = assert_error(api.call("GET", f"/human/tasks/getTaskDisplayNames{query}"), 400, "searchType")
    assert body["validationErrors"][0]["path"] == "searchType"
    assert api.snapshot() == before


def test_back_populate_full_text_index_answers_an_empty_map(api: Api) -> None:
    before = api.snapshot()
    reply = api.call("GET", "/human/tasks/backPopulateFullTextIndex?100=10")
    assert (reply.status_code, reply.json()) == (200, {})
    assert api.snapshot() == before


def test_back_populate_full_text_index_needs_its_count(api: Api) -> None:
    assert_error(api.call("GET", "/human/tasks/backPopulateFullTextIndex"), 400, "'100'")


def test_literal_task_paths_are_not_read_as_task_ids(api: Api) -> None:
    assert api.call("GET", "/human/tasks/getTaskDisplayNames?searchType=INBOX", who=None).status_code == 401
    assert_error(api.call("POST", "/human/tasks/getTaskDisplayNames"), 405, "POST")
