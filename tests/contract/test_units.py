"""The kit's pure parts: matchers, single-reply rules, identities files, the scenario format, selection,
and the report (summary and JUnit XML)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from mockserver.contract import conformance, identities, matchers, rules, runner
from mockserver.contract.report import Finding, Outcome, Report, Result

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT / "scenarios" / "conformance"
SHIPPED = conformance.discover(CONFORMANCE)


# -- matchers --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("expected", "actual"), [
    ({"state": "IN_PROGRESS"}, {"state": "IN_PROGRESS", "other": 1}),
    ({"claimant": {"$absent": True}}, {"state": "ASSIGNED"}),
    ({"claimant": {"$absent": True}}, {"claimant": None}),
    ({"a": {"$present": True}}, {"a": 0}),
    ({"n": 1}, {"n": 1.0}),
    ({"m": {"$contains": "claimed"}}, {"m": "Task is already claimed by x"}),
    ({"m": {"$matches": "^Task .* claimed"}}, {"m": "Task t-1 is already claimed"}),
    ({"s": {"$in": ["A", "B"]}}, {"s": "B"}),
    ({"tasks": {"$some": {"taskType": "HUMAN"}}}, {"tasks": [{"taskType": "SIMPLE"}, {"taskType": "HUMAN"}]}),
    ({"tasks": {"$none": {"status": "FAILED"}}}, {"tasks": [{"status": "COMPLETED"}]}),
    ({"o": {"$len": 0}}, {"o": {}}),
    ({"t": {"$type": "integer"}}, {"t": 3}),
    ({"s": {"$not": "x"}}, {"s": "y"}),
    ([1, {"a": 2}], [1, {"a": 2, "b": 3}]),
])
def test_matchers_accept(expected: Any, actual: Any) -> None:
    assert matchers.mismatches(expected, actual) == []


@pytest.mark.parametrize(("expected", "actual", "problem"), [
    ({"state": "IN_PROGRESS"}, {"state": "ASSIGNED"}, 'state: expected "IN_PROGRESS", got "ASSIGNED"'),
    ({"claimant": {"user": "a"}}, {}, "claimant: expected {\"user\": \"a\"}, got nothing (the field is missing)"),
    ({"claimant": {"$absent": True}}, {"claimant": {"user": "a"}}, "claimant: expected no value"),
    ({"t": {"$type": "integer"}}, {"t": True}, "t: expected a value of type integer, got true"),
    ({"b": True}, {"b": 1}, "b: expected true, got 1"),
    ([1, 2], [1], "(body): expected [1, 2], got [1]"),
    ({"tasks": {"$some": {"taskType": "HUMAN"}}}, {"tasks": []}, "tasks: expected a list with an element like"),
])
def test_matchers_explain_what_differs(expected: Any, actual: Any, problem: str) -> None:
    found = matchers.mismatches(expected, actual)
    assert found and found[0].startswith(problem), found


def test_a_malformed_matcher_is_refused_with_its_place() -> None:
    with pytest.raises(matchers.MatcherError, match=r"steps\[0\]\.expect\.body\.state: unknown matcher '\$eq'"):
        matchers.validate({"state": {"$eq": "X"}}, "steps[0].expect.body")


# -- single-reply rules ----------------------------------------------------------------------------------

def test_an_error_reply_must_carry_its_status_and_a_message() -> None:
    good = '{"status": 400, "message": "Task not found for id: x", "instance": "i", "retryable": false}'
    assert rules.error_reply(400, "application/json", good) == []
    wrong = rules.error_reply(404, "application/json", '{"status": 200, "message": "x"}')
    assert [v.rule for v in wrong] == [rules.ERROR_BODY] and "status 200" in wrong[0].got
    silent = rules.error_reply(403, "application/json", '{"status": 403}')
    assert [v.rule for v in silent] == [rules.ERROR_BODY] and "message None" in silent[0].got
    text = rules.error_reply(400, "text/plain", "nope")
    assert {v.rule for v in text} == {rules.ERROR_BODY, rules.JSON_CONTENT_TYPE}
    assert rules.error_reply(200, "text/plain", "ok") == []


def test_a_claim_must_set_in_progress_and_the_claimant() -> None:
    claimant = {"user": "alice", "userType": "EXTERNAL_USER"}
    assert rules.claimed({"state": "IN_PROGRESS", "claimant": claimant}, claimant) == []
    assert rules.claimed({"state": "IN_PROGRESS", "claimant": {"user": "x", "userType": "CONDUCTOR_USER"}},
                         {"userType": "CONDUCTOR_USER"}) == []
    forgotten = rules.claimed({"state": "IN_PROGRESS"}, claimant)
    assert forgotten and forgotten[0].rule == rules.CLAIM_SETS_CLAIMANT
    assert rules.released({"state": "ASSIGNED"}) == []
    assert rules.released({"state": "ASSIGNED", "claimant": claimant})[0].rule == rules.RELEASE_CLEARS_CLAIMANT


# -- identities ------------------------------------------------------------------------------------------

def test_the_shipped_mock_identities_load() -> None:
    who = identities.load(CONFORMANCE / "identities.mock.yaml")
    assert who.owner.id == "owner-app"
    assert who.resolve("other") is not None and who.resolve("admin") is not None
    user, user2 = who.resolve("user"), who.resolve("user2")
    assert user is not None and user.groups == ("reviewers",) and user2 is not None and user2.name == "bob"


def test_identity_values_may_name_environment_variables() -> None:
    data = {"identities": {"app": {"role": "owner", "keyId": "k", "keySecret": "${OWNER_SECRET}"}}}
    assert identities.parse(data, source="f", environ={"OWNER_SECRET": "s3"}).owner.key_secret == "s3"
    with pytest.raises(identities.IdentityError, match=r"f: identities\.app\.keySecret: environment variable"):
        identities.parse(data, source="f", environ={})


@pytest.mark.parametrize(("entry", "message"), [
    ({"role": "ownr", "keyId": "k", "keySecret": "s"}, r"'ownr' is not a role\. Did you mean 'owner'\?"),
    ({"role": "owner", "keyID": "k", "keySecret": "s"}, r"unknown field 'keyID'\. Did you mean 'keyId'\?"),
    ({"role": "owner", "keyId": "k"}, r"give both keyId and keySecret"),
])
def test_a_bad_identity_is_refused_with_its_place(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(identities.IdentityError, match=message):
        identities.parse({"identities": {"app": entry}}, source="ids.yaml", environ={})


def test_key_options_and_the_environment_make_one_owner() -> None:
    who = identities.single(environ={identities.KEY_ENV: "k", identities.SECRET_ENV: "s"})
    assert [(m.role, m.key_id) for m in who.members] == [(identities.Role.OWNER, "k")]
    with pytest.raises(identities.IdentityError, match="both a key id and a key secret"):
        identities.single("k", None, environ={})


def test_identities_are_read_from_a_mock_scenario() -> None:
    who = identities.from_scenario(ROOT / "scenarios" / "default.yaml")
    assert who.owner.id == "owner-app"
    other, admin, user = who.resolve("other"), who.resolve("admin"), who.resolve("user")
    assert other is not None and other.id == "other-app"
    assert admin is not None and admin.id == "admin@example.com"
    assert user is not None and "reviewers" in user.groups


# -- the scenario format ---------------------------------------------------------------------------------

def test_every_shipped_scenario_loads_and_names_its_rules() -> None:
    scenarios = conformance.load_all(SHIPPED)
    assert len(scenarios) >= 15
    assert all(s.description and s.rules for s in scenarios)


@pytest.mark.parametrize(("data", "message"), [
    ({"steps": []}, r"x: steps: expected a non-empty list"),
    ({"steps": [{"rule": "r", "reqest": "GET /a"}]}, r"unknown key 'reqest'\. Did you mean 'request'\?"),
    ({"steps": [{"rule": "Bad-Rule", "request": "GET /a", "expect": {"status": 200}}]}, r"snake_case rule name"),
    ({"steps": [{"rule": "r", "request": "FETCH /a", "expect": {"status": 200}}]}, r"expected 'METHOD /path'"),
    ({"steps": [{"rule": "r", "request": "GET /a"}]}, r"must say which status it expects"),
    ({"steps": [{"rule": "r", "request": "GET /a", "expect": {"status": 200, "body": {"a": {"$eq": 1}}}}]},
     r"unknown matcher '\$eq'"),
])
def test_a_malformed_scenario_is_refused_with_its_place(data: dict[str, Any], message: str) -> None:
    with pytest.raises(conformance.ScenarioFormatError, match=message):
        conformance.parse(data, name="x")


def test_a_scenario_knows_which_identities_it_needs() -> None:
    scenario = conformance.load(CONFORMANCE / "claim-conductor-group.yaml")
    assert {"owner", "user", "user.group", "user.id"} <= set(scenario.requirements())


def test_a_missing_identity_is_named_once_in_a_skip_reason() -> None:
    from mockserver.contract.target import Target

    scenario = conformance.load(CONFORMANCE / "claim-conductor-group.yaml")
    target = Target("http://127.0.0.1:9/api", identities.single("k", "s"))
    try:
        missing = conformance.missing_requirements(scenario, target)
    finally:
        target.close()
    assert missing == ["identity 'user'"]


def test_the_never_applied_note_names_what_did_not_succeed() -> None:
    from mockserver.contract import fuzz

    lines: list[str] = []
    collector = fuzz._Collector(lines.append)
    collector._applied.update({rules.CLAIM_SETS_CLAIMANT: 4, rules.SECOND_CLAIM_REFUSED: 4})
    collector.applied_summary()
    assert lines[-1] == (f"[schemathesis] note: never applied during this run: {rules.COMPLETED_IMMUTABLE} "
                         f"(no completion succeeded); {rules.RELEASE_CLEARS_CLAIMANT} (no release succeeded); "
                         "the conformance scenarios check those rules deterministically")


# -- selection -------------------------------------------------------------------------------------------

def test_selection_by_part_scenario_and_rule() -> None:
    scenarios = conformance.load_all(SHIPPED)
    assert runner.plan([], scenarios).parts == runner.PARTS
    chosen = runner.plan(["race,release"], scenarios)
    assert chosen.parts == ("conformance", "race") and [s.name for s in chosen.scenarios] == ["release"]
    by_rule = runner.plan(["claim_of_claimed_task_refused"], scenarios)
    assert [s.name for s in by_rule.scenarios] == ["claim-in-progress"]
    checks = runner.plan(["second_claim_refused"], scenarios)
    assert checks.parts == ("schemathesis",) and checks.checks == ("second_claim_refused",)
    with pytest.raises(runner.SelectionError, match="Did you mean 'conformance'"):
        runner.plan(["conformanse"], scenarios)


# -- the report ------------------------------------------------------------------------------------------

def test_the_summary_and_junit_name_rule_request_expected_and_got(tmp_path: Path) -> None:
    report = Report()
    ok = report.add(Result("race", "concurrent-claims"))
    bad = report.add(Result("conformance", "release"))
    bad.fail(Finding("release_by_owner", "POST http://x/api/human/tasks/t/release", "HTTP 200", "400 {...}"))
    report.add(Result("conformance", "claim-admin", Outcome.SKIPPED, reason="needs identity 'admin'"))
    assert not report.ok and ok.outcome is Outcome.PASSED
    text = "\n".join(report.summary())
    for part in ("FAILED conformance/release", "rule:     release_by_owner",
                 "request:  POST http://x/api/human/tasks/t/release", "expected: HTTP 200", "got:      400 {...}",
                 "SKIPPED conformance/claim-admin: needs identity 'admin'", "FAIL: 1 passed, 1 failed, 1 skipped",
                 "broken rules: release_by_owner"):
        assert part in text
    report.write_junit(tmp_path / "out.xml")
    root = ET.parse(tmp_path / "out.xml").getroot()
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert set(cases) == {"concurrent-claims", "release", "claim-admin"}
    failure = cases["release"].find("failure")
    assert failure is not None and failure.get("message") == "broken rules: release_by_owner"
    assert cases["claim-admin"].find("skipped") is not None


# -- sessions --------------------------------------------------------------------------------------------

def test_a_session_gets_a_new_token_and_retries_once_when_its_token_expired() -> None:
    import httpx

    from mockserver.contract.sessions import Session

    issued: list[str] = []
    seen: list[str | None] = []

    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/token":
            issued.append(f"t{len(issued) + 1}")
            return httpx.Response(200, json={"token": issued[-1]})
        seen.append(request.headers.get("x-authorization"))
        if request.headers.get("x-authorization") == "t1":
            return httpx.Response(401, json={"status": 401, "message": "expired", "error": "EXPIRED_TOKEN"})
        return httpx.Response(200, json={"ok": True})

    who = identities.single("k", "s", environ={})
    with httpx.Client(transport=httpx.MockTransport(server)) as http:
        reply = Session("http://server/api", who.owner, http).get("/human/tasks/t-1")
    assert reply.status_code == 200 and issued == ["t1", "t2"] and seen == ["t1", "t2"]


def test_a_server_in_open_mode_gets_no_token_header() -> None:
    import httpx

    from mockserver.contract.sessions import Session

    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/token":
            return httpx.Response(404, json={"status": 404, "message": "open mode"})
        assert "x-authorization" not in request.headers
        return httpx.Response(200, json={})

    with httpx.Client(transport=httpx.MockTransport(server)) as http:
        session = Session("http://server/api", identities.single("k", "s", environ={}).owner, http)
        assert session.get("/human/tasks/t-1").status_code == 200 and session.token() is None
