"""Claims are atomic over real sockets: of N concurrent claims on one task, exactly one wins."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.livemock import live_mock

TRIALS = 50
CLAIMERS = 32


def scenario(path: Path) -> Path:
    tasks = "\n".join(
        f"  - {{taskId: race-{n}, ownerApp: racer, humanTaskDef: {{assignments: "
        f"[{{assignee: {{user: crowd, userType: EXTERNAL_GROUP}}}}]}}}}"
        for n in range(TRIALS)
    )
    path.write_text(
        "name: race\ndescription: one task per trial, assigned to an external group so that any user matches\n"
        "applications:\n  - {id: racer, keys: [{keyId: racer-key, keySecret: racer-secret}]}\n"
        f"tasks:\n{tasks}\n", encoding="utf-8")
    return path


def post(url: str, token: str = "", body: bytes | None = None) -> tuple[int, dict[str, object]]:
    headers = {"X-Authorization": token} if token else {"content-type": "application/json"}
    request = urllib.request.Request(url, data=body if body is not None else b"", method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            status, raw = reply.status, reply.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    return status, json.loads(raw)


@pytest.mark.live
def test_exactly_one_of_many_concurrent_claims_wins(tmp_path: Path) -> None:
    with live_mock(scenario(tmp_path / "race.yaml")) as mock:
        _, token_reply = post(f"{mock.base_url}/token", body=b'{"keyId":"racer-key","keySecret":"racer-secret"}')
        token = str(token_reply["token"])
        winners_per_trial: list[int] = []
        for trial in range(TRIALS):
            url = f"{mock.base_url}/human/tasks/race-{trial}/externalUser/"
            barrier = threading.Barrier(CLAIMERS)
            results: list[tuple[str, int, dict[str, object]]] = []
            lock = threading.Lock()

            def claim(user: str, url: str = url, barrier: threading.Barrier = barrier,
                      results: list[tuple[str, int, dict[str, object]]] = results,
                      lock: threading.Lock = lock) -> None:
                barrier.wait()
                status, body = post(url + user, token)
                with lock:
                    results.append((user, status, body))

            threads = [threading.Thread(target=claim, args=(f"user-{i}",)) for i in range(CLAIMERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

            winners = [(user, body) for user, status, body in results if status == 200]
            losers = [(status, body) for _, status, body in results if status != 200]
            assert len(results) == CLAIMERS
            assert len(winners) == 1, f"trial {trial}: {len(winners)} winners"
            assert all(status == 400 and "already claimed" in str(body["message"]) for status, body in losers), losers
            user, entry = winners[0]
            assert entry["claimant"] == {"user": user, "userType": "EXTERNAL_USER"}
            winners_per_trial.append(len(winners))
        assert winners_per_trial == [1] * TRIALS
