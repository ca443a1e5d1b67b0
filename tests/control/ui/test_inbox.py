"""The web inbox in a real browser: every action goes through /api as the chosen identity, and the page shows
what the server says."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.control.ui.conftest import Mock, open_tab

pytestmark = [pytest.mark.browser, pytest.mark.live]
LOAN = "loan-review-2001"  # ASSIGNED to CONDUCTOR_USER alice, form approve_form v1


def test_claim_fill_the_form_and_complete_through_the_page(context: Any, mock: Mock) -> None:
    tab = open_tab(context, mock, "alice-key")
    tab.open(f"#/task/{LOAN}")
    page = tab.page
    page.click("#claim")
    expect(page.locator("#task-state")).to_have_text("IN_PROGRESS")
    assert mock.task(LOAN)["claimant"] == {"user": "alice@example.com", "userType": "CONDUCTOR_USER"}
    page.get_by_label("Approve", exact=True).check()
    page.get_by_label("Amount approved", exact=True).fill("24000.5")
    page.get_by_label("Comment", exact=True).fill("Income verified.\nOK to proceed.")
    page.click("#complete")
    expect(page.locator("#task-state")).to_have_text("COMPLETED")
    expect(page.locator("#status")).to_have_text(f"Completed {LOAN}")
    status, task = mock.api("alice", "GET", f"/human/tasks/{LOAN}")
    assert status == 200 and task["state"] == "COMPLETED"
    comment = "Income verified.\nOK to proceed."
    assert task["output"] == {"approved": True, "amountApproved": 24000.5, "comment": comment}
    assert tab.errors == []


def test_a_caller_without_rights_sees_the_servers_403_message_and_nothing_changes(context: Any, mock: Mock) -> None:
    before, seq = mock.task(LOAN), mock.last_seq()
    status, refusal = mock.api("other", "GET", f"/human/tasks/{LOAN}")
    assert status == 403
    tab = open_tab(context, mock, "other-key")
    tab.open(f"#/task/{LOAN}")
    expect(tab.page.locator("#view-error")).to_have_text(f"403: {refusal['message']}")
    expect(tab.page.locator("#status")).to_have_text(f"403: {refusal['message']}")
    assert mock.task(LOAN) == before and mock.last_seq() == seq


def test_a_refused_claim_shows_the_servers_message_and_changes_nothing(context: Any, mock: Mock) -> None:
    tab = open_tab(context, mock, "owner-key")  # the owner may read the task, bob may not claim it
    tab.open(f"#/task/{LOAN}")
    before, seq = mock.task(LOAN), mock.last_seq()
    tab.act_as("bob-key")  # bob cannot even read it: the view says so
    expect(tab.page.locator("#view-error")).to_contain_text("403: You don't have permissions to read task")
    tab.act_as("admin-key")
    mock.api("alice", "POST", f"/human/tasks/{LOAN}/claim")  # now claimed by alice: claiming again is refused
    seq = mock.last_seq()
    before = mock.task(LOAN)
    tab.page.click("#claim")
    status, body = mock.api("admin", "POST", f"/human/tasks/{LOAN}/claim")
    assert status == 400 and "already claimed" in body["message"], body
    expect(tab.page.locator("#action-error")).to_have_text(f"{status}: {body['message']}")
    assert mock.task(LOAN) == before and mock.last_seq() == seq


def inbox_rows(tab: Any) -> set[str]:
    rows: list[str] = tab.page.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.task)")
    return set(rows)


def api_inbox(mock: Mock, who: str) -> set[str]:
    status, page = mock.api(who, "POST", "/human/tasks/search", {"searchType": "INBOX", "size": 50})
    assert status == 200
    return {t["taskId"] for t in page["results"]}


def test_two_browser_contexts_as_two_identities_see_their_own_inboxes(browser: Any, mock: Mock) -> None:
    contexts = [browser.new_context(viewport={"width": 1280, "height": 800}) for _ in range(2)]
    try:
        alice, bob = open_tab(contexts[0], mock, "alice-key"), open_tab(contexts[1], mock, "bob-key")
        tab_size = "50"
        for tab in (alice, bob):
            tab.page.select_option("#f-size", tab_size)
            tab.page.click("text=Search")
            expect(tab.page.locator("#count")).to_contain_text("tasks")
        assert inbox_rows(alice) == api_inbox(mock, "alice") and LOAN in inbox_rows(alice)
        assert inbox_rows(bob) == api_inbox(mock, "bob") and LOAN not in inbox_rows(bob)
        assert "invoice-approval-1002" in inbox_rows(bob) and "invoice-approval-1002" not in inbox_rows(alice)
        expect(alice.page.locator("#count")).to_contain_text(f"of {len(api_inbox(mock, 'alice'))} tasks")
        alice.page.reload()  # each tab keeps its identity
        alice.rendered("#/inbox")
        assert alice.page.input_value("#identity") == "alice-key"
    finally:
        for made in contexts:
            made.close()


def test_a_schema_error_is_shown_at_its_field_and_nothing_is_sent(context: Any, mock: Mock) -> None:
    assert mock.api("alice", "POST", f"/human/tasks/{LOAN}/claim")[0] == 200
    tab = open_tab(context, mock, "alice-key")
    tab.open(f"#/task/{LOAN}")
    before, seq = mock.task(LOAN), mock.last_seq()
    page = tab.page
    page.get_by_label("Amount approved", exact=True).fill("-5")
    page.get_by_label("Comment", exact=True).fill("x" * 501)
    tab.requests.clear()
    page.click("#complete")
    amount = page.get_by_label("Amount approved", exact=True)
    expect(amount).to_have_attribute("aria-invalid", "true")
    error_id = (amount.get_attribute("aria-describedby") or "").split()[-1]
    expect(page.locator(f"#{error_id}")).to_have_text("Amount approved must be at least 0")
    comment_error = (page.get_by_label("Comment", exact=True).get_attribute("aria-describedby") or "").split()[-1]
    expect(page.locator(f"#{comment_error}")).to_have_text("Comment must have at most 500 characters")
    expect(page.locator("#action-error")).to_contain_text("The form has 2 errors; nothing was sent.")
    expect(amount).to_be_focused()
    page.click("#save")
    assert not [r for r in tab.requests if "/update" in r]
    assert mock.task(LOAN) == before and mock.last_seq() == seq


def test_a_claim_made_through_the_api_shows_in_the_journal_within_a_second(context: Any, mock: Mock) -> None:
    tab = open_tab(context, mock, "alice-key")
    tab.page.fill("#f-text", "typed, not searched yet")
    assert mock.api("alice", "POST", f"/human/tasks/{LOAN}/claim")[0] == 200
    entry = tab.page.locator(f'#journal li[data-task="{LOAN}"]').first
    expect(entry).to_contain_text("CLAIM", timeout=1000)
    expect(entry).to_contain_text("ASSIGNED → IN_PROGRESS by alice@example.com", timeout=1000)
    expect(tab.page.locator(f'tr[data-task="{LOAN}"] .state')).to_have_text("IN_PROGRESS")  # the list follows
    expect(tab.page.locator("#f-text")).to_have_value("typed, not searched yet")  # and keeps what is typed


def tab_to(page: Any, selector: str, limit: int = 120) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_only_claim_and_complete(context: Any, mock: Mock) -> None:
    tab = open_tab(context, mock)
    page = tab.page
    tab_to(page, "#identity")
    page.keyboard.type("Alice")  # the select's type-ahead
    page.wait_for_selector('main[data-as="alice-key"][data-view="#/inbox"]')
    tab_to(page, f'a[href="#/task/{LOAN}"]')
    page.keyboard.press("Enter")
    tab.rendered(f"#/task/{LOAN}")
    tab_to(page, "#claim")
    page.keyboard.press("Enter")
    expect(page.locator("#task-state")).to_have_text("IN_PROGRESS")
    tab_to(page, 'input[type="checkbox"]')
    page.keyboard.press("Space")
    tab_to(page, 'input[type="number"]')
    page.keyboard.type("100")
    tab_to(page, "#complete")
    page.keyboard.press("Space")
    expect(page.locator("#task-state")).to_have_text("COMPLETED")
    task = mock.task(LOAN)
    assert (task["state"], task["output"]) == ("COMPLETED", {"approved": True, "amountApproved": 100})
    assert tab.errors == []


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)])
def test_no_console_errors_on_any_page_load_and_no_sideways_scrolling(browser: Any, mock: Mock,
                                                                     viewport: tuple[int, int]) -> None:
    made = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    try:
        for key, hash_ in [("alice-key", "#/inbox"), ("admin-key", "#/admin"), ("owner-key", f"#/task/{LOAN}"),
                           ("owner-key", "#/task/contract-signoff-4001"), ("bob-key", "#/task/invoice-approval-1002")]:
            tab = open_tab(made, mock, None, hash_)
            tab.act_as(key)
            tab.page.reload()
            tab.rendered(hash_)
            assert tab.page.locator("#view-error").count() == 0, hash_
            wide = tab.page.evaluate("document.documentElement.scrollWidth")
            assert wide <= viewport[0], f"{hash_} is {wide}px wide at {viewport}"
            assert tab.errors == [], (hash_, tab.errors)
            tab.page.close()
    finally:
        made.close()


def test_the_clock_advances_and_lists_the_fired_timers(context: Any, mock: Mock) -> None:
    tab = open_tab(context, mock, "alice-key")
    page = tab.page
    page.fill("#clock-advance", "PT45M")
    page.click("#clock-form button")
    expect(page.locator("#fired li").first).to_contain_text("invoice-approval-1001: SLA_EXPIRED → ESCALATED")
    page.fill("#clock-advance", "soon")
    page.click("#clock-form button")
    expect(page.locator("#clock-error")).to_contain_text("ISO")
    expect(page.locator("#clock-advance")).to_have_attribute("aria-invalid", "true")


def test_the_servers_validation_errors_show_at_the_fields_they_name(context: Any, mock: Mock) -> None:
    """The server does not validate form data yet: its 400 is played by the browser here, as a later one will."""
    assert mock.api("alice", "POST", f"/human/tasks/{LOAN}/claim")[0] == 200
    tab = open_tab(context, mock, "alice-key")
    tab.open(f"#/task/{LOAN}")
    body = {"status": 400, "message": "Validation failed", "instance": "conductor-mock", "retryable": False,
            "validationErrors": [{"path": "output.amountApproved", "message": "exceeds the loan amount"},
                                 {"path": "output.reviewer", "message": "is required"}]}
    tab.page.route("**/api/human/tasks/*/update*", lambda route: route.fulfill(
        status=400, content_type="application/json", body=json.dumps(body)))
    tab.page.get_by_label("Approve", exact=True).check()
    tab.page.get_by_label("Amount approved", exact=True).fill("999999")
    tab.page.click("#complete")
    amount = tab.page.get_by_label("Amount approved", exact=True)
    expect(amount).to_have_attribute("aria-invalid", "true")
    error_id = (amount.get_attribute("aria-describedby") or "").split()[-1]
    expect(tab.page.locator(f"#{error_id}")).to_have_text("exceeds the loan amount")
    expect(tab.page.locator("#action-error")).to_have_text(
        "400: Validation failed (output.reviewer: is required)")  # no field for it: listed with the message
    assert mock.task(LOAN)["state"] == "IN_PROGRESS"
