"""The business rules as schemathesis checks. Importing this module registers them.

Each check is a plain `(ctx, response, case)` function that returns `SKIP` at once when it does not apply,
`PASSED` when the response obeys the rule, and otherwise raises `AssertionError` whose message holds
`expected:` and `got:` lines. The rules themselves live in
`rules.py`; the checks that span calls (a second claim, reads after a change) make their follow-up requests
with the credentials of the request under check.

Registering a check makes schemathesis run it in every run of the process, so they apply only to schemas the
kit marked with `enable_for(schema)`: other schemathesis runs in the same process (another API, or the mock's
own in-process self-contract test) are left alone.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import schemathesis
from schemathesis import APIOperation, Case, CheckContext, Response

from mockserver.contract import rules
from mockserver.contract.sessions import segment

CLAIMS = frozenset({"assignAndClaim", "claimTask"})
FOLLOW_UP_TIMEOUT = 30.0
CONTRACT_TITLE = "Orkes Conductor human-task API"
KIT_MARK = "conductor_contract_kit"
AnyCase = Case[APIOperation[Any, Any, Any, Any]]
# What a check returns: schemathesis records a check that returns a truthy value as skipped (not applicable
# to this response), and one that returns None without raising as passed.
SKIP = True
PASSED = None


def enable_for(schema: Any) -> Any:
    """Let the business checks apply to `schema`'s operations (a schema of this contract); returns it."""
    setattr(schema, KIT_MARK, True)
    return schema


def _operation_id(case: AnyCase) -> str | None:
    """The operationId, for an operation of a schema the kit enabled (None for any other)."""
    if not getattr(case.operation.schema, KIT_MARK, False):
        return None
    info = case.operation.schema.raw_schema.get("info") or {}
    if not str(info.get("title", "")).startswith(CONTRACT_TITLE):
        return None
    raw = case.operation.definition.raw
    return raw.get("operationId") if isinstance(raw, dict) else None


def _succeeded(response: Response) -> bool:
    return 200 <= response.status_code < 300


def _header(response: Response, name: str) -> str:
    for key, values in response.headers.items():
        if key.lower() == name and values:
            return str(values[0])
    return ""


def _body(response: Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _fail(violations: list[rules.Violation], context: str = "") -> None:
    if violations:
        first = violations[0]
        prefix = f"{context}\n" if context else ""
        raise AssertionError(f"{prefix}expected: {first.expected}\ngot: {first.got}")


class _FollowUp:
    """Requests made by a check, as the caller of the request under check."""

    def __init__(self, case: AnyCase, response: Response) -> None:
        self.base = case.operation.schema.get_base_url().rstrip("/")
        token = response.request.headers.get("X-Authorization")
        self.headers = {"X-Authorization": str(token)} if token else {}
        self.task_id = str((case.path_parameters or {}).get("taskId", ""))
        self.task_path = f"/human/tasks/{segment(self.task_id)}"

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        with httpx.Client(timeout=FOLLOW_UP_TIMEOUT) as http:
            return http.request(method, self.base + path, headers=self.headers, **kwargs)

    def task(self) -> tuple[httpx.Response, Any]:
        reply = self.call("GET", self.task_path)
        try:
            return reply, reply.json()
        except ValueError:
            return reply, None


def _flag(value: Any) -> bool:
    return str(value).strip().lower() == "true"


@schemathesis.check
def claim_sets_in_progress_and_claimant(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """A 2xx claim answers, and leaves, the task IN_PROGRESS with the claimant the operation promises."""
    operation = _operation_id(case)
    if operation not in CLAIMS or not _succeeded(response):
        return SKIP
    if operation == "assignAndClaim":
        # the user id as the server received it: the last path segment of the request, decoded
        path = urlsplit(str(response.request.url)).path
        claimant = {"user": unquote(path.rsplit("/externalUser/", 1)[-1]), "userType": "EXTERNAL_USER"}
    else:
        claimant = {"userType": "CONDUCTOR_USER"}
    _fail(rules.claimed(_body(response), claimant), "the claim's reply")
    reply, entry = _FollowUp(case, response).task()
    if reply.status_code == 200:
        _fail(rules.claimed(entry, claimant), f"GET {reply.request.url} after the claim")
    return PASSED


@schemathesis.check
def second_claim_refused(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """Once claimed, a task cannot be claimed again, not even with overrideAssignment=true: 400."""
    if _operation_id(case) not in CLAIMS or not _succeeded(response):
        return SKIP
    follow = _FollowUp(case, response)
    url = str(response.request.url).split("?", 1)[0]
    again = follow.call("POST", url.removeprefix(follow.base), params={"overrideAssignment": "true"})
    if again.status_code != 400:
        raise AssertionError(f"a second claim, POST {again.request.url}, right after a successful one\n"
                             f"expected: 400 (the task is already IN_PROGRESS)\n"
                             f"got: {again.status_code} {rules.short(again.text, 160)}")
    return PASSED


@schemathesis.check
def release_clears_claimant(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """After a 2xx release the task is ASSIGNED again, with no claimant."""
    if _operation_id(case) != "releaseTask" or not _succeeded(response):
        return SKIP
    reply, entry = _FollowUp(case, response).task()
    if reply.status_code == 200:
        _fail(rules.released(entry), f"GET {reply.request.url} after the release")
    return PASSED


@schemathesis.check
def completed_task_is_immutable(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """After a 2xx complete the task is COMPLETED, and update, claim and release all answer 400 without
    changing it."""
    if _operation_id(case) != "updateTaskOutput" or not _succeeded(response):
        return SKIP
    if not _flag((case.query or {}).get("complete")):
        return SKIP
    follow = _FollowUp(case, response)
    reply, before = follow.task()
    if reply.status_code != 200:
        return SKIP
    if not isinstance(before, dict) or before.get("state") != "COMPLETED":
        state = before.get("state") if isinstance(before, dict) else before
        raise AssertionError(f"GET {reply.request.url} after completing\nexpected: state COMPLETED\n"
                             f"got: state {state!r}")
    attempts = [("POST", f"{follow.task_path}/update", {"complete": "false"}, {"contract_probe": True}),
                ("POST", f"{follow.task_path}/externalUser/contract-probe", {"overrideAssignment": "true"}, None),
                ("POST", f"{follow.task_path}/release", None, None)]
    for method, path, params, body in attempts:
        answer = follow.call(method, path, params=params, json=body)
        if answer.status_code != 400:
            raise AssertionError(f"{method} {answer.request.url} on a COMPLETED task\nexpected: 400\n"
                                 f"got: {answer.status_code} {rules.short(answer.text, 160)}")
    reply, after = follow.task()
    if isinstance(after, dict) and (after.get("state"), after.get("output"), after.get("claimant")) != \
            (before.get("state"), before.get("output"), before.get("claimant")):
        raise AssertionError(f"GET {reply.request.url} after refused changes to a COMPLETED task\n"
                             f"expected: unchanged {rules.short(before.get('output'))}\n"
                             f"got: state {after.get('state')!r}, output {rules.short(after.get('output'))}")
    return PASSED


@schemathesis.check
def error_body_matches_status(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """Every error reply is an ErrorResponse whose `status` equals the HTTP status, with a message."""
    if response.status_code < 400 or _operation_id(case) is None:
        return SKIP
    found = [v for v in rules.error_reply(response.status_code, _header(response, "content-type"), response.text)
             if v.rule == rules.ERROR_BODY]
    _fail(found)
    return PASSED


def _declared_media(case: AnyCase, status: int) -> list[str] | None:
    """The media types the spec declares for `status` of this operation (None when it declares no such reply)."""
    responses = case.operation.definition.raw.get("responses") or {}
    spec = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
    document = case.operation.schema.raw_schema
    while isinstance(spec, dict) and isinstance(spec.get("$ref"), str) and spec["$ref"].startswith("#/"):
        target: Any = document
        for part in spec["$ref"][2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        spec = target
    if not isinstance(spec, dict):
        return None
    return list((spec.get("content") or {}).keys())


@schemathesis.check
def json_content_type(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """A reply whose body the spec declares as JSON (and every error reply) says
    `Content-Type: application/json`. Replies declared `text/plain` (workflow ids) are left alone."""
    if not response.content or _operation_id(case) is None:
        return SKIP
    declared = _declared_media(case, response.status_code)
    if declared is None and response.status_code < 400:
        return SKIP
    if declared and not any(rules.is_json_media(media) for media in declared):
        return SKIP
    _fail(rules.json_reply(response.status_code, _header(response, "content-type"), response.text))
    return PASSED
