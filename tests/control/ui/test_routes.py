"""The web inbox's routes (no browser): files and content types, the redirect, the control API's access rules
with the token also taken as `?token=` or the page's cookie, no path traversal, the contract declares them all."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mockserver.app import build_app
from mockserver.control import api as control_api
from mockserver.control.commands import describe_control
from mockserver.control.ui import COOKIE, PREFIX, STATIC, file_of, ui_paths
from tests.conftest import HTTP_WORLD
from tests.control.support import assert_error

TOKEN = "ui-s3cret"


@pytest.fixture
def open_client() -> Iterator[TestClient]:
    with TestClient(build_app(HTTP_WORLD)) as client:
        yield client


@pytest.fixture
def guarded() -> Iterator[TestClient]:
    with TestClient(build_app(HTTP_WORLD, control_token=TOKEN)) as client:
        yield client


def test_every_static_file_is_declared_in_the_contract_and_every_declared_file_exists() -> None:
    declared = {file_of(path) for path in ui_paths().values()} - {None}
    shipped = {p.name for p in STATIC.iterdir() if p.is_file()}
    assert declared == shipped
    documented = control_api.document()["paths"]
    page = documented[f"{PREFIX}/"]["get"]["responses"]["200"]
    assert page["content"] == {"text/html": {"schema": {"type": "string"}}}


@pytest.mark.parametrize(("path", "media"), [("/", "text/html"), ("/app.js", "text/javascript"),
                                             ("/form.js", "text/javascript"), ("/style.css", "text/css")])
def test_the_page_and_its_files_with_their_content_types(open_client: TestClient, path: str, media: str) -> None:
    reply = open_client.get(PREFIX + path)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == f"{media}; charset=utf-8"
    name = path.strip("/") or "index.html"
    assert reply.content == (STATIC / name).read_bytes()
    assert reply.headers["x-content-type-options"] == "nosniff"


def test_the_page_fetches_nothing_from_outside() -> None:
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, path.name


def test_the_bare_prefix_redirects_to_the_page_keeping_the_query(open_client: TestClient) -> None:
    reply = open_client.get(PREFIX + "?token=abc", follow_redirects=False)
    assert (reply.status_code, reply.headers["location"]) == (307, f"{PREFIX}/?token=abc")
    assert open_client.get(PREFIX, follow_redirects=False).headers["location"] == f"{PREFIX}/"


@pytest.mark.parametrize("path", ["/../api.py", "/..%2f__init__.py", "/%2e%2e/__init__.py", "/static/app.js",
                                  "/__init__.py", "/index.html/", "/nothing.js"])
def test_nothing_else_is_served(open_client: TestClient, path: str) -> None:
    reply = open_client.get(PREFIX + path)
    assert reply.status_code == 404, path
    assert "No such endpoint" in reply.json()["message"]


def test_other_methods_are_the_control_apis_405(open_client: TestClient) -> None:
    reply = open_client.post(PREFIX + "/")
    assert_error(reply, 405, "is not supported on /_mock/ui/")
    assert reply.headers["allow"] == "GET"


def test_with_a_control_token_the_page_and_its_files_need_it(guarded: TestClient) -> None:
    for path in ("/", "/app.js", "/style.css"):
        body = assert_error(guarded.get(PREFIX + path), 401, "needs the control token")
        assert "?token=<token>" in body["message"]
    wrong = guarded.get(PREFIX + "/?token=nope")
    assert_error(wrong, 401, "Wrong control token")
    assert wrong.headers["www-authenticate"].startswith('Bearer realm="conductor-mock control"')
    assert COOKIE not in guarded.cookies


def test_the_token_as_header_query_or_the_pages_cookie(guarded: TestClient) -> None:
    assert guarded.get(PREFIX + "/app.js", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    page = guarded.get(PREFIX + f"/?token={TOKEN}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={TOKEN};") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert f"Path={PREFIX}" in cookie
    assert guarded.get(PREFIX + "/app.js").status_code == 200  # the cookie, now
    assert_error(guarded.get("/_mock/health"), 401, "needs the token")  # the control API itself: header only


def test_serve_prints_the_page_url() -> None:
    assert describe_control("127.0.0.1", 8080, None, "none")[-1] == "web inbox on http://127.0.0.1:8080/_mock/ui/"
    generated = describe_control("0.0.0.0", 8080, "abc", "generated")[-1]
    assert generated == "web inbox on http://0.0.0.0:8080/_mock/ui/?token=abc"
    assert describe_control("0.0.0.0", 8080, "abc", "env")[-1] == "web inbox on http://0.0.0.0:8080/_mock/ui/?token=<token>"


def test_under_a_namespace_the_redirect_and_the_cookie_keep_its_prefix(guarded: TestClient) -> None:
    mount = f"/ns/w1{PREFIX}"
    reply = guarded.get(f"{mount}?token={TOKEN}", follow_redirects=False)
    assert (reply.status_code, reply.headers["location"]) == (307, f"{mount}/?token={TOKEN}")
    page = guarded.get(f"{mount}/?token={TOKEN}")
    assert page.status_code == 200 and page.content == (STATIC / "index.html").read_bytes()
    assert f"Path={mount};" in page.headers["set-cookie"]
    assert guarded.get(f"{mount}/app.js").status_code == 200  # the namespace's cookie, now
    guarded.cookies.clear()
    refused = assert_error(guarded.get(f"{mount}/app.js"), 401, "needs the control token")
    assert f"open {mount}/?token=<token>" in refused["message"]
    assert_error(guarded.get(f"{mount}/?token=nope"), 401, f"({mount}/?token=<token>)")
    assert COOKIE not in guarded.cookies


def test_the_default_pages_cookie_is_not_sent_to_a_namespaces_page(guarded: TestClient) -> None:
    assert guarded.get(f"{PREFIX}/?token={TOKEN}").status_code == 200
    assert guarded.get(f"{PREFIX}/app.js").status_code == 200
    assert_error(guarded.get(f"/ns/w1{PREFIX}/app.js"), 401, "needs the control token")
