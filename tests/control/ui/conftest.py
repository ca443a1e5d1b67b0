"""A real browser (Debian's chromium, driven by Playwright) against a live mock per test module."""

from __future__ import annotations

import http.client
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.livemock import ROOT, LiveMock, live_mock

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DEFAULT = ROOT / "scenarios" / "default.yaml"

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
if not CHROMIUM.exists() and shutil.which("chromium") is None:  # `make test` installs it (scripts/install-browser.sh)
    pytest.skip("no /usr/bin/chromium: run `bash scripts/install-browser.sh`", allow_module_level=True)


@dataclass
class Mock:
    """The live mock, called through the public API and the control API (fresh connection per call)."""

    process: LiveMock
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def page_url(self) -> str:
        return f"{self.process.root_url}/_mock/ui/"

    def call(self, method: str, path: str, body: object = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.process.port, timeout=10)
        try:
            payload = None if body is None else json.dumps(body)
            sent = {"Content-Type": "application/json", **(headers or {})}
            connection.request(method, path, body=payload, headers=sent)
            reply = connection.getresponse()
            text = reply.read()
            return reply.status, json.loads(text) if text else None
        finally:
            connection.close()

    def token(self, who: str, base: str = "") -> str:
        status, body = self.call("POST", f"{base}/api/token", {"keyId": f"{who}-key", "keySecret": f"{who}-secret"})
        assert status == 200, body
        value: str = body["token"]
        return value

    def api(self, who: str, method: str, path: str, body: object = None, base: str = "") -> tuple[int, Any]:
        """A call of `/api` (or of a namespace's, `base="/ns/NAME"`) as `who`, with a token of that namespace."""
        return self.call(method, f"{base}/api{path}", body, headers={"X-Authorization": self.token(who, base)})

    def task(self, task_id: str, base: str = "") -> dict[str, Any]:
        status, body = self.api("owner", "GET", f"/human/tasks/{task_id}", base=base)
        assert status == 200, body
        task: dict[str, Any] = body
        return task

    def last_seq(self, base: str = "") -> int:
        status, body = self.call("GET", f"{base}/_mock/journal?limit=1")
        assert status == 200
        seq: int = body["lastSeq"]
        return seq


@pytest.fixture(scope="module")
def mock() -> Iterator[Mock]:
    with live_mock(DEFAULT) as running:
        yield Mock(running)


@pytest.fixture(autouse=True)
def fresh(mock: Mock) -> Iterator[None]:
    assert mock.call("POST", "/_mock/reset")[0] == 200
    yield


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@dataclass
class Tab:
    """One page, with the console errors and the requests it made."""

    page: Any
    errors: list[str]
    requests: list[str]

    def act_as(self, key: str) -> None:
        self.page.select_option("#identity", key)
        self.page.wait_for_selector(f'main[data-as="{key}"][data-view]')

    def open(self, hash_: str) -> None:
        self.page.evaluate("h => { location.hash = h; }", hash_)
        self.rendered(hash_)

    def rendered(self, hash_: str) -> None:
        self.page.wait_for_function("h => document.getElementById('main').dataset.view === h", arg=hash_)


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    made = browser.new_context(viewport={"width": 1280, "height": 800})
    yield made
    made.close()


def open_tab(context: Any, mock: Mock, key: str | None = None, hash_: str = "#/inbox", base: str = "") -> Tab:
    page = context.new_page()
    tab = Tab(page, [], [])
    page.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: tab.errors.append(str(e)))
    page.on("request", lambda r: tab.requests.append(f"{r.method} {r.url}"))
    page.goto(f"{mock.process.root_url}{base}/_mock/ui/{hash_}")
    tab.rendered(hash_)
    if key is not None:
        tab.act_as(key)
    return tab
