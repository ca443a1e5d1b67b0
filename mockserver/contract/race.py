"""The race check: N concurrent claims on one fresh human task. Exactly one may win (200); every other
claim is refused with 400 and the Orkes error body; the task ends claimed by the winner.

The task is assigned to an EXTERNAL_GROUP, so every claimed-for user matches and only the lock decides.
All claims are released at once from a barrier, each on its own connection.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter

import httpx

from mockserver.contract import rules
from mockserver.contract.provision import HumanTaskSpec, SetupFailed, build
from mockserver.contract.report import Emit, Finding, Result
from mockserver.contract.sessions import Exchange, segment
from mockserver.contract.target import Target

PART = "race"
NAME = "concurrent-claims"


def run(target: Target, emit: Emit, *, claims: int = 32) -> Result:
    started = time.monotonic()
    result = Result(PART, NAME)
    owner = target.owner
    try:
        built = build(owner, f"contract_{target.run_id}_race", HumanTaskSpec(
            assignments=[{"user": f"crowd-{target.run_id}", "userType": "EXTERNAL_GROUP"}],
            display_name="Contract race"), form=target.form(), input={"scenario": "race"},
            wait_seconds=target.wait_seconds)
    except SetupFailed as error:
        result.error(f"could not create a fresh task: {error}")
        emit(f"[{PART}] ERROR {result.reason}")
        return result
    url = f"{owner.base_url}/human/tasks/{segment(built.task_id)}/externalUser/"
    emit(f"[{PART}] {claims} concurrent claims on task {built.task_id} …")
    replies = _fire(url, [f"racer-{i}-{target.run_id}" for i in range(claims)], owner.headers())
    result.checks = len(replies)
    winners = [user for user, exchange in replies if exchange.status == 200]
    counts = Counter(exchange.status for _, exchange in replies)
    tally = ", ".join(f"{n} × {status}" for status, n in sorted(counts.items()))
    if len(winners) != 1 or counts.get(400, 0) != claims - 1:
        sample = next((e for _, e in replies if e.status != 400), replies[0][1])
        result.fail(Finding(rules.SINGLE_WINNER, f"{claims} × POST {url}<user>",
                            f"exactly one 200 and {claims - 1} × 400", f"{tally}; winners: {winners[:5] or 'none'}",
                            f"e.g. {sample.request_line} -> {sample.brief(160)}"))
    for _, exchange in replies:
        for violation in rules.error_reply(exchange.status, exchange.content_type, exchange.text):
            result.fail(Finding(violation.rule, exchange.request_line, violation.expected, violation.got))
            break
    if len(winners) == 1:
        read = Exchange.of(owner.get(f"/human/tasks/{segment(built.task_id)}"))
        entry = read.json() if read.status == 200 else None
        for violation in rules.claimed(entry, {"user": winners[0], "userType": "EXTERNAL_USER"}):
            result.fail(Finding(rules.SINGLE_WINNER, read.request_line, f"the winner, {violation.expected}",
                                violation.got))
    result.duration = time.monotonic() - started
    verdict = "PASS" if not result.findings else f"FAILED ({', '.join(dict.fromkeys(f.rule for f in result.findings))})"
    emit(f"[{PART}] {tally}: {verdict}  [{result.duration:.1f}s]")
    return result


def _fire(url: str, users: list[str], headers: dict[str, str]) -> list[tuple[str, Exchange]]:
    barrier = threading.Barrier(len(users))
    replies: list[tuple[str, Exchange]] = []
    lock = threading.Lock()

    def claim(user: str) -> None:
        with httpx.Client(timeout=30.0) as http:
            with contextlib.suppress(httpx.HTTPError):  # connect before the barrier, so the claims leave together
                http.get(url.rsplit("/human/", 1)[0] + "/human/tasks/search")
            with contextlib.suppress(threading.BrokenBarrierError):  # a thread failed to start: claim anyway
                barrier.wait(timeout=30)
            try:
                exchange = Exchange.of(http.post(url + segment(user), headers=headers))
            except httpx.HTTPError as error:
                exchange = Exchange("POST", url + user, 0, "", f"transport error: {error}")
        with lock:
            replies.append((user, exchange))

    threads = [threading.Thread(target=claim, args=(user,), daemon=True) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return replies
