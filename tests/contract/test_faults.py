"""The kit catches faults: `verify` against deliberately broken copies of the mock (tests/contract/broken.py,
launched live) fails, and names the broken rule, in every part that can see it."""

from __future__ import annotations

import pytest

from mockserver.contract import runner
from mockserver.contract.identities import Identities
from mockserver.contract.launcher import running_mock
from mockserver.contract.report import Report
from tests.contract.conftest import DEFAULT_SCENARIO, ROOT, broken_command

# variant -> the rules `verify` must report broken, and what it runs to see them. The schemathesis checks of
# the claim rules are shown failing one by one in test_checks.py; here schemathesis runs (without its
# seconds-long coverage phase) for the faults every reply shows.
CASES: dict[str, tuple[set[str], list[str], list[str]]] = {
    "two_winners": ({"claim_of_claimed_task_refused", "concurrent_claims_single_winner"},
                    ["conformance", "race"], []),
    "forget_claimant": ({"claim_for_matching_external_user", "claim_for_external_group_trusted",
                         "concurrent_claims_single_winner"}, ["conformance", "race"], []),
    "release_keeps_claim": ({"release_by_owner"}, ["release"], []),
    "completed_mutable": ({"completed_task_update_refused"}, ["completed-immutable"], []),
    "no_json_content_type": ({"json_content_type"}, ["schemathesis", "unknown-task"], ["examples", "fuzzing"]),
    "error_status_mismatch": ({"error_body_matches_status"}, ["unknown-task", "claim-in-progress", "race"], []),
    "error_without_message": ({"error_body_matches_status"}, ["schemathesis", "claim-forbidden"],
                              ["examples", "fuzzing"]),
}


def verify_broken(variant: str, identities: Identities) -> tuple[Report, list[str]]:
    _, select, phases = CASES[variant]
    lines: list[str] = []
    with running_mock(DEFAULT_SCENARIO, command=broken_command(variant), cwd=ROOT) as server:
        options = runner.VerifyOptions(server.base_url, identities, seed=3, max_examples=3, select=select,
                                       phases=phases, wait_seconds=1.0)
        return runner.verify(options, lines.append), lines


@pytest.mark.live
@pytest.mark.parametrize("variant", list(CASES))
def test_verify_fails_on_a_broken_server_naming_the_rule(variant: str, mock_identities: Identities) -> None:
    report, lines = verify_broken(variant, mock_identities)
    summary = "\n".join(report.summary())
    assert not report.ok, summary
    rules = CASES[variant][0]
    missing = rules - set(report.failed_rules())
    assert not missing, f"{variant}: rules not reported: {missing}\n{summary}"
    for rule in rules:
        assert f"rule:     {rule}" in summary
    assert "request:  " in summary and "expected: " in summary and "got:      " in summary
    assert any(line.startswith("[") and "FAILED" in line for line in lines)  # progress showed it as it ran
