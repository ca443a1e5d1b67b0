"""Reset, load (replace and merge), and export: over HTTP, with every refusal leaving the mock as it was."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from mockserver import resources
from mockserver.app import create_app, prepare
from mockserver.control import plane as plane_module
from mockserver.control.export import TASK_EXTRAS, export_world, unsupported_fields
from mockserver.control.plane import ControlPlane
from mockserver.domain import HumanTask, SequentialIds, World
from mockserver.scenarios import load_scenario
from tests.conftest import HTTP_WORLD, Api
from tests.control.support import Unchanged, assert_error, control

BAD = "name: broken\ntasks:\n  - taskId: x\n    state: IN_PROGES\n  - taskId: y\n    displayName: 3\n"
EXTRA = """
name: extra
users:
  - {id: alice@example.com, groups: [reviewers], keys: [{keyId: alice-key, keySecret: alice-secret}]}
groups:
  - {id: reviewers}
tasks:
  - taskId: extra-1
    humanTaskDef:
      assignments: [{assignee: {user: alice@example.com, userType: CONDUCTOR_USER}}]
  - taskId: ext
    state: COMPLETED
    output: {merged: true}
"""


def claim(api: Api, task_id: str = "ext") -> Any:
    return api.call("POST", f"/human/tasks/{task_id}/externalUser/alice@example.com", "owner")


# -- reset ------------------------------------------------------------------------------------------------------


def test_reset_rebuilds_the_start_world_clock_and_all(api: Api) -> None:
    start = api.world
    assert claim(api).status_code == 200
    api.client.post("/_mock/clock", json={"advance": "PT2H"})
    reply = api.client.post("/_mock/reset")
    assert reply.status_code == 200
    summary = reply.json()
    assert summary == {"scenario": "http", "tasks": 10, "principals": 6, "templates": 1, "faults": 0,
                       "clock": {"nowMs": 1767258000000, "now": "2026-01-01T09:00:00Z", "mode": "manual"},
                       "journalSeq": 2}
    assert api.world is not start
    assert {t.task_id: t for t in api.world.tasks.all()} == {t.task_id: t for t in start.seed.tasks}
    assert claim(api).status_code == 200  # the token issued before the reset still works: same seed, same secret


def test_reset_goes_back_to_the_start_scenario_not_the_last_loaded(api: Api) -> None:
    assert api.client.put("/_mock/scenario?file=open").status_code == 200
    assert api.client.post("/_mock/reset").json()["scenario"] == "http"


def test_reset_is_post_only(api: Api) -> None:
    with Unchanged(api):
        reply = api.client.get("/_mock/reset")
        assert_error(reply, 405, "GET never changes anything")
    assert reply.headers["allow"] == "POST"


# -- load -------------------------------------------------------------------------------------------------------


def test_load_replaces_the_world_with_a_body(api: Api) -> None:
    text = (resources.scenarios_dir() / "claimed.yaml").read_text(encoding="utf-8")
    reply = api.client.put("/_mock/scenario", content=text, headers={"Content-Type": "application/yaml"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["load"], body["scenario"], body["tasks"]) == ("replace", "claimed", len(api.world.tasks))
    assert {t.task_id for t in api.world.tasks.all()} == {t["taskId"] for t in yaml.safe_load(text)["tasks"]}
    entries = api.client.get("/_mock/journal").json()["entries"]
    assert [(e["action"], e["requestId"]) for e in entries] == [("LOAD", reply.headers["x-request-id"])]


def test_load_takes_json_too_and_names_it_after_source(api: Api) -> None:
    scenario = {"users": [{"id": "u@example.com"}], "tasks": [{"taskId": "only"}]}
    reply = api.client.put("/_mock/scenario?source=mine.json", json=scenario)
    assert (reply.status_code, reply.json()["scenario"], reply.json()["tasks"]) == (200, "mine", 1)


def test_load_a_shipped_scenario_by_name(api: Api) -> None:
    reply = api.client.put("/_mock/scenario", params={"file": "terminal.yaml"})
    assert (reply.status_code, reply.json()["scenario"]) == (200, "terminal")


def test_a_bad_scenario_is_refused_with_every_problem_and_the_world_untouched(api: Api) -> None:
    claim(api)
    api.client.post("/_mock/faults", json={"operationId": "search", "drop": True})
    for method in ("PUT", "POST"):
        with Unchanged(api):
            reply = api.client.request(method, "/_mock/scenario?source=broken.yaml", content=BAD)
            body = assert_error(reply, 422, "The scenario has 2 problems; nothing was changed:\nbroken.yaml:4: "
                                "tasks[0].state: 'IN_PROGES' is not a valid state. Did you mean 'IN_PROGRESS'?")
        assert [(p["file"], p["line"], p["path"]) for p in body["problems"]] == [
            ("broken.yaml", 4, "tasks[0].state"), ("broken.yaml", 6, "tasks[1].displayName")]
        assert body["problems"][0]["hint"].startswith("Valid states:")


def test_a_bad_fault_block_is_refused_like_any_problem(api: Api) -> None:
    with Unchanged(api):
        reply = api.client.put("/_mock/scenario", content="faults: [{operationId: claimTsk, drop: true}]\n")
        body = assert_error(reply, 422, "request-body:1: faults[0].operationId: unknown operation 'claimTsk'")
    assert body["problems"][0]["line"] == 1


@pytest.mark.parametrize(("method", "url", "content", "status", "fragment"), [
    ("PUT", "/_mock/scenario", b"", 400, "Send a scenario as the body"),
    ("POST", "/_mock/scenario", b"  \n", 400, "Send a scenario as the body"),
    ("PUT", "/_mock/scenario?file=open", b"name: x", 400, "either as the body or as ?file=NAME, not both"),
    ("PUT", "/_mock/scenario", b"\xff\xfe", 400, "not UTF-8"),
    ("PUT", "/_mock/scenario?file=opne", b"", 404, "No scenario file 'opne' in the scenarios folder. Did you mean "
                                                  "'open'?"),
    ("PUT", "/_mock/scenario?file=../pyproject.toml", b"", 404, "No scenario file '../pyproject.toml'"),
    ("PUT", "/_mock/scenario?file=", b"", 400, "query parameter 'file'"),
    ("GET", "/_mock/scenario?format=xml", b"", 400, "query parameter 'format'"),
    ("PATCH", "/_mock/scenario", b"", 405, "allowed: GET, PUT, POST"),
])
def test_refused_loads_change_nothing(api: Api, method: str, url: str, content: bytes, status: int,
                                      fragment: str) -> None:
    with Unchanged(api):
        body = assert_error(api.client.request(method, url, content=content), status, fragment)
    if status == 404:
        assert "open.yaml" in body["available"]


def test_a_scenario_too_large_is_refused_before_it_is_read(api: Api) -> None:
    with Unchanged(api):
        assert_error(api.client.put("/_mock/scenario", content=b"x", headers={"Content-Length": str(17 << 20)}),
                     413, "larger than 16 MiB")


def test_without_a_loader_loading_answers_501(tmp_path: Path) -> None:
    app = create_app(prepare(HTTP_WORLD).build, spec=resources.openapi_document())
    with TestClient(app) as client:
        world = app.state.mock.world
        assert_error(client.put("/_mock/scenario", content="name: x\n"), 501, "without a scenario loader")
        assert app.state.mock.world is world


# -- merge ------------------------------------------------------------------------------------------------------


def test_merge_adds_and_replaces_and_keeps_the_rest(api: Api) -> None:
    assert claim(api, "egroup").status_code == 200
    before = {t.task_id: t for t in api.world.tasks.all()}
    token_before = api.token("alice")
    reply = api.client.post("/_mock/scenario?source=extra.yaml", content=EXTRA)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["load"], body["scenario"], body["tasks"]) == ("merge", "http", 11)
    assert (body["added"]["tasks"], body["replaced"]["tasks"], body["replaced"]["principals"]) == (1, 1, 1)
    after = {t.task_id: t for t in api.world.tasks.all()}
    assert after["egroup"] == before["egroup"]  # its claim (and action log) kept
    assert (after["ext"].state.value, after["ext"].output) == ("COMPLETED", {"merged": True})
    assert after["extra-1"].assignee is not None and after["extra-1"].assignee.user == "alice@example.com"
    assert api.world.name == "http" and api.world.seed.auth.required
    assert api.world.directory.groups["reviewers"] == {"alice@example.com", "bob@example.com"}
    # alice was declared identically (same id, roles, groups, key): tokens issued before the merge still work
    assert api.client.get("/api/human/tasks/extra-1", headers={"X-Authorization": token_before}).status_code == 200
    assert [e["action"] for e in api.client.get("/_mock/journal").json()["entries"]] == ["CLAIM", "MERGE"]


def test_merge_with_new_identities_issues_new_tokens(api: Api) -> None:
    old = api.token("alice")
    text = "users:\n  - {id: zed@example.com, keys: [{keyId: zed-key, keySecret: zed-secret}]}\n"
    assert api.client.post("/_mock/scenario", content=text).json()["added"]["principals"] == 1
    assert api.client.get("/api/human/tasks/ext", headers={"X-Authorization": old}).status_code == 401
    token = api.client.post("/api/token", json={"keyId": "zed-key", "keySecret": "zed-secret"})
    assert token.status_code == 200
    assert api.client.post("/api/token", json={"keyId": "alice-key", "keySecret": "alice-secret"}).status_code == 200


def test_merge_arms_the_scenarios_faults_next_to_the_current_ones(api: Api) -> None:
    api.client.post("/_mock/faults", json={"operationId": "search", "drop": True})
    api.client.post("/_mock/scenario", content="faults: [{operationId: getTask, status: 500}]\n")
    assert [(f["id"], f["origin"]) for f in api.client.get("/_mock/faults").json()["faults"]] == [
        ("f1", "runtime"), ("f2", "scenario")]


# -- export -----------------------------------------------------------------------------------------------------


def masked(world: World) -> dict[str, Any]:
    """Everything a world holds that a scenario carries (since the format has a key for every field, all of
    its tasks and templates, compared whole)."""
    return {
        "name": world.name, "description": world.seed.description, "auth": world.seed.auth,
        "now": world.clock.now_ms(), "clock": type(world.clock),
        "principals": world.directory.principals, "groups": world.directory.groups, "keys": world.directory.keys,
        "templates": world.templates.all(),
        "tasks": world.tasks.all(),
        "workflowDefs": [(d.name, d.version, d.tasks, d.raw) for d in world.workflows.definitions()],
    }


def changed_world(api: Api, *, workflow: bool = True) -> None:
    """Claims, releases, updates, completes, an override claim, a saved form, a workflow and its human task."""
    assert claim(api).status_code == 200
    assert api.call("POST", "/human/tasks/ext/update", "owner", json={"note": "half done"}).status_code == 200
    assert api.call("POST", "/human/tasks/cuser/claim", "alice").status_code == 200
    assert api.call("POST", "/human/tasks/cuser/release", "alice").status_code == 200
    assert api.call("POST", "/human/tasks/egroup/claim?overrideAssignment=true", "admin").status_code == 200
    assert api.call("POST", "/human/tasks/claimed/update?complete=true", "admin", json={"ok": 1}).status_code == 200
    form = {"name": "approve_form", "jsonSchema": {"type": "object"}, "templateUI": {}, "tags": []}
    assert api.call("POST", "/human/template?newVersion=true", "admin", json=form).status_code == 200
    flow = {"name": "flow", "version": 1, "tasks": [
        {"name": "approve", "taskReferenceName": "approve_ref", "type": "HUMAN", "inputParameters": {
            "__humanTaskDefinition": {"assignments": [
                {"assignee": {"user": "alice@example.com", "userType": "EXTERNAL_USER"}, "slaMinutes": 0}]}}}]}
    assert api.call("POST", "/metadata/workflow", "owner", json=flow).status_code == 200
    if workflow:
        assert api.call("POST", "/workflow", "owner", json={"name": "flow", "version": 1}).status_code == 200
    assert api.client.post("/_mock/clock", json={"advance": "PT1H"}).status_code == 200


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_loads_back_into_the_same_world(api: Api, fmt: str) -> None:
    changed_world(api)
    reply = api.client.get(f"/_mock/scenario?format={fmt}")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith(f"application/{fmt}")
    assert reply.headers["x-export-problems"] == "0"
    if fmt == "json":
        json.loads(reply.text)
    ids = SequentialIds()
    scenario = load_scenario(Path(f"export.{fmt}"), ids=ids, now_ms=0, text=reply.text)
    reloaded = World(scenario.seed, clock=type(api.world.clock)(scenario.clock.start_ms), ids=ids)  # type: ignore[call-arg]
    assert masked(reloaded) == masked(api.world)


def test_export_is_a_fixed_point_of_load(api: Api) -> None:
    changed_world(api)
    first = api.client.get("/_mock/scenario").text
    assert api.client.put("/_mock/scenario", content=first).status_code == 200
    assert api.client.get("/_mock/scenario").text == first


def test_export_is_a_get_without_side_effects(api: Api) -> None:
    changed_world(api)
    with Unchanged(api):
        api.client.get("/_mock/scenario")
        api.client.get("/_mock/scenario?format=json&verify=false")


def test_export_carries_every_field() -> None:
    """The scenario format has a key for every field of a task and of a template: nothing is lost."""
    assert unsupported_fields() == {"tasks": [], "templates": []}
    carried = {"task_id", "state", "created_on", "updated_on", "assignee", "claimant", "definition_name",
               "display_name", "workflow_id", "workflow_name", "task_ref_name", "created_by", "updated_by", "owner_app",
               "definition", "input", "output"}
    assert {f.name for f in fields(HumanTask)} == carried | {field for field, _ in TASK_EXTRAS.values()}


def test_an_export_that_would_not_load_back_says_so(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every real world exports to a loadable scenario; a broken export (forced here) is flagged, not hidden."""
    real = export_world

    def broken(world: World) -> dict[str, Any]:
        document = real(world)
        document["tasks"][0]["state"] = "IN_PROGESS"
        return document

    monkeypatch.setattr(plane_module, "export_world", broken)
    reply = api.client.get("/_mock/scenario")
    assert reply.status_code == 200 and int(reply.headers["x-export-problems"]) >= 1
    assert "# WARNING: this export does not load back as it is:" in reply.text
    assert "'IN_PROGESS' is not a valid state" in reply.text
    assert api.client.get("/_mock/scenario?verify=false").headers["x-export-problems"] == "0"


def test_an_open_mode_world_claimed_by_anonymous_loads_back(api: Api) -> None:
    assert api.client.put("/_mock/scenario?file=open").status_code == 200
    assert api.client.post("/api/human/tasks/ticket-review-2/claim").status_code == 200
    reply = api.client.get("/_mock/scenario")
    assert reply.status_code == 200 and reply.headers["x-export-problems"] == "0"
    assert api.client.put("/_mock/scenario", content=reply.text).status_code == 200
    assert api.client.get("/api/human/tasks/ticket-review-2").json()["claimant"]["user"] == "anonymous"


def test_export_world_is_plain_data(api: Api) -> None:
    document = export_world(control(api).world)
    assert json.loads(json.dumps(document)) == document
    assert list(document)[:4] == ["name", "description", "clock", "auth"]


def test_the_plane_can_be_driven_without_http(api: Api) -> None:
    plane: ControlPlane = control(api)
    assert plane.reset()["scenario"] == "http"
    assert plane.advance_clock(60_000)["nowMs"] == 1767258000000 + 60_000


def test_reset_reuses_the_validated_seed_when_the_scenario_has_a_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reset must cost far less than a restart: with a fixed `clock.start` it does not parse the file again."""
    import mockserver.app

    app = mockserver.app.build_app(HTTP_WORLD)
    with TestClient(app) as client:
        token = client.post("/api/token", json={"keyId": "admin-key", "keySecret": "admin-secret"}).json()["token"]

        def no_parsing(*args: object, **kwargs: object) -> None:
            raise AssertionError("reset parsed the scenario again")

        monkeypatch.setattr(mockserver.app, "load_scenario", no_parsing)
        assert client.post("/_mock/reset").status_code == 200
        # the same ids were drawn as by a fresh load: same token secret, same generated ids
        assert client.get("/api/human/tasks/ext", headers={"X-Authorization": token}).status_code == 200
        fresh = load_scenario(HTTP_WORLD, ids=SequentialIds(), now_ms=0)
        assert {t.task_id: t for t in app.state.mock.world.tasks.all()} == {t.task_id: t for t in fresh.seed.tasks}


def test_reset_parses_again_when_defaults_depend_on_the_time(tmp_path: Path) -> None:
    no_start = tmp_path / "now.yaml"
    no_start.write_text("tasks: [{taskId: t}]\n", encoding="utf-8")
    loaded = prepare(no_start)
    first, second = loaded.build(), loaded.build()
    assert first.seed is not second.seed and first.seed.tasks[0].task_id == second.seed.tasks[0].task_id
