"""The shared store across real processes on one real Redis: two servers (as two hosts would run them) and one
server with two workers. Races, a kill -9 of every process, namespaces, and a store that goes away."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockserver.contract.launcher import MockProcess, free_port, start
from tests.conftest import HTTP_WORLD
from tests.livemock import ROOT
from tests.redis_support import RedisServer, start_redis

TRIALS = 200
CLAIMS = 32


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own (some tests stop and start it)."""
    server = start_redis(tmp_path / "redis")
    try:
        yield server
    finally:
        server.stop()


def serve(redis: RedisServer, *args: str, hash_seed: str | None = None) -> MockProcess:
    """A mock process on the shared store (`hash_seed`: its PYTHONHASHSEED, to show applying does not hang on it)."""
    saved = os.environ.get("PYTHONHASHSEED")
    if hash_seed is not None:
        os.environ["PYTHONHASHSEED"] = hash_seed
    try:
        return start(HTTP_WORLD, extra_args=["--store", redis.url(), *args], cwd=ROOT, timeout=60)
    finally:
        if saved is None:
            os.environ.pop("PYTHONHASHSEED", None)
        else:
            os.environ["PYTHONHASHSEED"] = saved


def kill(mock: MockProcess) -> None:
    """SIGKILL: no shutdown, nothing flushed."""
    mock.process.send_signal(signal.SIGKILL)
    mock.process.wait(10)
    mock.log.close()


def token(mock: MockProcess, key: str = "admin-key", secret: str = "admin-secret", ns: str = "") -> str:
    reply = httpx.post(f"{mock.root_url}{ns}/api/token", json={"keyId": key, "keySecret": secret})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["token"])


def test_32_claims_spread_over_two_processes_have_one_winner_in_every_one_of_200_trials(redis: RedisServer) -> None:
    a, b = serve(redis), serve(redis)
    try:
        headers = {"X-Authorization": token(a)}  # a token of one process is good in the other: one signing key
        winners = asyncio.run(_race(a, b, headers))
    finally:
        a.stop()
        b.stop()
    assert len(winners) == TRIALS and all(len(w) == 1 for w in winners), winners


async def _race(a: MockProcess, b: MockProcess, headers: dict[str, str]) -> list[list[int]]:
    # a new connection per call: a kept-alive one may be closed by the server as the next call goes out on it
    limits = httpx.Limits(max_connections=CLAIMS + 2, max_keepalive_connections=0)
    winners = []
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        for _ in range(TRIALS):
            assert (await client.post(f"{a.root_url}/_mock/reset")).status_code == 200
            replies = await asyncio.gather(*(
                client.post(f"{(a, b)[k % 2].base_url}/human/tasks/open/externalUser/u{k}", headers=headers)
                for k in range(CLAIMS)))
            won = [k for k, reply in enumerate(replies) if reply.status_code == 200]
            for k, reply in enumerate(replies):
                if k not in won:
                    assert reply.status_code in (400, 409), reply.text
                    assert "already claimed" in reply.json()["message"]
            winners.append(won)
            seen = (await client.get(f"{b.base_url}/human/tasks/open", headers=headers)).json()
            assert won and seen["claimant"]["user"] == f"u{won[0]}" and seen["state"] == "IN_PROGRESS"
            seen_a = (await client.get(f"{a.base_url}/human/tasks/open", headers=headers)).json()
            assert seen_a == seen  # both processes hold the same world
    return winners


def test_killing_every_process_with_sigkill_keeps_the_world_as_of_the_last_answer(redis: RedisServer) -> None:
    a, b = serve(redis, hash_seed="1"), serve(redis, hash_seed="2")
    try:
        before, admin, alice = _change_then_export(a, b)
    except BaseException:
        a.stop()
        b.stop()
        raise
    kill(a)
    kill(b)
    c = serve(redis)
    try:
        assert _exports(c) == before
        h = {"X-Authorization": admin}
        task = httpx.get(f"{c.base_url}/human/tasks/open", headers=h).json()  # tokens outlive the processes too
        assert (task["state"], task["claimant"]["user"], task["output"]) == ("IN_PROGRESS", "alice@example.com",
                                                                            {"note": "half done"})
        search = httpx.post(f"{c.base_url}/human/tasks/search", json={}, headers={"X-Authorization": alice})
        assert search.status_code == 200 and search.json()["totalHits"] >= 1
        assert httpx.get(f"{c.root_url}/_mock/clock").json()["now"] == "2026-01-01T10:00:00Z"
    finally:
        c.stop()


def _change_then_export(a: MockProcess, b: MockProcess) -> tuple[tuple[str, str, list[str]], str, str]:
    """Changes through both processes, then the worlds both hold (the same), and two tokens."""
    assert httpx.post(f"{b.root_url}/_mock/clock", json={"advance": "PT1H"}).status_code == 200
    admin = token(a)  # after the clock moved: tokens live 10 minutes of the world's time
    alice = token(b, "alice-key", "alice-secret")
    h = {"X-Authorization": admin}
    assert httpx.post(f"{a.base_url}/human/tasks/open/externalUser/alice@example.com", headers=h).status_code == 200
    assert httpx.post(f"{b.base_url}/human/tasks/open/update", json={"note": "half done"}, headers=h).status_code == 200
    loaded = httpx.put(f"{b.root_url}/ns/kept/_mock/scenario", content=HTTP_WORLD.read_text(),
                       headers={"Content-Type": "application/yaml"})
    assert loaded.status_code == 200, loaded.text
    kept_token = token(a, ns="/ns/kept")
    assert httpx.post(f"{a.root_url}/ns/kept/api/human/tasks/ext/claim", headers={"X-Authorization": kept_token},
                      ).status_code == 200
    before = _exports(a)
    assert _exports(b) == before  # two processes (with different hash seeds) hold the same worlds
    return before, admin, alice


def _exports(mock: MockProcess) -> tuple[str, str, list[str]]:
    default = httpx.get(f"{mock.root_url}/_mock/scenario?format=json&verify=false")
    kept = httpx.get(f"{mock.root_url}/ns/kept/_mock/scenario?format=json&verify=false")
    assert default.status_code == kept.status_code == 200
    names = [n["name"] for n in httpx.get(f"{mock.root_url}/_mock/namespaces").json()["namespaces"]]
    return default.text, kept.text, names


def test_namespaces_keep_their_tasks_tokens_and_clocks_apart_across_processes(redis: RedisServer) -> None:
    a, b = serve(redis), serve(redis)
    try:
        one = {"X-Authorization": token(a, ns="/ns/one")}
        refused = httpx.get(f"{b.root_url}/ns/two/api/human/tasks/open", headers=one)
        assert refused.status_code == 401 and refused.json()["status"] == 401
        assert httpx.post(f"{a.root_url}/ns/one/api/human/tasks/open/externalUser/x", headers=one).status_code == 200
        two = {"X-Authorization": token(b, ns="/ns/two")}
        assert httpx.get(f"{a.root_url}/ns/two/api/human/tasks/open", headers=two).json()["state"] == "ASSIGNED"
        assert httpx.get(f"{b.root_url}/ns/one/api/human/tasks/open", headers=one).json()["state"] == "IN_PROGRESS"
        assert httpx.post(f"{b.root_url}/ns/one/_mock/clock", json={"advance": "P1D"}).status_code == 200
        assert httpx.get(f"{a.root_url}/ns/one/_mock/clock").json()["now"] == "2026-01-02T09:00:00Z"
        assert httpx.get(f"{a.root_url}/ns/two/_mock/clock").json()["now"] == "2026-01-01T09:00:00Z"
        dropped = httpx.delete(f"{a.root_url}/_mock/namespaces/one")
        assert dropped.status_code == 200
        names = [n["name"] for n in httpx.get(f"{b.root_url}/_mock/namespaces").json()["namespaces"]]
        assert names == ["default", "two"]
        again = httpx.get(f"{b.root_url}/ns/one/api/human/tasks/open", headers=one)  # made again, afresh (its
        assert (again.status_code, again.json()["state"]) == (200, "ASSIGNED")  # signing key is the name's)
    finally:
        a.stop()
        b.stop()


def test_two_workers_on_one_port_serve_one_world(redis: RedisServer) -> None:
    mock = serve(redis, "--workers", "2")
    try:
        processes: set[str] = set()
        deadline = time.monotonic() + 30
        while len(processes) < 2 and time.monotonic() < deadline:
            with httpx.Client() as fresh:  # a new connection: the kernel hands it to either worker
                processes.add(fresh.get(f"{mock.root_url}/_mock/health").headers["x-mock-process"])
        assert len(processes) == 2 and str(mock.process.pid) not in processes
        h = {"X-Authorization": token(mock)}
        assert httpx.post(f"{mock.base_url}/human/tasks/open/externalUser/w", headers=h).status_code == 200
        for _ in range(20):
            with httpx.Client() as fresh:
                assert fresh.get(f"{mock.base_url}/human/tasks/open", headers=h).json()["claimant"]["user"] == "w"
    finally:
        mock.stop()


def test_an_unreachable_store_is_refused_at_start_with_what_to_do() -> None:
    port = free_port()  # nothing listens there
    run = subprocess.run([sys.executable, "-m", "mockserver", "serve", "--port", str(free_port()), "--store",
                          f"redis://127.0.0.1:{port}/0"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run
    assert f"cannot reach Redis at redis://127.0.0.1:{port}/0" in run.stderr and "Start one" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


@pytest.mark.parametrize("bad", ["redis://", "http://127.0.0.1:6379", "redis://127.0.0.1:6379/0?prefix=a:b"])
def test_a_bad_store_url_is_refused_at_start(bad: str) -> None:
    run = subprocess.run([sys.executable, "-m", "mockserver", "serve", "--port", str(free_port()), "--store", bad],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "bad --store" in run.stderr and "Traceback" not in run.stderr


def test_workers_need_a_shared_store() -> None:
    run = subprocess.run([sys.executable, "-m", "mockserver", "serve", "--port", str(free_port()), "--workers", "2"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "--workers N needs a shared store" in run.stderr


def test_a_store_that_goes_away_answers_503_with_the_orkes_body_and_comes_back(redis: RedisServer) -> None:
    mock = serve(redis)
    try:
        h = {"X-Authorization": token(mock)}
        assert httpx.post(f"{mock.base_url}/human/tasks/open/externalUser/before", headers=h).status_code == 200
        redis.stop()
        for method, url in (("GET", f"{mock.base_url}/human/tasks/open"),
                            ("POST", f"{mock.base_url}/human/tasks/open/release"),
                            ("GET", f"{mock.root_url}/_mock/health")):
            began = time.monotonic()
            reply = httpx.request(method, url, headers=h, timeout=30)
            assert time.monotonic() - began < 10  # never a hang
            body = reply.json()
            assert (reply.status_code, body["status"]) == (503, 503), reply.text
            assert "store is unavailable" in body["message"] and "Traceback" not in reply.text
        assert "Traceback" not in mock.output()
        back = start_redis(redis.folder, port=redis.port)  # the same files: everything acknowledged is there
        redis.process = back.process
        task = httpx.get(f"{mock.base_url}/human/tasks/open", headers=h).json()
        assert (task["state"], task["claimant"]["user"]) == ("IN_PROGRESS", "before")
    finally:
        mock.stop()
