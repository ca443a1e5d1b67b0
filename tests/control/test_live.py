"""Against a real server process: the `drop` fault on a real socket, the CLI, the pytest client, and the token
a server off loopback asks for."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver.control.client import ControlClient, ControlError, MockUnreachable
from tests.livemock import ROOT, LiveMock, free_port, live_mock

pytestmark = pytest.mark.live
SCENARIO = ROOT / "tests" / "fixtures" / "http_world.yaml"


@pytest.fixture(scope="module")
def mock() -> Iterator[LiveMock]:
    with live_mock(SCENARIO) as running:
        yield running


@pytest.fixture
def client(mock: LiveMock) -> Iterator[ControlClient]:
    control = ControlClient(mock.base_url)  # the /api URL is fine
    control.reset()
    yield control
    control.reset()


def token(mock: LiveMock, key: str = "owner") -> str:
    reply = call(mock, "POST", "/api/token", {"keyId": f"{key}-key", "keySecret": f"{key}-secret"})
    assert reply[0] == 200
    value: str = json.loads(reply[1])["token"]
    return value


def call(mock: LiveMock, method: str, path: str, body: object = None,
         headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One request on a fresh connection, with the raw http.client (no retries, no pooling)."""
    connection = http.client.HTTPConnection("127.0.0.1", mock.port, timeout=10)
    try:
        payload = None if body is None else json.dumps(body)
        connection.request(method, path, body=payload, headers={"Content-Type": "application/json", **(headers or {})})
        reply = connection.getresponse()
        return reply.status, reply.read()
    finally:
        connection.close()


def test_drop_changes_the_state_then_closes_the_connection_without_a_reply(mock: LiveMock,
                                                                          client: ControlClient) -> None:
    owner = token(mock)
    fault = client.add_fault("updateTaskOutput", task_id="claimed", drop=True)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        call(mock, "POST", "/api/human/tasks/claimed/update?complete=true", {"approved": True},
             {"X-Authorization": owner})
    status, body = call(mock, "GET", "/api/human/tasks/claimed", headers={"X-Authorization": owner})
    assert status == 200 and json.loads(body)["state"] == "COMPLETED"  # the call ran
    assert [(e["taskId"], e["action"]) for e in client.journal("claimed")] == [("claimed", "COMPLETE")]
    assert [(f["id"], f["fired"]) for f in client.faults()] == [(fault["id"], 1)]
    # the server is fine afterwards, and the fault is spent
    assert call(mock, "POST", "/api/human/tasks/claimed/update", {"x": 1}, {"X-Authorization": owner})[0] == 400


def test_a_raw_socket_reads_nothing_at_all(mock: LiveMock, client: ControlClient) -> None:
    import socket

    owner = token(mock)
    client.add_fault("getTask", drop=True)
    with socket.create_connection(("127.0.0.1", mock.port), timeout=10) as sock:
        sock.sendall(f"GET /api/human/tasks/ext HTTP/1.1\r\nHost: x\r\nX-Authorization: {owner}\r\n\r\n".encode())
        try:
            received = sock.recv(65536)
        except ConnectionResetError:
            received = b""
    assert received == b""


def test_status_and_latency_faults_on_the_wire(mock: LiveMock, client: ControlClient) -> None:
    owner = token(mock)
    client.add_fault("getTask", task_id="ext", nth=2, status=503, message="try later", latency_ms=200)
    assert call(mock, "GET", "/api/human/tasks/ext", headers={"X-Authorization": owner})[0] == 200
    started = time.perf_counter()
    status, body = call(mock, "GET", "/api/human/tasks/ext", headers={"X-Authorization": owner})
    assert time.perf_counter() - started >= 0.2
    assert (status, json.loads(body)) == (503, {"status": 503, "message": "try later", "instance": "conductor-mock",
                                                "retryable": False})


def test_the_client_covers_the_control_api(mock: LiveMock, client: ControlClient) -> None:
    assert client.health() == {"status": "ok", "scenario": "http", "tasks": 10, "store": "memory"}
    assert client.version()["version"]
    assert client.clock_advance(60_000)["nowMs"] == client.clock()["nowMs"]
    assert client.clock_advance(duration="PT1M")["fired"] == []
    assert client.clock_set("2026-01-01T10:00:00Z")["now"] == "2026-01-01T10:00:00Z"
    exported = client.export()
    assert client.load(exported)["load"] == "replace"
    assert client.load(SCENARIO)["scenario"] == "http"
    assert client.load("tasks: [{taskId: extra}]\n", merge=True)["added"]["tasks"] == 1
    assert client.load_shipped("open")["scenario"] == "open"
    with pytest.raises(ControlError) as refused:
        client.load("tasks: [{taskId: x, state: IN_PROGES}]\n")
    assert refused.value.status == 422 and refused.value.body["problems"][0]["line"] == 1
    assert client.health()["scenario"] == "open"  # untouched by the refused load
    assert json.loads(client.export("json"))["name"] == "open"
    assert client.clear_journal() >= 1 and client.journal() == []
    fault = client.add_fault("search", latency_ms=1, times=0)
    assert client.delete_fault(fault["id"])["id"] == fault["id"] and client.faults() == []
    client.add_fault("search", drop=True)
    assert client.clear_faults() == 1


def test_the_client_says_when_nothing_answers() -> None:
    with pytest.raises(MockUnreachable, match=r"cannot reach the mock at http://127.0.0.1:\d+: .*is it running"):
        ControlClient(f"http://127.0.0.1:{free_port()}", timeout=2).health()


# -- the CLI ----------------------------------------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mockserver", "control", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "CONDUCTOR_MOCK_CONTROL_TOKEN": ""})


def test_the_cli(mock: LiveMock, client: ControlClient, tmp_path: Path) -> None:
    url = ("--url", mock.root_url)
    done = cli(*url, "health")
    assert (done.returncode, done.stdout.strip()) == (0, f"ok: scenario 'http', 10 tasks ({mock.root_url})")
    added = cli(*url, "faults", "add", "getTask", "--task", "ext", "--nth", "2", "--status", "503")
    assert added.returncode == 0 and added.stdout.startswith("armed f")
    assert "getTask task ext, from call #2 for 1 call: reply 503" in cli(*url, "faults", "list").stdout
    assert cli(*url, "faults", "clear").stdout.strip() == "disarmed 1 faults"
    assert "2026-01-01T09:30:00Z" in cli(*url, "clock", "--advance", "PT30M").stdout
    owner = token(mock)
    call(mock, "POST", "/api/human/tasks/ext/externalUser/alice@example.com", headers={"X-Authorization": owner})
    journal = cli(*url, "journal", "--task", "ext")
    assert journal.returncode == 0 and "CLAIM" in journal.stdout and "ASSIGNED -> IN_PROGRESS" in journal.stdout
    assert json.loads(cli(*url, "--json", "journal", "--limit", "1").stdout)[0]["taskId"] == "ext"
    exported = tmp_path / "snapshot.yaml"
    assert cli(*url, "export", "-o", str(exported)).returncode == 0
    assert cli(*url, "reset").stdout.startswith("reset to scenario 'http'")
    loaded = cli(*url, "load", str(exported))
    assert loaded.returncode == 0 and loaded.stdout.startswith("loaded scenario 'http'")
    merged = cli(*url, "load", "--merge", "--shipped", "open")
    assert merged.returncode == 0 and "merged into scenario 'http'" in merged.stdout
    assert cli(*url, "version").stdout.startswith("conductor-mock ")


def test_the_cli_fails_clearly(mock: LiveMock, client: ControlClient, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("tasks:\n  - taskId: x\n    state: IN_PROGES\n", encoding="utf-8")
    refused = cli("--url", mock.root_url, "load", str(bad))
    assert refused.returncode == 1
    assert f"the mock refused (422): The scenario has 1 problem; nothing was changed:\n{bad}:3: tasks[0].state" \
        in refused.stderr
    assert client.health()["scenario"] == "http"
    missing = cli("--url", mock.root_url, "faults", "delete", "f999")
    assert (missing.returncode, "the mock refused (404): No fault 'f999'" in missing.stderr) == (1, True)
    down = cli("--url", f"http://127.0.0.1:{free_port()}", "health")
    assert down.returncode == 3 and "cannot reach the mock at" in down.stderr and "is it running?" in down.stderr
    assert cli("--url", mock.root_url, "load").returncode == 2
    assert cli("--url", mock.root_url, "faults", "add").returncode == 2  # argparse: OPERATION_ID is required


# -- off loopback -----------------------------------------------------------------------------------------------


def test_off_loopback_the_server_prints_a_generated_token_and_requires_it() -> None:
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("CONDUCTOR_MOCK_CONTROL_TOKEN", None)
    process = subprocess.Popen([sys.executable, "-m", "mockserver", "serve", "--scenario", str(SCENARIO), "--host",
                                "0.0.0.0", "--port", str(port), "--log-level", "warning"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not any("Authorization: Bearer" in line for line in lines):
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        assert any("0.0.0.0 is not a loopback address, so it needs a token" in line for line in lines)
        secret = lines[-1].split("Bearer", 1)[1].strip()
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                ControlClient(url, token=secret, timeout=2).health()
                break
            except MockUnreachable:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        with pytest.raises(ControlError) as refused:
            ControlClient(url, token="", timeout=5).reset()
        assert refused.value.status == 401
        assert ControlClient(url, token=secret).reset()["scenario"] == "http"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.parametrize(("http", "loop"), [("h11", "asyncio"), ("httptools", "asyncio"), ("httptools", "uvloop")])
def test_drop_on_each_uvicorn_protocol(http: str, loop: str) -> None:
    """DropConnections reaches the connection through uvicorn's own `send`: check every protocol and loop."""
    import importlib.util
    import socket
    import threading

    import uvicorn

    from mockserver.app import build_app
    from mockserver.control.drop import DropConnections
    from mockserver.control.faults import FaultRule

    for module in {http, loop} - {"h11", "asyncio"}:
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed")
    app = build_app(SCENARIO)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(DropConnections(app), host="127.0.0.1", port=port, http=http, loop=loop,
                                           log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive()
            time.sleep(0.02)
        app.state.control.faults.add(FaultRule("generateToken", drop=True))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            body = b'{"keyId": "owner-key", "keySecret": "owner-secret"}'
            sock.sendall(b"POST /api/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            try:
                received = sock.recv(65536)
            except ConnectionResetError:
                received = b""
        assert received == b""
        assert [f.fired for f in app.state.control.faults.all()] == [1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
