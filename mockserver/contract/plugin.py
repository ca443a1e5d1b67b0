"""pytest plugin of the contract kit (entry point `pytest11`: `conductor_mock`).

pytest imports this module in every session wherever conductor-mock is installed, so it imports nothing
heavy (no schemathesis, no httpx) and does nothing until its fixtures or options are used:

* `conductor_mock`: a live mock in its own process, on a free port, serving the scenario chosen with
  `@pytest.mark.conductor_scenario("file.yaml")` or `--conductor-scenario` (default: the shipped default
  scenario). One process per scenario per session; each test gets a namespace of its own on it
  (`/ns/{worker}-{n}/api`, made fresh from the scenario and dropped after the test), so tests never see each
  other's tasks, tokens or clocks. With `--conductor-mock-url ROOT` every test (of every pytest-xdist worker)
  gets its namespace on that one running mock instead. `conductor_base_url`: the test's API root.
* `conductor_server`: the server under test, a `ConductorServer` (base URL + identities): the server of
  `--conductor-url` when given, else `conductor_mock`. The same tests then run against a real Orkes server.
* conformance scenarios as test items: `pytest --conductor-conformance scenarios/conformance` collects every
  scenario file there as one test, run against `conductor_server`; or parametrize a test of your own with
  `conformance_scenarios()` and the `conductor_conformance` fixture.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockserver.contract.conformance import ConformanceScenario
    from mockserver.contract.identities import Identities
    from mockserver.contract.launcher import MockProcess
    from mockserver.contract.report import Result
    from mockserver.contract.sessions import Session
    from mockserver.contract.target import Target

GROUP = "conductor"
URL_OPTION = "--conductor-url"
IDENTITIES_OPTION = "--conductor-identities"
KEY_ID_OPTION = "--conductor-key-id"
KEY_SECRET_OPTION = "--conductor-key-secret"
SCENARIO_OPTION = "--conductor-scenario"
CONFORMANCE_OPTION = "--conductor-conformance"
SCENARIO_MARK = "conductor_scenario"
MOCK_URL_OPTION = "--conductor-mock-url"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, "Orkes human-task contract kit (conductor-mock)")
    group.addoption(URL_OPTION, default=None, metavar="URL",
                    help="run against this server (API root, e.g. https://host/api) instead of a live mock")
    group.addoption(IDENTITIES_OPTION, default=None, metavar="FILE",
                    help="identities file of the --conductor-url server (owner, other, admin, users)")
    group.addoption(KEY_ID_OPTION, default=None, help="one key id for --conductor-url (the owner)")
    group.addoption(KEY_SECRET_OPTION, default=None, help="its secret")
    group.addoption(SCENARIO_OPTION, default=None, metavar="FILE",
                    help="scenario the conductor_mock fixture serves when a test has no conductor_scenario mark")
    group.addoption(MOCK_URL_OPTION, default=None, metavar="ROOT",
                    help="a running conductor-mock (e.g. http://127.0.0.1:8080) shared by every test and xdist "
                         "worker: each test gets its own namespace on it (its scenario is the server's)")
    group.addoption(CONFORMANCE_OPTION, action="store_true", default=False,
                    help="collect conformance scenario YAML files (e.g. scenarios/conformance) as tests")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{SCENARIO_MARK}(path): the scenario file the conductor_mock fixture serves")


# -- the live mock ---------------------------------------------------------------------------------------

@dataclass
class ConductorMock:
    """A live mock: its URLs (of the test's namespace), the scenario it serves, and the identities of that
    scenario."""

    process: MockProcess | RunningMock
    identities: Identities
    namespace: str = "default"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/api"

    @property
    def root_url(self) -> str:
        """The namespace's root: `/api` and `/_mock` are under it."""
        root = self.process.root_url
        return root if self.namespace == "default" else f"{root}/ns/{self.namespace}"

    def drop(self) -> None:
        """Forget the namespace on the server (best effort: the server evicts idle ones anyway)."""
        if self.namespace == "default":
            return
        import urllib.error
        import urllib.request

        with contextlib.suppress(OSError, urllib.error.URLError):
            request = urllib.request.Request(f"{self.process.root_url}/_mock/namespaces/{self.namespace}",
                                             method="DELETE")
            urllib.request.urlopen(request, timeout=10).close()

    @property
    def scenario(self) -> Path:
        return self.process.scenario

    def reset(self) -> None:
        """Back to the scenario's initial world: through the control API, or by a restart without one."""
        from mockserver.contract import control, launcher

        try:
            control.reset(self.root_url)
        except control.ControlUnavailable:
            self.process.stop()
            self.process = launcher.start(self.process.scenario)


@dataclass(frozen=True)
class RunningMock:
    """A mock some other process started (`--conductor-mock-url`): never stopped by the plugin."""

    root_url: str
    scenario: Path

    def stop(self) -> None:
        return None


@dataclass
class _MockPool:
    """One mock process per scenario file, for the whole session."""

    mocks: dict[Path, ConductorMock] = field(default_factory=dict)
    shared: str | None = None  # --conductor-mock-url
    _count: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def namespace(self) -> str:
        """A new namespace name, unique across xdist workers and sessions (`gw0-4242-1`; `main-4242-1` without)."""
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        return f"{worker}-{os.getpid()}-{next(self._count)}"

    def get(self, scenario: Path) -> ConductorMock:
        if self.shared is not None:  # the server's own scenario, whatever the test asks for: the default one
            scenario = _shipped_scenarios() / "default.yaml"
            if scenario not in self.mocks:
                from mockserver.contract.identities import from_scenario

                self.mocks[scenario] = ConductorMock(RunningMock(self.shared.rstrip("/"), scenario),
                                                     from_scenario(scenario))
            return self.mocks[scenario]
        key = scenario.resolve()
        if key not in self.mocks:
            from mockserver.contract import launcher
            from mockserver.contract.identities import from_scenario

            self.mocks[key] = ConductorMock(launcher.start(key), from_scenario(key))
        return self.mocks[key]

    def close(self) -> None:
        for mock in self.mocks.values():
            mock.process.stop()
        self.mocks.clear()


@pytest.fixture(scope="session")
def _conductor_mock_pool(request: pytest.FixtureRequest) -> Iterator[_MockPool]:
    pool = _MockPool(shared=request.config.getoption(MOCK_URL_OPTION))
    yield pool
    pool.close()


def _scenario_for(request: pytest.FixtureRequest) -> Path:
    marker = request.node.get_closest_marker(SCENARIO_MARK)
    if marker is not None and marker.args:
        return _marked_scenario(Path(str(marker.args[0])), request)
    option = request.config.getoption(SCENARIO_OPTION)
    if option:
        return Path(option)
    return _shipped_scenarios() / "default.yaml"


def _marked_scenario(chosen: Path, request: pytest.FixtureRequest) -> Path:
    """A marked path, relative to the working directory, the test's folder or the rootdir; else a shipped
    scenario by name (`scenarios/default.yaml` and `default.yaml` both name the shipped default)."""
    base = Path(str(request.node.path)).parent
    rootdir = Path(str(request.config.rootpath))
    shipped = _shipped_scenarios()
    for candidate in (chosen, base / chosen, rootdir / chosen, shipped / chosen, shipped / chosen.name):
        if candidate.is_file():
            return candidate
    raise pytest.UsageError(f"@pytest.mark.{SCENARIO_MARK}({str(chosen)!r}): no such file (looked relative to the "
                            f"working directory, {base}, {rootdir}, and among the shipped scenarios in {shipped})")


def _shipped_scenarios() -> Path:
    from mockserver import resources

    return resources.scenarios_dir()


@pytest.fixture
def conductor_mock(request: pytest.FixtureRequest, _conductor_mock_pool: _MockPool) -> Iterator[ConductorMock]:
    """A live mock serving the test's scenario, in a namespace of the test's own (fresh; dropped after it)."""
    shared = _conductor_mock_pool.get(_scenario_for(request))
    mock = ConductorMock(shared.process, shared.identities, _conductor_mock_pool.namespace())
    mock.reset()  # makes the namespace (and empties it, should the name have been used before)
    yield mock
    mock.drop()


@pytest.fixture
def conductor_base_url(conductor_server: ConductorServer) -> str:
    """The API root the test's SDK should use (`CONDUCTOR_SERVER_URL`): the mock's namespace, or --conductor-url."""
    return conductor_server.base_url


# -- the server under test -------------------------------------------------------------------------------

@dataclass
class ConductorServer:
    """The server under test: where it is, who may call it, and the kit's tools bound to it."""

    base_url: str
    identities: Identities
    mock: ConductorMock | None = None
    _targets: list[Target] = field(default_factory=list, repr=False)

    @property
    def is_mock(self) -> bool:
        return self.mock is not None

    def target(self, *, wait_seconds: float = 15.0) -> Target:
        """A kit `Target` (sessions per identity, run id) for this server; closed after the test."""
        from mockserver.contract.target import Target

        target = Target(self.base_url, self.identities, wait_seconds=wait_seconds)
        self._targets.append(target)
        return target

    def session(self, ref: str = "owner") -> Session:
        """An API session as one identity (`owner`, `other`, `admin`, `user`, or an identity's name)."""
        return self.target().session(ref)

    def run_scenario(self, scenario: ConformanceScenario | Path | str,
                     emit: Callable[[str], None] | None = None) -> Result:
        from mockserver.contract import conformance

        if isinstance(scenario, conformance.ConformanceScenario):
            return conformance.run_scenario(scenario, self.target(), emit or (lambda line: None))
        loaded = conformance.load(Path(scenario))
        return conformance.run_scenario(loaded, self.target(), emit or (lambda line: None))

    def close(self) -> None:
        for target in self._targets:
            target.close()
        self._targets.clear()


@pytest.fixture
def conductor_server(request: pytest.FixtureRequest) -> Iterator[ConductorServer]:
    """The server of `--conductor-url` (with its identities), or else the `conductor_mock`."""
    url = request.config.getoption(URL_OPTION)
    if url:
        base_url = _api_root(url)
        server = ConductorServer(base_url, _configured_identities(request.config, base_url))
    else:
        mock: ConductorMock = request.getfixturevalue("conductor_mock")
        server = ConductorServer(mock.base_url, mock.identities, mock)
    yield server
    server.close()


def _api_root(url: str) -> str:
    from mockserver.contract.target import api_root

    return api_root(url)


def _configured_identities(config: pytest.Config, base_url: str) -> Identities:
    """The identities file, else the key options (or environment), else, when the server is a conductor-mock,
    the identities of its default scenario (as `conductor-mock verify` does), else no credentials."""
    from mockserver.contract import identities

    try:
        path = config.getoption(IDENTITIES_OPTION)
        if path:
            return identities.load(Path(path))
        given = identities.single(config.getoption(KEY_ID_OPTION), config.getoption(KEY_SECRET_OPTION),
                                  environ=os.environ)
        if any(member.has_credentials for member in given.members):
            return given
        found = identities.mock_identities(base_url)
        return identities.load(found) if found is not None else given
    except identities.IdentityError as error:
        raise pytest.UsageError(str(error)) from None


# -- conformance scenarios as tests ----------------------------------------------------------------------

def conformance_scenarios(directory: Path | str | None = None) -> list[Any]:
    """`pytest.param`s of the conformance scenario files (default: the shipped ones), for parametrize:

        @pytest.mark.parametrize("scenario", conformance_scenarios())
        def test_conformance(conductor_conformance, scenario): conductor_conformance(scenario)
    """
    from mockserver.contract import conformance

    return [pytest.param(path, id=path.stem) for path in conformance.discover(Path(directory) if directory else None)]


@pytest.fixture
def conductor_conformance(conductor_server: ConductorServer) -> Callable[[Path | str], None]:
    """Run one conformance scenario against `conductor_server`; fail (or skip) the test as it says."""

    def run(scenario: Path | str) -> None:
        __tracebackhide__ = True
        _judge(conductor_server.run_scenario(scenario))

    return run


def _judge(result: Result) -> None:
    __tracebackhide__ = True
    from mockserver.contract.report import Outcome

    if result.outcome is Outcome.SKIPPED:
        pytest.skip(result.reason)
    if result.outcome is not Outcome.PASSED:
        lines = [result.reason] if result.reason else []
        lines += [line for finding in result.findings for line in finding.lines()]
        pytest.fail("\n".join(lines), pytrace=False)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if not parent.config.getoption(CONFORMANCE_OPTION) or file_path.suffix not in (".yaml", ".yml"):
        return None
    if file_path.name.startswith("identities"):
        return None
    with contextlib.suppress(OSError, UnicodeDecodeError):
        text = file_path.read_text(encoding="utf-8")
        if "\nsteps:" in text or text.startswith("steps:"):
            return ConformanceFile.from_parent(parent, path=file_path)
    return None


class ConformanceFile(pytest.File):
    """A conformance scenario file: one test, run against `conductor_server`."""

    def collect(self) -> Iterator[pytest.Item]:
        path = self.path

        def test_scenario(conductor_conformance: Callable[[Path | str], None]) -> None:
            __tracebackhide__ = True
            conductor_conformance(path)

        yield pytest.Function.from_parent(self, name=path.stem, callobj=test_scenario)
