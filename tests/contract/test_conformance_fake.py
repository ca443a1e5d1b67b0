"""The conformance runner, in-process against a tiny fake Conductor (tests/contract/fake.py): the shipped
scenarios pass on a faithful server, name the broken rule on a faulty one, and skip (with the reason) what
the configured identities cannot do."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mockserver.contract import conformance, identities
from mockserver.contract.report import Outcome, Report
from mockserver.contract.target import Target
from tests.contract.fake import Faults, create_app

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT / "scenarios" / "conformance"
SCENARIOS = conformance.load_all(conformance.discover(CONFORMANCE))
ALL = identities.load(CONFORMANCE / "identities.mock.yaml")


def run(faults: Faults | None = None, who: identities.Identities = ALL) -> Report:
    lines: list[str] = []
    with TestClient(create_app(faults)) as client:
        target = Target("http://testserver/api", who, http=client, wait_seconds=0.2)
        report = Report()
        report.extend(conformance.run_all(SCENARIOS, target, lines.append))
    assert len(lines) == len(SCENARIOS)  # one progress line per scenario
    return report


def test_every_scenario_passes_on_a_faithful_server() -> None:
    report = run()
    assert report.ok, "\n".join(report.summary())
    assert report.count(Outcome.PASSED) == len(SCENARIOS)


@pytest.mark.parametrize(("faults", "rules"), [
    (Faults(double_claim=True), {"claim_of_claimed_task_refused"}),
    (Faults(forget_claimant=True), {"claim_for_matching_external_user", "claim_for_external_group_trusted"}),
    (Faults(text_errors=True), {"error_body_matches_status", "json_content_type"}),
])
def test_a_faulty_server_fails_naming_the_rule(faults: Faults, rules: set[str]) -> None:
    report = run(faults)
    assert not report.ok
    assert rules <= set(report.failed_rules()), report.failed_rules()


def test_a_single_identity_runs_what_it_can_and_skips_the_rest_with_the_reason() -> None:
    owner_only = identities.single("owner-key", "owner-secret", environ={})
    report = run(who=owner_only)
    assert report.ok, "\n".join(report.summary())
    skipped = {r.name: r.reason for r in report.results if r.outcome is Outcome.SKIPPED}
    assert {"claim-admin", "claim-forbidden", "claim-unassigned", "claim-conductor-user",
            "claim-conductor-group"} <= set(skipped)
    assert "identity 'admin'" in skipped["claim-admin"] and "key options" in skipped["claim-admin"]
    assert report.count(Outcome.PASSED) >= 8


def test_a_failure_reports_the_request_what_was_expected_and_what_came(tmp_path: Path) -> None:
    report = run(Faults(double_claim=True))
    result = next(r for r in report.results if r.name == "claim-in-progress")
    finding = result.findings[0]
    assert finding.rule == "claim_of_claimed_task_refused"
    assert finding.request.startswith("POST http://testserver/api/human/tasks/") and "/externalUser/" in finding.request
    assert finding.expected == "HTTP 400" and finding.got.startswith("200 ")
    assert "later steps not run" in result.reason
