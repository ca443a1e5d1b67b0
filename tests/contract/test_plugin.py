"""The pytest plugin (entry point `conductor_mock`), tested the schemathesis way: pytester writes a test
project, runs pytest on it, and the outcomes are asserted."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

# Imported here, before any inner run: pytester's in-process runs drop the modules a run imported, and a kit
# module imported afresh next to a stale one would hold a second copy of the same classes.
import mockserver.contract.conformance
import mockserver.contract.report
import mockserver.contract.sessions
import mockserver.contract.target  # noqa: F401
from mockserver.contract.launcher import MockProcess, running_mock
from tests.contract.conftest import DEFAULT_SCENARIO, MOCK_IDENTITIES, ROOT

pytest_plugins = ["pytester"]

CONFORMANCE = ROOT / "scenarios" / "conformance"


@pytest.fixture
def plugin_args(request: pytest.FixtureRequest) -> list[str]:
    """`-p` only when the entry point did not load the plugin already (a venv installed before it existed)."""
    loaded = request.config.pluginmanager.has_plugin("conductor_mock")
    return [] if loaded else ["-p", "mockserver.contract.plugin"]


@pytest.fixture(scope="module")
def outer_mock() -> Iterator[MockProcess]:
    """A mock started outside the inner pytest runs: the "real server" of `--conductor-url`."""
    with running_mock(DEFAULT_SCENARIO, cwd=ROOT) as mock:
        yield mock


def url_args(mock: MockProcess) -> list[str]:
    return ["--conductor-url", mock.base_url, "--conductor-identities", str(MOCK_IDENTITIES)]


def test_importing_the_plugin_costs_nothing() -> None:
    probe = ("import sys, mockserver.contract.plugin as p; "
             "heavy = [m for m in ('schemathesis', 'hypothesis', 'httpx', 'yaml', 'mockserver.domain', "
             "'mockserver.web', 'mockserver.contract.runner') if m in sys.modules]; print(heavy)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_the_options_and_the_marker_are_registered(pytester: pytest.Pytester, plugin_args: list[str]) -> None:
    result = pytester.runpytest(*plugin_args, "--help")
    result.stdout.fnmatch_lines(["*--conductor-url=URL*", "*--conductor-identities=FILE*", "*--conductor-key-id*",
                                 "*--conductor-scenario=FILE*", "*--conductor-conformance*"])
    result = pytester.runpytest(*plugin_args, "--markers")
    result.stdout.fnmatch_lines(["*conductor_scenario(path)*"])


def test_a_session_without_the_fixtures_starts_nothing(pytester: pytest.Pytester, plugin_args: list[str]) -> None:
    # Given a project whose tests never ask for the plugin's fixtures
    pytester.makepyfile("""
        import sys

        def test_plain():
            kit = [m for m in sys.modules if m.startswith("mockserver.contract.")]
            assert kit == ["mockserver.contract.plugin"]
    """)
    # Then its tests run as usual, and the kit itself was never loaded (so no server was started)
    result = pytester.runpytest_subprocess(*plugin_args)
    result.assert_outcomes(passed=1)


@pytest.mark.live
def test_conductor_mock_serves_the_marked_scenario_and_resets_between_tests(
        pytester: pytest.Pytester, plugin_args: list[str]) -> None:
    # Given two tests on the default scenario: the first claims a task, the second expects it unclaimed
    pytester.makepyfile(f"""
        import pytest

        pytestmark = pytest.mark.conductor_scenario({str(DEFAULT_SCENARIO)!r})

        def test_claim(conductor_mock):
            owner = conductor_mock.identities.owner
            assert owner.id == "owner-app"
            from mockserver.contract.sessions import Session, new_http_client
            with new_http_client() as http:
                session = Session(conductor_mock.base_url, owner, http)
                reply = session.post("/human/tasks/invoice-approval-1001/externalUser/alice@example.com")
            assert reply.status_code == 200, reply.text

        def test_reset_before_each_test(conductor_mock, conductor_server):
            assert conductor_server.is_mock and conductor_server.base_url == conductor_mock.base_url
            reply = conductor_server.session("owner").get("/human/tasks/invoice-approval-1001")
            assert reply.json()["state"] == "ASSIGNED", reply.text
    """)
    # When pytest runs them (one mock process for both)
    result = pytester.runpytest(*plugin_args, "-p", "no:randomly")
    # Then both pass: the claim of the first is gone by the second
    result.assert_outcomes(passed=2)


@pytest.mark.live
def test_conductor_url_points_the_same_tests_at_another_server(
        pytester: pytest.Pytester, plugin_args: list[str], outer_mock: MockProcess) -> None:
    # Given a test that only knows `conductor_server`
    pytester.makepyfile("""
        def test_search(conductor_server):
            assert not conductor_server.is_mock
            assert {m.role.value for m in conductor_server.identities.members} >= {"owner", "other", "admin", "user"}
            reply = conductor_server.session("admin").post("/human/tasks/search", json={"searchType": "ADMIN"})
            assert reply.status_code == 200 and reply.json()["totalHits"] > 0
    """)
    # When it runs with --conductor-url
    result = pytester.runpytest(*plugin_args, *url_args(outer_mock))
    # Then it ran against that server (no mock was started for it)
    result.assert_outcomes(passed=1)


@pytest.mark.live
def test_conductor_url_of_a_mock_needs_no_identities_file(
        pytester: pytest.Pytester, plugin_args: list[str], outer_mock: MockProcess,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no identities file, no key options, no key in the environment, and a conductor-mock at the URL
    monkeypatch.delenv("CONDUCTOR_AUTH_KEY", raising=False)
    monkeypatch.delenv("CONDUCTOR_AUTH_SECRET", raising=False)
    pytester.makepyfile("""
        def test_search(conductor_server):
            assert conductor_server.identities.source.endswith("identities.mock.yaml")
            reply = conductor_server.session("admin").post("/human/tasks/search", json={"searchType": "ADMIN"})
            assert reply.status_code == 200 and reply.json()["totalHits"] > 0
    """)
    # When the tests run with --conductor-url alone
    result = pytester.runpytest(*plugin_args, "--conductor-url", outer_mock.base_url)
    # Then they act as the identities of the mock's default scenario, as `conductor-mock verify` does
    result.assert_outcomes(passed=1)


def test_the_scenario_mark_resolves_from_the_rootdir_and_the_shipped_scenarios(
        pytester: pytest.Pytester, plugin_args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a project outside this repository (rootdir set by its ini file), with a scenario of its own
    pytester.makeini("[pytest]\n")
    (pytester.path / "worlds").mkdir()
    (pytester.path / "worlds" / "mine.yaml").write_text(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    tests = pytester.mkpydir("suite")
    (tests / "test_marks.py").write_text(textwrap.dedent("""
        import pytest
        from mockserver import resources
        from mockserver.contract.plugin import _scenario_for

        @pytest.mark.conductor_scenario("scenarios/default.yaml")
        def test_shipped_by_the_documented_path(request):
            assert _scenario_for(request) == resources.scenarios_dir() / "default.yaml"

        @pytest.mark.conductor_scenario("default.yaml")
        def test_shipped_by_name(request):
            assert _scenario_for(request) == resources.scenarios_dir() / "default.yaml"

        @pytest.mark.conductor_scenario("worlds/mine.yaml")
        def test_relative_to_the_rootdir(request):
            assert _scenario_for(request).resolve() == request.config.rootpath / "worlds" / "mine.yaml"
    """))
    # When pytest runs from the tests' folder (so neither the working directory nor the test's folder has them)
    monkeypatch.chdir(tests)
    result = pytester.runpytest(*plugin_args, "--rootdir", str(pytester.path), str(tests))
    # Then every mark finds its file
    result.assert_outcomes(passed=3)


@pytest.mark.live
def test_conformance_scenarios_are_collected_as_tests(
        pytester: pytest.Pytester, plugin_args: list[str], outer_mock: MockProcess) -> None:
    # Given the shipped conformance folder and --conductor-conformance
    result = pytester.runpytest(*plugin_args, *url_args(outer_mock), "--conductor-conformance", str(CONFORMANCE),
                                "-v")
    # Then every scenario is one passing test, named after its file (the identities file is not a test)
    scenarios = sorted(p.stem for p in CONFORMANCE.glob("*.yaml") if not p.name.startswith("identities"))
    result.assert_outcomes(passed=len(scenarios))
    result.stdout.fnmatch_lines(["*claim-in-progress.yaml::claim-in-progress PASSED*"])


@pytest.mark.live
def test_a_conformance_failure_reads_like_the_cli_summary(
        pytester: pytest.Pytester, plugin_args: list[str], outer_mock: MockProcess) -> None:
    # Given a scenario that expects what the contract does not say
    pytester.makefile(".yaml", wrong="""
        description: Claims an unknown task and expects 404 (the contract says 400).
        steps:
          - rule: unknown_task_claim_refused
            request: POST /human/tasks/no-such-task/claim
            expect: {status: 404}
    """)
    result = pytester.runpytest(*plugin_args, *url_args(outer_mock), "--conductor-conformance", "wrong.yaml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*rule:     unknown_task_claim_refused*", "*request:  POST http*/no-such-task/claim*",
                                 "*expected: HTTP 404*", "*got:      400 *"])


@pytest.mark.live
def test_conformance_scenarios_parametrize_a_test_and_skip_with_the_reason(
        pytester: pytest.Pytester, plugin_args: list[str], outer_mock: MockProcess) -> None:
    # Given a test parametrized with the helper, run with one key only
    pytester.makepyfile(f"""
        import pytest
        from mockserver.contract.plugin import conformance_scenarios

        @pytest.mark.parametrize("scenario", conformance_scenarios({str(CONFORMANCE)!r}))
        def test_conformance(conductor_conformance, scenario):
            conductor_conformance(scenario)
    """)
    result = pytester.runpytest(*plugin_args, "--conductor-url", outer_mock.base_url, "--conductor-key-id",
                                "owner-key", "--conductor-key-secret", "owner-secret", "-rs", "-k",
                                "claim-admin or release")
    # Then what one identity can check passes, and the rest is skipped, saying why
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*SKIPPED*needs identity 'admin'*"])


def test_a_bad_identities_option_is_a_usage_error(pytester: pytest.Pytester, plugin_args: list[str],
                                                  tmp_path: Path) -> None:
    bad = tmp_path / "ids.yaml"
    bad.write_text("identities: {app: {role: ownr, keyId: k, keySecret: s}}\n")
    pytester.makepyfile("def test_x(conductor_server):\n    pass\n")
    result = pytester.runpytest(*plugin_args, "--conductor-url", "http://127.0.0.1:9/api",
                                "--conductor-identities", str(bad))
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*'ownr' is not a role. Did you mean 'owner'?*"])


def test_each_test_gets_its_own_namespace_even_under_xdist(pytester: pytest.Pytester, plugin_args: list[str]) -> None:
    # Given four tests that each claim the same task and expect it free: they would trample one world
    pytester.makepyfile(f"""
        import pytest

        pytestmark = pytest.mark.conductor_scenario({str(DEFAULT_SCENARIO)!r})

        @pytest.mark.parametrize("n", range(4))
        def test_claim(conductor_server, conductor_base_url, n):
            assert "/ns/" in conductor_base_url and conductor_base_url == conductor_server.base_url
            owner = conductor_server.session("owner")
            assert owner.get("/human/tasks/invoice-approval-1001").json()["state"] == "ASSIGNED"
            reply = owner.post("/human/tasks/invoice-approval-1001/externalUser/alice@example.com")
            assert reply.status_code == 200, reply.text
    """)
    # When pytest runs them on two xdist workers
    result = pytester.runpytest_subprocess(*plugin_args, "-p", "no:randomly", "-n", "2")
    # Then every one finds the task free: each ran in a namespace of its own
    result.assert_outcomes(passed=4)


@pytest.mark.live
def test_conductor_mock_url_shares_one_server_between_xdist_workers(
        pytester: pytest.Pytester, plugin_args: list[str], outer_mock: MockProcess) -> None:
    import httpx

    # Given a mock already running, and tests that claim a task of its default scenario
    pytester.makepyfile("""
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_claim(conductor_mock, n):
            assert conductor_mock.base_url.startswith(conductor_mock.process.root_url + "/ns/gw")
            from mockserver.contract.sessions import Session, new_http_client
            session = Session(conductor_mock.base_url, conductor_mock.identities.owner, new_http_client())
            reply = session.post("/human/tasks/invoice-approval-1001/externalUser/alice@example.com")
            assert reply.status_code == 200, reply.text
    """)
    # When two xdist workers run them against it
    result = pytester.runpytest_subprocess(*plugin_args, "-p", "no:randomly", "-n", "2",
                                           "--conductor-mock-url", outer_mock.root_url)
    # Then all pass, the default namespace was never touched, and the tests' namespaces were dropped
    result.assert_outcomes(passed=4)
    task = httpx.get(f"{outer_mock.root_url}/_mock/scenario?format=json").json()["tasks"]
    assert [t.get("state") for t in task if t["taskId"] == "invoice-approval-1001"] in ([None], ["ASSIGNED"])
    listed = httpx.get(f"{outer_mock.root_url}/_mock/namespaces").json()["namespaces"]
    assert [n["name"] for n in listed] == ["default"]
