"""The request-head limits `serve` runs (mockserver.web.serving, issue 15): a head trickled byte by byte is cut
off after `--header-timeout` with 408, an idle connection is closed, an oversized head answers 431, and a
normal keep-alive client, whose requests span more than the timeout, is not disturbed. Against `serve` itself,
on a free loopback port: without the protocol (uvicorn's own) the trickle is never cut off."""

from __future__ import annotations

import contextlib
import http.client
import select
import socket
import time
from collections.abc import Iterator

import pytest

from mockserver import cli
from mockserver.web.serving import guarded_protocol
from tests.livemock import ROOT, LiveMock, live_mock

TIMEOUT = 2.0  # --header-timeout for these tests (the default is 10 s)
SLACK = 3.0  # a shared, loaded machine
HEAD = b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"


@pytest.fixture(scope="module")
def mock() -> Iterator[LiveMock]:
    with live_mock(ROOT / "scenarios" / "default.yaml", "--header-timeout", str(TIMEOUT)) as running:
        yield running


def connect(mock: LiveMock) -> socket.socket:
    return socket.create_connection(("127.0.0.1", mock.port), timeout=TIMEOUT + SLACK + 5)


def read_to_end(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def trickle(sock: socket.socket, interval: float, give_up: float) -> tuple[bytes, float]:
    """Send one header byte every `interval` seconds until the server answers or closes (or `give_up` s pass):
    what it sent and when, in seconds since the start."""
    start = time.monotonic()
    sock.sendall(HEAD + b"X-Slow: ")
    while time.monotonic() - start < give_up:
        readable, _, _ = select.select([sock], [], [], interval)
        if readable:
            return read_to_end(sock), time.monotonic() - start
        sock.sendall(b"a")
    return b"", time.monotonic() - start


def test_a_trickled_head_is_cut_off_with_408(mock: LiveMock) -> None:
    with connect(mock) as sock:
        answer, elapsed = trickle(sock, interval=0.5, give_up=TIMEOUT + SLACK)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer[:200]
    assert b"connection: close\r\n" in answer
    assert answer.endswith(b"\r\n\r\nRequest header read timeout.")
    assert TIMEOUT - 0.5 <= elapsed <= TIMEOUT + SLACK


def read_one_answer(sock: socket.socket) -> bytes:
    """One answer with a Content-Length, read off a kept-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length"))
    while len(body) < length:
        body += sock.recv(65536)
    return head


def test_a_trickled_head_on_a_kept_alive_connection_gets_its_own_timeout(mock: LiveMock) -> None:
    """The connection's timer was armed for the first request; the second head, begun 1.2 s later and trickled,
    is cut off the timeout after its own first byte: not when that earlier timer fires, and not never."""
    with connect(mock) as sock:
        sock.sendall(HEAD + b"\r\n")
        assert read_one_answer(sock).startswith(b"HTTP/1.1 200 OK\r\n")
        time.sleep(1.2)
        answer, elapsed = trickle(sock, interval=0.2, give_up=TIMEOUT + SLACK)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer[:200]
    assert TIMEOUT - 0.3 <= elapsed <= TIMEOUT + SLACK


def test_an_idle_connection_is_closed_without_an_answer(mock: LiveMock) -> None:
    with connect(mock) as sock:
        start = time.monotonic()
        assert read_to_end(sock) == b""
        elapsed = time.monotonic() - start
    assert TIMEOUT - 0.5 <= elapsed <= TIMEOUT + SLACK


def test_a_keep_alive_client_whose_requests_span_the_timeout_is_unaffected(mock: LiveMock) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", mock.port, timeout=10)
    try:
        sockets = []
        for _ in range(3):  # 3 requests 1.2 s apart: 2.4 s on one connection, past the 2 s header timeout
            connection.request("GET", "/_mock/health")
            response = connection.getresponse()
            assert response.status == 200
            response.read()
            sockets.append(connection.sock)
            time.sleep(1.2)
        assert sockets[0] is not None and sockets.count(sockets[0]) == 3  # never reconnected
    finally:
        connection.close()


def test_a_head_sent_in_pieces_within_the_timeout_is_answered(mock: LiveMock) -> None:
    with connect(mock) as sock:
        for piece in (HEAD, b"Accept: */*\r\n", b"Connection: close\r\n\r\n"):
            sock.sendall(piece)
            time.sleep(0.5)
        answer = read_to_end(sock)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer[:200]


def test_an_oversized_head_gets_431(mock: LiveMock) -> None:
    with connect(mock) as sock:
        sock.sendall(HEAD + b"X-Big: " + b"a" * 10_000)
        time.sleep(0.3)  # a second read: the head is still incomplete after the first
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # it may have answered already
            sock.sendall(b"a" * (cli.MAX_HEAD_BYTES - 10_000 + 100))
        answer = read_to_end(sock)
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), answer[:200]
    assert answer.endswith(b"\r\n\r\nRequest header fields too large.")


def test_a_head_just_under_the_cap_is_answered(mock: LiveMock) -> None:
    with connect(mock) as sock:
        sock.sendall(HEAD + b"X-Big: " + b"a" * 8_000)
        time.sleep(0.3)
        sock.sendall(b"a" * 6_000 + b"\r\nConnection: close\r\n\r\n")
        answer = read_to_end(sock)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer[:200]


@pytest.mark.parametrize("seconds", ["0", "-1", "nan", "inf", "soon"])
def test_serve_refuses_a_header_timeout_that_is_not_a_positive_number(
        seconds: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["serve", "--header-timeout", seconds])
    assert exited.value.code == 2
    assert "--header-timeout" in capsys.readouterr().err


def test_the_default_header_timeout_is_ten_seconds() -> None:
    args = cli._parser().parse_args(["serve"])
    assert args.header_timeout == cli.HEADER_TIMEOUT_S == 10.0


@pytest.mark.parametrize(("timeout_s", "head_cap"), [(0.0, 1), (float("nan"), 1), (1.0, 0)])
def test_the_protocol_refuses_meaningless_limits(timeout_s: float, head_cap: int) -> None:
    with pytest.raises(ValueError):
        guarded_protocol(timeout_s, head_cap)


def test_each_protocol_class_carries_its_own_limits() -> None:
    short, long = guarded_protocol(1.5, 100), guarded_protocol(30.0, 200)
    assert (short.header_timeout, short.max_head_bytes) == (1.5, 100)
    assert (long.header_timeout, long.max_head_bytes) == (30.0, 200)
