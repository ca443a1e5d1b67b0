"""The control API against other web sites: foreign origins, DNS rebinding, text/plain posts (issue 15, item 7)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.conftest import Api
from tests.control.support import Unchanged, assert_error


@pytest.fixture
def loopback(app: Starlette) -> Iterator[Api]:
    """The app as a server bound to 127.0.0.1:8080 sees it."""
    with TestClient(app, base_url="http://127.0.0.1:8080", raise_server_exceptions=False) as client:
        yield Api(client, app)


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:9999", "http://localhost"])
def test_a_foreign_origin_is_refused(loopback: Api, origin: str) -> None:
    with Unchanged(loopback):
        reply = loopback.client.post("/_mock/reset", headers={"Origin": origin})
        assert_error(reply, 403, f"Cross-origin call from {origin!r} refused")
        keys = loopback.client.get("/_mock/scenario", headers={"Origin": origin})
        assert_error(keys, 403, "another web site must not drive it through your browser")
        assert "keySecret" not in keys.text


@pytest.mark.parametrize("origin", ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"])
def test_the_mocks_own_pages_pass(loopback: Api, origin: str) -> None:
    """The inbox page under /_mock/ui/ is same-origin: its calls carry the mock's own origin."""
    reply = loopback.client.post("/_mock/clock", json={"advance": "PT1M"}, headers={"Origin": origin})
    assert reply.status_code == 200, reply.text
    assert loopback.client.get("/_mock/health", headers={"Origin": origin}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example:8080", "evil.example", "192.168.1.10:8080"])
def test_a_rebound_host_is_refused_on_loopback(loopback: Api, host: str) -> None:
    with Unchanged(loopback):
        reply = loopback.client.get("/_mock/scenario", headers={"Host": host})
        assert_error(reply, 403, f"Host {host!r} refused: the mock listens on loopback")
        assert "keySecret" not in reply.text
        assert_error(loopback.client.post("/_mock/reset", headers={"Host": host}), 403, "DNS rebinding")


@pytest.mark.parametrize("host", ["localhost:8080", "127.0.0.1:8080", "[::1]:8080", "app.localhost:8080"])
def test_loopback_names_pass(loopback: Api, host: str) -> None:
    assert loopback.client.get("/_mock/health", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_a_body_of_another_type_is_refused(loopback: Api, content_type: str) -> None:
    """What a cross-site form or `fetch` sends without a preflight: the reset or a planted fault must not pass."""
    with Unchanged(loopback):
        reply = loopback.client.post("/_mock/reset", content=b"x", headers={"Content-Type": content_type})
        assert_error(reply, 415, f"POST /_mock/reset with Content-Type {content_type!r} refused: send JSON")
        planted = loopback.client.post("/_mock/faults", headers={"Content-Type": content_type},
                                       content=b'{"operationId": "getTask", "status": 500}')
        assert_error(planted, 415, "a cross-site form or text/plain post must not change the mock")


@pytest.mark.parametrize("content_type", ["application/json", "application/yaml", "text/yaml",
                                          "application/json; charset=utf-8"])
def test_json_and_yaml_bodies_pass(loopback: Api, content_type: str) -> None:
    reply = loopback.client.post("/_mock/faults", headers={"Content-Type": content_type},
                                 content=b'{"operationId": "getTask", "status": 503}')
    assert reply.status_code == 201, reply.text


def test_beyond_loopback_any_host_is_answered(api: Api) -> None:
    """Bound beyond loopback (here the test client's `testserver`), the Host check stands aside: the control
    token protects that case."""
    assert api.client.get("/_mock/health", headers={"Host": "mock.internal:8080"}).status_code == 200
