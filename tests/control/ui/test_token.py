"""The web inbox on a mock that needs a control token: given once as `?token=`, then kept by the page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from mockserver.control.ui import COOKIE
from tests.control.ui.conftest import DEFAULT, Mock
from tests.livemock import live_mock

pytestmark = [pytest.mark.browser, pytest.mark.live]
TOKEN = "ui-browser-s3cret"


@pytest.fixture(scope="module")
def mock() -> Iterator[Mock]:
    with live_mock(DEFAULT, "--control-token", TOKEN) as running:
        yield Mock(running)


@pytest.fixture(autouse=True)
def fresh(mock: Mock) -> Iterator[None]:
    yield


def test_without_the_token_the_page_is_refused(context: Any, mock: Mock) -> None:
    page = context.new_page()
    reply = page.goto(mock.page_url)
    assert reply is not None and reply.status == 401
    assert "needs the control token" in page.content()


def test_with_the_token_once_the_page_works_and_drops_it_from_the_address_bar(context: Any, mock: Mock) -> None:
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{mock.page_url}?token={TOKEN}#/inbox")
    page.wait_for_selector('main[data-view="#/inbox"]')
    assert TOKEN not in page.url and page.url.endswith("/_mock/ui/#/inbox")
    page.select_option("#identity", "alice-key")
    page.wait_for_selector('main[data-as="alice-key"][data-view="#/inbox"]')
    status, _ = mock.call("POST", "/_mock/reset", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    expect(page.locator("#journal li").first).to_contain_text("RESET", timeout=1000)  # /_mock calls carry it
    page.reload()  # the cookie loads the page again, the tab still has the token for its calls
    page.wait_for_selector('main[data-view="#/inbox"]')
    expect(page.locator("#clock-now")).to_contain_text("2026-01-01T")
    assert errors == []


def test_a_namespaces_page_with_the_token_once_keeps_working_after_a_reload(context: Any, mock: Mock) -> None:
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{mock.process.root_url}/ns/w1/_mock/ui/?token={TOKEN}#/inbox")
    page.wait_for_selector('main[data-view="#/inbox"]')
    assert page.url.endswith("/ns/w1/_mock/ui/#/inbox")
    cookies = {c["name"]: c["path"] for c in context.cookies()}
    assert cookies == {COOKIE: "/ns/w1/_mock/ui"}
    reply = page.reload()  # the namespace's cookie loads the page and its scripts again
    assert reply is not None and reply.status == 200
    page.wait_for_selector('main[data-view="#/inbox"]')
    expect(page.locator("#clock-now")).to_contain_text("2026-01-01T")
    assert errors == []
