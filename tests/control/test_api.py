"""The control API as a surface: its own OpenAPI document, health and version, GET never mutating, the token
when it is set, and request ids on every reply."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace

import pytest
import yaml
from openapi_spec_validator import validate
from starlette.routing import Route
from starlette.testclient import TestClient

from mockserver import __version__, resources
from mockserver.app import build_app
from mockserver.control import api as control_api
from mockserver.control import ui
from mockserver.control.commands import control_token, describe_control, is_loopback
from mockserver.web.routing import SpecMismatch, SurfaceRoutes, routes_from_spec
from tests.conftest import HTTP_WORLD, Api
from tests.control.support import Unchanged, assert_error

TOKEN = "s3cret-token"


def test_the_control_document_is_valid_openapi_and_served(api: Api) -> None:
    document = control_api.document()
    validate(document)
    assert document["openapi"].startswith("3.1")
    reply = api.client.get("/_mock/openapi.yaml")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(reply.text) == document


def test_the_routes_are_the_documents_paths_and_stay_out_of_openapi_yaml(api: Api) -> None:
    listed = [r for entry in api.app.routes for r in (entry.routes if isinstance(entry, SurfaceRoutes) else [entry])]
    routes = {r.path for r in listed if isinstance(r, Route) and r.path.startswith("/_mock")}
    assert routes == set(control_api.document()["paths"])
    assert not [p for p in resources.openapi_document()["paths"] if "_mock" in p]
    assert set(control_api.operation_ids()) == {*control_api.CONTROL_HANDLERS, *ui.ui_paths()}  # + the inbox's


def test_a_control_operation_without_a_handler_is_refused_at_start_up(api: Api) -> None:
    base = control_api.control_surface(api.app.state.namespaces)
    handlers = dict(control_api.CONTROL_HANDLERS)
    handlers.pop("mockReset")
    with pytest.raises(SpecMismatch, match="mockReset"):
        routes_from_spec(replace(base, handlers=handlers))


def test_a_control_handler_without_an_operation_is_refused_at_start_up(api: Api) -> None:
    base = control_api.control_surface(api.app.state.namespaces)
    handlers = {**control_api.CONTROL_HANDLERS, "mockLaunch": control_api.reset}
    with pytest.raises(SpecMismatch, match="mockLaunch"):
        routes_from_spec(replace(base, handlers=handlers))


def test_health_and_version(api: Api) -> None:
    health = api.client.get("/_mock/health")
    store = api.app.state.control.store_name
    assert (health.status_code, health.json()) == (200, {"status": "ok", "scenario": "http", "tasks": 10,
                                                         "store": store})
    assert health.headers["x-mock-process"] == str(os.getpid())
    assert (store == "memory") is (not api.app.state.control.shared)
    version = api.client.get("/_mock/version").json()
    assert version == {"version": __version__, "openapi": resources.openapi_document()["info"]["version"],
                       "controlApi": control_api.document()["info"]["version"]}


def mutating_paths() -> list[tuple[str, str]]:
    """(path, Allow) of every path whose every method changes something."""
    out = []
    for path, methods in control_api.paths_and_methods().items():
        if "GET" not in methods:
            order = [m.upper() for m in ("get", "put", "post", "patch", "delete", "head", "options")]
            out.append((path, ", ".join(m for m in order if m in methods)))
    return out


@pytest.mark.parametrize(("path", "allow"), mutating_paths())
def test_get_never_mutates_a_get_on_a_mutating_path_is_405(api: Api, path: str, allow: str) -> None:
    with Unchanged(api):
        reply = api.client.get(path)
        assert_error(reply, 405, "GET never changes anything")
    assert reply.headers["allow"] == allow


def test_every_get_of_the_control_api_changes_nothing(api: Api) -> None:
    api.client.post("/_mock/faults", json={"operationId": "search", "drop": True})
    api.call("POST", "/human/tasks/ext/claim", "admin")
    with Unchanged(api):
        for path, methods in control_api.paths_and_methods().items():
            if "GET" in methods:
                assert api.client.get(path.replace("{faultId}", "f1")).status_code == 200, path


def test_unknown_control_paths_are_404(api: Api) -> None:
    assert_error(api.client.get("/_mock/nothing"), 404, "No such endpoint: GET /_mock/nothing")


# -- request ids ------------------------------------------------------------------------------------------------


def test_every_api_reply_carries_a_request_id_the_clients_or_a_fresh_one(api: Api) -> None:
    ids = [api.call("GET", "/human/tasks/ext").headers["x-request-id"] for _ in range(2)]
    assert ids[0] != ids[1] and all(i.startswith("00000000-0000-4000-8000-ffff") for i in ids)
    assert api.call("GET", "/human/tasks/ext", headers={"X-Request-Id": "abc-1"}).headers["x-request-id"] == "abc-1"
    long = "x" * 129
    assert api.call("GET", "/human/tasks/ext", headers={"X-Request-Id": long}).headers["x-request-id"] != long
    assert api.call("GET", "/human/tasks/nope").headers["x-request-id"]  # errors too
    assert api.client.get("/_mock/health", headers={"X-Request-Id": "ctl"}).headers["x-request-id"] == "ctl"


def test_request_ids_never_repeat_across_resets(api: Api) -> None:
    before = api.call("GET", "/human/tasks/ext").headers["x-request-id"]
    api.client.post("/_mock/reset")
    assert api.call("GET", "/human/tasks/ext").headers["x-request-id"] != before


# -- the token --------------------------------------------------------------------------------------------------


@pytest.fixture
def guarded() -> Iterator[TestClient]:
    with TestClient(build_app(HTTP_WORLD, control_token=TOKEN)) as client:
        yield client


@pytest.mark.parametrize(("headers", "fragment", "challenge"), [
    ({}, "needs the token given at start-up", 'Bearer realm="conductor-mock control"'),
    ({"Authorization": "Bearer nope"}, "Wrong control token", 'Bearer realm="conductor-mock control", '
                                                             'error="invalid_token"'),
    ({"Authorization": f"Basic {TOKEN}"}, "needs the token", 'Bearer realm="conductor-mock control"'),
])
def test_with_a_token_every_control_call_needs_it(guarded: TestClient, headers: dict[str, str], fragment: str,
                                                  challenge: str) -> None:
    world = guarded.app.state.mock.world  # type: ignore[attr-defined]
    for method, path in [("GET", "/_mock/health"), ("POST", "/_mock/reset"), ("GET", "/_mock/reset"),
                         ("DELETE", "/_mock/faults"), ("PUT", "/_mock/scenario?file=open")]:
        reply = guarded.request(method, path, headers=headers)
        assert_error(reply, 401, fragment)
        assert reply.headers["www-authenticate"] == challenge
    assert guarded.app.state.mock.world is world  # type: ignore[attr-defined]


def test_the_right_token_opens_the_control_api_and_the_api_never_needs_it(guarded: TestClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert guarded.get("/_mock/health", headers=auth).status_code == 200
    assert guarded.post("/_mock/reset", headers=auth).status_code == 200
    assert guarded.post("/api/token", json={"keyId": "admin-key", "keySecret": "admin-secret"}).status_code == 200


def test_loopback_hosts() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.9.9.9", "::1", "[::1]", "localhost", "LOCALHOST"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.5", "example.com"))


def test_a_token_is_needed_off_loopback_and_generated_when_none_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONDUCTOR_MOCK_CONTROL_TOKEN", raising=False)
    assert control_token("127.0.0.1", None) == (None, "none")
    assert control_token("127.0.0.1", "given") == ("given", "flag")
    token, origin = control_token("0.0.0.0", None)
    assert origin == "generated" and token and len(token) >= 24
    assert control_token("0.0.0.0", None)[0] != token
    monkeypatch.setenv("CONDUCTOR_MOCK_CONTROL_TOKEN", "from-env")
    assert control_token("0.0.0.0", None) == ("from-env", "env")
    assert control_token("127.0.0.1", None) == ("from-env", "env")


def test_the_start_up_message_says_whether_a_token_is_needed() -> None:
    assert "no token needed" in describe_control("127.0.0.1", 8080, None, "none")[0]
    generated = describe_control("0.0.0.0", 8080, "abc", "generated")
    assert "needs a token" in generated[0] and generated[1].strip() == "Authorization: Bearer abc"
    assert "--control-token" in describe_control("0.0.0.0", 8080, "abc", "flag")[0]
    assert all("abc" not in line for line in describe_control("0.0.0.0", 8080, "abc", "env"))
