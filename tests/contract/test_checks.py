"""Each business check, as schemathesis runs it: it passes on the mock and fails, saying what it expected and
what it got, on a copy of the mock broken in exactly that rule (tests/contract/broken.py).

The requests are schemathesis `Case`s of openapi.yaml's operations, sent to a fresh task the kit starts
through the public API, and validated with `case.call_and_validate(checks=[the check])`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mockserver import resources
from mockserver.contract import checks
from mockserver.contract.identities import Identities
from mockserver.contract.launcher import MockProcess, running_mock
from mockserver.contract.provision import HumanTaskSpec, build
from mockserver.contract.sessions import Session
from tests.contract.conftest import DEFAULT_SCENARIO, ROOT, broken_command

Check = Callable[..., Any]
CROWD = HumanTaskSpec(assignments=[{"user": "crowd", "userType": "EXTERNAL_GROUP"}])


class Api:
    """A server seen through schemathesis: the spec's operations as `Case`s, sent with the owner's token."""

    def __init__(self, server: MockProcess, identities: Identities) -> None:
        import httpx
        import schemathesis
        from schemathesis.config import SchemathesisConfig

        config = SchemathesisConfig.from_dict({"base-url": server.base_url})
        self.schema = checks.enable_for(schemathesis.openapi.from_path(resources.openapi_path(), config=config))
        self.http = httpx.Client(timeout=30.0)
        self.owner = Session(server.base_url, identities.owner, self.http)
        self.headers = self.owner.headers()

    def fresh_task(self, spec: HumanTaskSpec = CROWD) -> str:
        import secrets

        return build(self.owner, f"check_{secrets.token_hex(3)}", spec, form=None, input={}).task_id

    def check(self, check: Check, method: str, path: str, *, query: dict[str, Any] | None = None,
              body: Any = None, **path_parameters: str) -> None:
        operation = self.schema[path][method]
        kwargs: dict[str, Any] = {"path_parameters": path_parameters, "headers": dict(self.headers),
                                  "query": query or {}}
        if body is not None:
            kwargs["body"] = body
        operation.Case(**kwargs).call_and_validate(checks=[check])


CLAIM = ("POST", "/human/tasks/{taskId}/externalUser/{userId}")


def claim_check(api: Api, check: Check) -> None:
    api.check(check, *CLAIM, taskId=api.fresh_task(), userId="someone@partner.example")


def release_check(api: Api, check: Check) -> None:
    task = api.fresh_task()
    assert api.owner.post(f"/human/tasks/{task}/externalUser/someone").status_code == 200
    api.check(check, "POST", "/human/tasks/{taskId}/release", taskId=task)


def complete_check(api: Api, check: Check) -> None:
    task = api.fresh_task()
    assert api.owner.post(f"/human/tasks/{task}/externalUser/someone").status_code == 200
    api.check(check, "POST", "/human/tasks/{taskId}/update", query={"complete": "true"}, body={"approved": True},
              taskId=task)


def error_check(api: Api, check: Check) -> None:
    api.check(check, "GET", "/human/tasks/{taskId}", taskId="no-such-task")


CASES: dict[str, tuple[Check, Callable[[Api, Check], None], str]] = {
    # check -> (how to exercise it, the variant of the mock that breaks it)
    "claim_sets_in_progress_and_claimant": (checks.claim_sets_in_progress_and_claimant, claim_check, "forget_claimant"),
    "second_claim_refused": (checks.second_claim_refused, claim_check, "two_winners"),
    "release_clears_claimant": (checks.release_clears_claimant, release_check, "release_keeps_claim"),
    "completed_task_is_immutable": (checks.completed_task_is_immutable, complete_check, "completed_mutable"),
    "error_body_matches_status": (checks.error_body_matches_status, error_check, "error_status_mismatch"),
    "json_content_type": (checks.json_content_type, error_check, "no_json_content_type"),
}


@pytest.fixture(scope="module")
def good_api(live_mock: MockProcess, mock_identities: Identities) -> Iterator[Api]:
    api = Api(live_mock, mock_identities)
    yield api
    api.http.close()


@pytest.mark.live
@pytest.mark.parametrize("name", list(CASES))
def test_a_check_passes_on_the_mock(name: str, good_api: Api) -> None:
    check, exercise, _ = CASES[name]
    exercise(good_api, check)


@pytest.mark.live
@pytest.mark.parametrize("name", list(CASES))
def test_a_check_fails_on_a_mock_broken_in_its_rule(name: str, mock_identities: Identities) -> None:
    check, exercise, variant = CASES[name]
    with running_mock(DEFAULT_SCENARIO, command=broken_command(variant), cwd=ROOT) as server:
        api = Api(server, mock_identities)
        try:
            with pytest.raises(BaseException) as failed:
                exercise(api, check)
        finally:
            api.http.close()
    text = _text(failed.value)
    assert f"`{name}`" in text and "expected: " in text and "got: " in text, text


def _text(error: BaseException) -> str:
    parts = [str(error)]
    for inner in getattr(error, "exceptions", ()):
        parts.append(_text(inner))
    return "\n".join(parts)


def test_the_checks_leave_other_schemas_alone() -> None:
    """Registered checks run in every schemathesis run of the process: unmarked schemas are not checked."""
    import schemathesis

    schema = schemathesis.openapi.from_path(resources.openapi_path())
    case = schema["/human/tasks/{taskId}/externalUser/{userId}"]["POST"].Case(path_parameters={"taskId": "t",
                                                                                             "userId": "u"})
    assert checks._operation_id(case) is None
    assert checks._operation_id(checks.enable_for(schema)["/human/tasks/{taskId}"]["GET"].Case(
        path_parameters={"taskId": "t"})) == "getTask"
