"""`conductor-mock verify` against the real mock: everything passes (the headline of issue 4), the output is
something a person can follow, seeds reproduce a run, and usage problems exit with 2."""

from __future__ import annotations

import io
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mockserver.contract import command as cli
from mockserver.contract import control, runner
from mockserver.contract import identities as ids
from mockserver.contract.identities import Identities, from_scenario
from mockserver.contract.launcher import MockProcess, running_mock
from mockserver.contract.report import Outcome
from tests.contract.conftest import MOCK_IDENTITIES, ROOT


@pytest.mark.live
@pytest.mark.contract_headline
def test_verify_passes_against_the_mock(fresh_mock: MockProcess, tmp_path: Path) -> None:
    """Issue 4, item 4: every part (schemathesis, every conformance scenario, the race) passes on the mock."""
    junit = tmp_path / "verify.xml"
    command = [sys.executable, "-m", "mockserver", "verify", "--base-url", fresh_mock.base_url,
               "--identities", str(MOCK_IDENTITIES), "--seed", "4", "--max-examples", "5", "--junit-xml", str(junit)]
    work = tmp_path / "work"  # a folder of the user's: verify leaves nothing in it (no .hypothesis/)
    work.mkdir()
    done = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert list(work.iterdir()) == []
    for progress in ("[schemathesis] phase stateful: success", "[conformance] claim-in-progress", "PASSED",
                     "[race] 1 × 200, 31 × 400: PASS"):
        assert progress in output, output
    assert "\nPASS: " in output and "skipped" not in output.rsplit("=" * 100, 1)[-1]
    suites = {s.get("name"): s for s in ET.parse(junit).getroot().iter("testsuite")}
    assert set(suites) == {"schemathesis", "conformance", "race"}
    assert all(s.get("failures") == "0" and s.get("errors") == "0" for s in suites.values())
    assert int(suites["conformance"].get("tests", "0")) >= 15


@pytest.mark.live
def test_a_seed_reproduces_the_schemathesis_run(mock_options: tuple[str, ...]) -> None:
    """Each phase prints a digest of the requests it sent: the same seed and run id send the same requests
    again. (What schemathesis learns from replies, such as ids and time stamps, follows the server; this
    world's clock stands still, so its replies are the same every time.)"""
    scenario = Path(__file__).parent / "fixtures" / "still_clock.yaml"
    with running_mock(scenario, extra_args=mock_options, cwd=ROOT) as mock:
        who = from_scenario(scenario)

        def digests(seed: int) -> list[str]:
            control.reset(mock.root_url)
            lines: list[str] = []
            options = runner.VerifyOptions(mock.base_url, who, seed=seed, max_examples=3, select=["schemathesis"],
                                           phases=["examples", "fuzzing"], run_id="rseed")
            report = runner.verify(options, lines.append)
            assert report.ok, "\n".join(report.summary())
            return [line.split(", requests ")[1].split(",")[0] for line in lines if "requests #" in line]

        first = digests(11)
        assert len(first) == 2 and first == digests(11)
        assert digests(12)[1] != first[1]


def run_cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    status = cli.run(cli.parser().parse_args(list(args)), out)
    return status, out.getvalue()


def test_usage_problems_exit_with_2_and_say_what_is_wrong(tmp_path: Path) -> None:
    bad = tmp_path / "ids.yaml"
    bad.write_text("identities:\n  app: {role: ownr, keyId: k, keySecret: s}\n")
    status, output = run_cli("--base-url", "http://127.0.0.1:9/api", "--identities", str(bad))
    assert status == cli.EXIT_USAGE and "'ownr' is not a role. Did you mean 'owner'?" in output
    status, output = run_cli("--base-url", "http://127.0.0.1:9/api", "--key-id", "k", "--key-secret", "s")
    assert status == cli.EXIT_USAGE and "cannot reach http://127.0.0.1:9/api" in output


@pytest.mark.live
def test_an_unknown_selection_exits_with_2(fresh_mock: MockProcess) -> None:
    status, output = run_cli("--base-url", fresh_mock.base_url, "--identities", str(MOCK_IDENTITIES),
                             "--select", "claim-in-progres")
    assert status == cli.EXIT_USAGE and "Did you mean 'claim-in-progress'?" in output


@pytest.mark.live
def test_one_key_runs_what_one_identity_can_and_says_why_the_rest_is_skipped(fresh_mock: MockProcess) -> None:
    status, output = run_cli("--base-url", fresh_mock.root_url, "--key-id", "owner-key", "--key-secret", "owner-secret",
                             "--select", "conformance,race")
    assert status == cli.EXIT_OK, output
    assert "SKIPPED conformance/claim-admin: needs identity 'admin', which key options does not configure" in output
    assert f"conductor-mock verify: {fresh_mock.base_url}" in output  # `/api` added to a bare server URL


@pytest.mark.live
def test_results_name_every_part(fresh_mock: MockProcess, mock_identities: Identities) -> None:
    lines: list[str] = []
    report = runner.verify(runner.VerifyOptions(fresh_mock.base_url, mock_identities, select=["race", "release"]),
                           lines.append)
    assert [(r.part, r.name, r.outcome) for r in report.results] == [
        ("conformance", "release", Outcome.PASSED), ("race", "concurrent-claims", Outcome.PASSED)]


@pytest.mark.live
def test_no_credentials_for_a_server_that_wants_them_is_said_at_once(fresh_mock: MockProcess,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONDUCTOR_AUTH_KEY", raising=False)
    monkeypatch.delenv("CONDUCTOR_AUTH_SECRET", raising=False)
    monkeypatch.setattr(ids, "mock_identities", lambda base_url: None)  # as a real server: no default keys to use
    status, output = run_cli("--base-url", fresh_mock.base_url)
    assert status == cli.EXIT_USAGE
    assert "wants credentials" in output and "identities.mock.yaml" in output


@pytest.mark.live
def test_no_credentials_against_the_mock_uses_its_default_scenario_keys(fresh_mock: MockProcess,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`conductor-mock verify --base-url http://127.0.0.1:8080/api` against `make serve` needs no options."""
    monkeypatch.delenv("CONDUCTOR_AUTH_KEY", raising=False)
    monkeypatch.delenv("CONDUCTOR_AUTH_SECRET", raising=False)
    status, output = run_cli("--base-url", fresh_mock.base_url, "--select", "race,claim-in-progress")
    assert status == cli.EXIT_OK, output
    assert "is a conductor-mock: using the identities of its default scenario" in output
    assert "[race] 1 × 200, 31 × 400: PASS" in output
