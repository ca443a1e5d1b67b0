"""The web inbox's query parameters are checked against control-openapi.yaml as the control API's are: an empty
`?token=` (declared `minLength: 1`) is a 400 with the Orkes error body, with or without a control token, and
changes nothing (no cookie, no world, no namespace)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mockserver.app import build_app
from mockserver.control.ui import COOKIE, PREFIX
from tests.conftest import HTTP_WORLD, Api
from tests.control.support import Unchanged, assert_error

TOKEN = "ui-s3cret"
EMPTY = "Invalid value '' for query parameter 'token': '' should be non-empty"


@pytest.fixture(params=[None, TOKEN], ids=["open", "guarded"])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    app = build_app(HTTP_WORLD, control_token=request.param)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, app)


def refused(reply_api: Api, url: str, **headers: str) -> None:
    namespaces = len(reply_api.app.state.namespaces)
    with Unchanged(reply_api):
        reply = reply_api.client.get(url, headers=headers, follow_redirects=False)
    body = assert_error(reply, 400, EMPTY)
    assert body["validationErrors"] == [{"path": "token", "message": EMPTY, "invalidValue": ""}]
    assert "set-cookie" not in reply.headers and COOKIE not in reply_api.client.cookies
    assert len(reply_api.app.state.namespaces) == namespaces


@pytest.mark.parametrize("path", ["/", ""], ids=["page", "redirect"])
def test_an_empty_token_is_a_400(api: Api, path: str) -> None:
    refused(api, f"{PREFIX}{path}?token=")


def test_an_empty_token_is_a_400_also_next_to_the_right_header(api: Api) -> None:
    refused(api, f"{PREFIX}/?token=", Authorization=f"Bearer {TOKEN}")


def test_an_empty_first_token_is_a_400_as_the_first_value_counts(api: Api) -> None:
    refused(api, f"{PREFIX}/?token=&token={TOKEN}")


def test_an_empty_token_under_a_namespace_is_a_400(api: Api) -> None:
    assert api.client.get(f"/ns/w1{PREFIX}/", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    refused(api, f"/ns/w1{PREFIX}/?token=")


@pytest.mark.parametrize("query", ["?token=", "", f"?token={TOKEN}"])
def test_a_foreign_origin_is_refused_first_with_403(api: Api, query: str) -> None:
    """(It was a 500: the page's 401 hint read a `WWW-Authenticate` the 403 does not carry.)"""
    with Unchanged(api):
        reply = api.client.get(f"{PREFIX}/{query}", headers={"Origin": "https://evil.example"})
    assert_error(reply, 403, "Cross-origin call from 'https://evil.example' refused")


def test_a_token_of_one_character_passes_the_check() -> None:
    with TestClient(build_app(HTTP_WORLD)) as open_client:
        assert open_client.get(f"{PREFIX}/?token=x").status_code == 200
    with TestClient(build_app(HTTP_WORLD, control_token=TOKEN)) as guarded:
        assert_error(guarded.get(f"{PREFIX}/?token=x"), 401, "Wrong control token")


def test_a_repeated_token_counts_its_first_value_only() -> None:
    app = build_app(HTTP_WORLD, control_token=TOKEN)
    with TestClient(app) as guarded:
        with Unchanged(Api(guarded, app)):
            reply = guarded.get(f"{PREFIX}/?token=nope&token={TOKEN}")
        assert_error(reply, 401, "Wrong control token")
        assert COOKIE not in guarded.cookies
        assert guarded.get(f"{PREFIX}/?token={TOKEN}&token=nope").status_code == 200
