"""Memory bounds (issue 15): the encoded-answer memos are bounded in bytes and keep one entry per task (its JSON,
its definition, its current log entries: nothing a rewrite or the bounded log let go), a task's action log keeps
its first entry and its last MAX_ACTION_LOGS, the verified-token memory is small, and a client gone mid-body is
dropped quietly."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

import pytest
from starlette.types import Message

from mockserver.control.journal import action_of
from mockserver.domain import (
    ApiKey,
    Assignment,
    AuthSettings,
    Directory,
    HumanTask,
    HumanTaskDef,
    ManualClock,
    Principal,
    PrincipalKind,
    SequentialIds,
    TaskUser,
    TokenService,
    UserType,
)
from mockserver.domain.identity import VERIFIED_TOKENS
from mockserver.domain.lifecycle import new_task, transitions
from mockserver.domain.lifecycle.logs import MAX_ACTION_LOGS
from mockserver.web import wire
from mockserver.web.memo import MEMO_BYTES, ByteMemo
from tests.conftest import Api

ANN = TaskUser("ann", UserType.EXTERNAL_USER)
OWNER = Principal("owner-app", PrincipalKind.APPLICATION)


def large_task() -> HumanTask:
    task = new_task("big-1", HumanTaskDef(assignments=(Assignment(ANN, 5),)), now=0, ids=SequentialIds(1),
                    created_by="owner-app", definition_name="review")
    return replace(task, input={"blob": "x" * 200_000})


# -- the memos ------------------------------------------------------------------------------------------

def test_rewriting_one_large_task_keeps_one_entry_and_bounded_bytes() -> None:
    task = large_task()
    wire.task_json(task)
    entries, used = len(wire._TASKS), wire._TASKS.bytes
    for n in range(500):
        task = replace(task, output={"n": n})
        assert b'"output":{"n":%d}' % n in wire.task_json(task)  # the current version, never an old one
    assert len(wire._TASKS) == entries
    assert wire._TASKS.bytes <= max(used, wire._TASKS.max_bytes)
    assert abs(wire._TASKS.bytes - used) < 1_000  # one version's cost, not 500


def test_the_memos_together_stay_within_the_documented_budget() -> None:
    memos: list[ByteMemo[Any, Any]] = [wire._TASKS, wire._ENTRY_JSON, wire._DEFINITIONS, wire._LOGS]
    assert sum(m.max_bytes for m in memos) <= MEMO_BYTES == 64 * 1024 * 1024


def test_a_memo_drops_the_least_recently_used_beyond_its_budget() -> None:
    memo: ByteMemo[str, bytes] = ByteMemo(100, len)
    sources = [f"s{n}" for n in range(4)]
    for n, source in enumerate(sources):
        memo.get(n, source, lambda s: s.encode() * 10)  # 20 bytes each
    memo.get(0, sources[0], lambda s: b"rebuilt")  # a hit: used again, nothing rebuilt
    memo.get(9, "big", lambda s: b"y" * 50)
    assert memo.bytes == 90 and len(memo) == 3  # 1 and 2 went; 3, 0 (used again) and 9 stayed
    assert memo.get(0, sources[0], lambda s: b"rebuilt") == b"s0" * 10
    assert memo.get(1, sources[1], lambda s: b"rebuilt") == b"rebuilt"


def test_a_value_larger_than_the_budget_is_handed_out_not_kept() -> None:
    memo: ByteMemo[str, bytes] = ByteMemo(10, len)
    memo.get("a", "a", lambda s: b"small")
    assert memo.get("a", "b", lambda s: b"z" * 11) == b"z" * 11
    assert len(memo) == 0 and memo.bytes == 0  # the old version went too: it was not current


def test_a_different_object_under_the_same_key_is_a_miss() -> None:
    memo: ByteMemo[list[int], int] = ByteMemo(100, lambda v: 1)
    first, second = [1], [1]
    assert memo.get("k", first, len) == 1
    assert memo.get("k", second, lambda s: 7) == 7
    assert len(memo) == 1


# -- action logs ----------------------------------------------------------------------------------------

def test_a_claim_release_loop_keeps_the_first_log_and_the_last_ones() -> None:
    task, ids = large_task(), SequentialIds(100)
    first = task.action_logs[0]
    for n in range(300):
        claimed = transitions.claim_for_user(task, OWNER, "ann", override=False, directory=Directory((OWNER,)),
                                             now=n, ids=ids)
        assert action_of(task, claimed) == "CLAIM"  # the journal still names the action once the log is full
        task = transitions.release(claimed, OWNER, now=n, ids=ids)
        assert action_of(claimed, task) == "RELEASE"
    assert len(task.action_logs) == MAX_ACTION_LOGS + 1 == 201
    assert task.action_logs[0] is first
    assert [e.action.value for e in task.action_logs[-2:]] == ["RELEASE", "ASSIGNMENT"]
    assert task.action_logs[-1].state_start == 299


def claim_release_loop(task: HumanTask, rounds: int, ids: SequentialIds) -> HumanTask:
    for n in range(rounds):
        claimed = transitions.claim_for_user(task, OWNER, "ann", override=False, directory=Directory((OWNER,)),
                                             now=n, ids=ids)
        task = transitions.release(claimed, OWNER, now=n, ids=ids)
        wire.task_json(claimed)
        wire.task_json(task)
    return task


def test_the_log_memo_holds_a_tasks_current_log_only() -> None:
    """It kept every entry it ever encoded until its budget filled (7,000 dead entries in a soak): now one entry
    per task, the task's current log, so what the bounded log drops is let go."""
    task, ids = replace(large_task(), task_id="log-loop-1", input={}), SequentialIds(500)
    task = claim_release_loop(task, 20, ids)
    entries, used = len(wire._LOGS), wire._LOGS.bytes
    task = claim_release_loop(task, 300, ids)
    assert len(task.action_logs) == MAX_ACTION_LOGS + 1
    assert len(wire._LOGS) == entries
    kept = wire._LOGS.peek(task.task_id)
    assert kept is not None and kept[0] is task.action_logs
    assert [e["id"] for e in kept[1]] == [e.id for e in task.action_logs]
    assert wire._LOGS.bytes - used < (MAX_ACTION_LOGS + 1) * 600  # one task's log at most, not 600 entries more
    fresh = wire._dump_task(task)  # what a rebuild without the memo answers
    assert wire.dump_task(task)["input"]["__humanTaskProcessContext"] == fresh["input"]["__humanTaskProcessContext"]


def test_the_definition_memo_keeps_one_entry_per_task() -> None:
    task = replace(large_task(), task_id="def-swap-1", input={})
    wire.task_json(task)
    entries = len(wire._DEFINITIONS)
    for n in range(50):  # a merge replacing the task, with a definition object of its own each time
        task = replace(task, definition=HumanTaskDef(assignments=(Assignment(ANN, n + 1),)))
        assert b'"slaMinutes":%d' % (n + 1) in wire.task_json(task)
    assert len(wire._DEFINITIONS) == entries


def test_the_verified_token_memory_stays_small() -> None:
    tokens = TokenService(Directory((OWNER,), keys=[ApiKey("k", "s", OWNER.id)]), AuthSettings(required=True),
                          ManualClock(0))
    first = tokens.issue("k", "s")
    for _ in range(3 * VERIFIED_TOKENS):
        assert tokens.authenticate(tokens.issue("k", "s")) == OWNER
        assert len(tokens._verified) <= VERIFIED_TOKENS
    assert tokens.authenticate(first) == OWNER  # forgotten, verified again
    assert VERIFIED_TOKENS == 1_024


# -- a client gone mid-body -----------------------------------------------------------------------------

def test_a_client_gone_mid_body_is_dropped_without_an_error_log(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    before = api.snapshot()
    token = api.token("owner")
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/human/tasks/ext/update", "raw_path": b"/api/human/tasks/ext/update",
             "query_string": b"complete=true", "root_path": "", "client": ("127.0.0.1", 1),
             "server": ("testserver", 80), "state": {},
             "headers": [(b"host", b"testserver"), (b"x-authorization", token.encode()),
                         (b"content-type", b"application/json"), (b"content-length", b"20")]}
    with caplog.at_level(logging.ERROR):
        asyncio.run(api.app(scope, receive, send))
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert sent == []  # nothing answered: the client is gone
    assert api.snapshot() == before
