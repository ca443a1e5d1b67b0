"""The user form in a real browser: the JSON Forms layouts and controls of a richer template than the default
scenario's, its client-side validation, and what Save sends."""

from __future__ import annotations

import http.client
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.control.ui.conftest import Mock, open_tab

pytestmark = [pytest.mark.browser, pytest.mark.live]
RICH = """
name: rich-form
applications:
  - id: owner-app
    keys: [{keyId: owner-key, keySecret: owner-secret}]
templates:
  - name: rich_form
    version: 1
    ownerApp: owner-app
    jsonSchema:
      type: object
      properties:
        decision: {type: string, title: Decision, enum: [approve, reject, escalate]}
        reference: {type: string, title: Reference, pattern: "^[A-Z]{3}-[0-9]+$", minLength: 5}
        dueOn: {type: string, title: Due on, format: date}
        copies: {type: integer, title: Copies, minimum: 1, maximum: 3}
        contact:
          type: object
          properties:
            email: {type: string, title: E-mail}
      required: [decision, reference]
    templateUI:
      type: VerticalLayout
      elements:
        - type: HorizontalLayout
          elements:
            - {type: Control, scope: "#/properties/decision"}
            - {type: Control, scope: "#/properties/reference", label: Case reference}
        - type: Group
          label: Follow-up
          elements:
            - {type: Control, scope: "#/properties/dueOn"}
            - {type: Control, scope: "#/properties/copies"}
            - {type: Control, scope: "#/properties/contact/properties/email"}
tasks:
  - taskId: rich-1
    state: ASSIGNED
    ownerApp: owner-app
    displayName: A rich form
    definitionName: rich
    humanTaskDef:
      userFormTemplate: {name: rich_form, version: 1}
    input: {case: 1}
"""


def test_layouts_controls_validation_and_save(context: Any, mock: Mock) -> None:
    assert merge(mock, RICH) == 200
    assert mock.api("owner", "POST", "/human/tasks/rich-1/claim")[0] == 200
    tab = open_tab(context, mock, "owner-key")
    tab.open("#/task/rich-1")
    page = tab.page
    form = page.locator("#form")
    expect(form.locator(".horizontal select")).to_have_count(1)
    expect(form.locator("fieldset legend")).to_have_text("Follow-up")
    expect(page.get_by_label("Due on")).to_have_attribute("type", "date")
    expect(page.get_by_label("Copies")).to_have_attribute("step", "1")
    page.get_by_label("Case reference").fill("abc")
    page.get_by_label("Copies").fill("2.5")
    page.click("#save")

    def error_of(label: str) -> Any:
        described = page.get_by_label(label, exact=True).get_attribute("aria-describedby") or ""
        return page.locator(f"#{described.split()[-1]}")

    expect(error_of("Decision")).to_have_text("Decision is required")
    expect(error_of("Case reference")).to_have_text(
        "Case reference must have at least 5 characters; Case reference must match the pattern ^[A-Z]{3}-[0-9]+$")
    expect(error_of("Copies")).to_have_text("Copies must be a whole number")
    assert mock.task("rich-1")["output"] == {}
    page.get_by_label("Decision").select_option(label="escalate")
    page.get_by_label("Case reference").fill("ABC-42")
    page.get_by_label("Copies").fill("3")
    page.get_by_label("Due on").fill("2026-02-28")
    page.get_by_label("E-mail").fill("a@b.example")
    page.click("#save")
    expect(page.locator("#status")).to_have_text("Saved rich-1")
    task = mock.task("rich-1")
    assert task["state"] == "IN_PROGRESS"
    assert task["output"] == {"decision": "escalate", "reference": "ABC-42", "dueOn": "2026-02-28", "copies": 3,
                              "contact": {"email": "a@b.example"}}
    assert tab.errors == []


def merge(mock: Mock, text: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", mock.process.port, timeout=10)
    try:
        connection.request("POST", "/_mock/scenario?source=rich.yaml", body=text.encode(),
                           headers={"Content-Type": "application/yaml"})
        reply = connection.getresponse()
        reply.read()
        return reply.status
    finally:
        connection.close()
