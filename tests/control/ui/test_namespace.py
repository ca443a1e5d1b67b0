"""The web inbox of a namespace: opened at `/ns/NAME/_mock/ui/` it works on NAME only (its identities, its `/api`,
its journal and clock), and the default namespace is left alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.control.ui.conftest import Mock, open_tab

pytestmark = [pytest.mark.browser, pytest.mark.live]
LOAN = "loan-review-2001"  # ASSIGNED to CONDUCTOR_USER alice in the default scenario, which a new namespace loads
W1 = "/ns/w1"


@pytest.fixture(autouse=True)
def fresh(mock: Mock) -> Iterator[None]:
    for base in ("", W1):
        assert mock.call("POST", f"{base}/_mock/reset")[0] == 200
    yield


def test_the_page_of_a_namespace_claims_there_and_not_in_the_default_namespace(context: Any, mock: Mock) -> None:
    default_before, default_seq = mock.task(LOAN), mock.last_seq()
    assert mock.task(LOAN, W1)["state"] == "ASSIGNED"  # w1 has its own copy of the scenario
    tab = open_tab(context, mock, "alice-key", f"#/task/{LOAN}", base=W1)
    page = tab.page
    expect(page.locator("#namespace")).to_have_text("namespace w1")
    page.click("#claim")
    expect(page.locator("#task-state")).to_have_text("IN_PROGRESS")
    claimed = mock.task(LOAN, W1)
    assert (claimed["state"], claimed["claimant"]) == ("IN_PROGRESS", {"user": "alice@example.com",
                                                                       "userType": "CONDUCTOR_USER"})
    assert mock.task(LOAN) == default_before and mock.last_seq() == default_seq  # the default one did not move
    entry = page.locator(f'#journal li[data-task="{LOAN}"]').first  # w1's journal
    expect(entry).to_contain_text("ASSIGNED → IN_PROGRESS by alice@example.com")
    href = page.locator("#workflow-link").get_attribute("href") or ""
    assert href.startswith(f"{W1}/api/workflow/"), href
    root = mock.process.root_url
    calls = [r.split(" ", 1)[1].removeprefix(root) for r in tab.requests]
    outside = [c for c in calls if c.startswith(("/api", "/_mock"))]
    assert outside == [] and any(c.startswith(f"{W1}/api/") for c in calls), calls
    assert tab.errors == []


def test_a_namespace_page_remembers_its_own_identity_in_the_tab(context: Any, mock: Mock) -> None:
    tab = open_tab(context, mock, "alice-key")  # the default page, as alice
    tab.page.goto(f"{mock.process.root_url}{W1}/_mock/ui/#/inbox")  # the same tab (same sessionStorage), on w1
    tab.rendered("#/inbox")
    first = tab.page.locator("#identity option").first.get_attribute("value")
    assert tab.page.input_value("#identity") == first != "alice-key"
    tab.act_as("bob-key")
    tab.page.goto(f"{mock.process.root_url}/_mock/ui/#/inbox")
    tab.rendered("#/inbox")
    assert tab.page.input_value("#identity") == "alice-key"
    expect(tab.page.locator("#namespace")).to_have_text("")
    assert tab.errors == []
