"""The business rules that single replies must obey, as plain functions. The schemathesis checks
(`checks.py`) and the conformance runner (`conformance.py`) both call these, so each rule is written once.

Every function returns the violations it found (empty when the reply obeys the rule). Rule names are the
names users see in the summary and pass to `--select`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

ERROR_BODY = "error_body_matches_status"
JSON_CONTENT_TYPE = "json_content_type"
CLAIM_SETS_CLAIMANT = "claim_sets_in_progress_and_claimant"
SECOND_CLAIM_REFUSED = "second_claim_refused"
COMPLETED_IMMUTABLE = "completed_task_is_immutable"
RELEASE_CLEARS_CLAIMANT = "release_clears_claimant"
SINGLE_WINNER = "concurrent_claims_single_winner"

BUSINESS_CHECKS = (CLAIM_SETS_CLAIMANT, SECOND_CLAIM_REFUSED, COMPLETED_IMMUTABLE, RELEASE_CLEARS_CLAIMANT,
                   ERROR_BODY, JSON_CONTENT_TYPE)


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    expected: str
    got: str

    def message(self) -> str:
        return f"{self.rule}\nexpected: {self.expected}\ngot: {self.got}"


def is_json_media(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def short(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def json_reply(status: int, content_type: str, text: str) -> list[Violation]:
    """A reply with a JSON body says `Content-Type: application/json` (the JS SDK needs it to parse)."""
    if not text.strip() or is_json_media(content_type):
        return []
    return [Violation(JSON_CONTENT_TYPE, "Content-Type: application/json on a JSON reply",
                      f"HTTP {status} with Content-Type {content_type or '(none)'!r}: {short(text, 120)}")]


def error_reply(status: int, content_type: str, text: str) -> list[Violation]:
    """Every 4xx/5xx carries the Orkes error body, JSON, with `status` equal to the HTTP status and a
    non-empty `message`."""
    if status < 400:
        return []
    found = []
    if not is_json_media(content_type):
        found.append(Violation(JSON_CONTENT_TYPE, "Content-Type: application/json on an error reply",
                               f"HTTP {status} with Content-Type {content_type or '(none)'!r}"))
    try:
        body = json.loads(text) if text.strip() else None
    except ValueError:
        body = None
        found.append(Violation(ERROR_BODY, f"an ErrorResponse JSON body with status {status}",
                               f"HTTP {status}, body is not JSON: {short(text, 120)!r}"))
        return found
    expected = f'{{"status": {status}, "message": "<non-empty text>", ...}}'
    if not isinstance(body, dict):
        shown = short(body) if text.strip() else "(empty)"
        found.append(Violation(ERROR_BODY, expected, f"HTTP {status}, body {shown}"))
        return found
    problems = []
    if body.get("status") != status or isinstance(body.get("status"), bool):
        problems.append(f"status {body.get('status')!r}")
    if not isinstance(body.get("message"), str) or not body["message"].strip():
        problems.append(f"message {body.get('message')!r}")
    if problems:
        found.append(Violation(ERROR_BODY, expected, f"HTTP {status} with {', '.join(problems)}: {short(body)}"))
    return found


def claimed(entry: Any, claimant: dict[str, str]) -> list[Violation]:
    """After a 2xx claim the task is IN_PROGRESS and claimed by `claimant` (`{user, userType}`; a missing
    `user` accepts any user of that type)."""
    if not isinstance(entry, dict):
        return [Violation(CLAIM_SETS_CLAIMANT, "a HumanTaskEntry", short(entry))]
    got_claimant = entry.get("claimant")
    if entry.get("state") == "IN_PROGRESS" and _same_user(got_claimant, claimant):
        return []
    want = f"claimant {claimant['userType']}:{claimant.get('user', '<caller>')}"
    return [Violation(CLAIM_SETS_CLAIMANT, f"state IN_PROGRESS and {want}",
                      f"state {entry.get('state')!r}, claimant {short(got_claimant)}")]


def released(entry: Any) -> list[Violation]:
    """After a 2xx release the task is back to ASSIGNED with no claimant."""
    if isinstance(entry, dict) and entry.get("state") == "ASSIGNED" and not entry.get("claimant"):
        return []
    state = entry.get("state") if isinstance(entry, dict) else None
    claimant = entry.get("claimant") if isinstance(entry, dict) else None
    return [Violation(RELEASE_CLEARS_CLAIMANT, "state ASSIGNED and no claimant",
                      f"state {state!r}, claimant {short(claimant)}")]


def _same_user(got: Any, want: dict[str, str]) -> bool:
    if not isinstance(got, dict) or not got.get("user") or got.get("userType") != want["userType"]:
        return False
    return "user" not in want or got.get("user") == want["user"]
