"""The transition journal: what it records, its bound, its filters, and GET/DELETE /_mock/journal."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace

import pytest
from starlette.testclient import TestClient

from mockserver.app import build_app
from mockserver.control.journal import Journal, JournalEntry, action_of
from mockserver.domain import ActionLog, HumanTask, LogAction, TaskState
from mockserver.generate import generate_tasks
from tests.conftest import HTTP_WORLD, Api
from tests.control.support import Unchanged, assert_error

TASK = HumanTask("t1", TaskState.ASSIGNED, created_on=1, updated_on=1, updated_by="system")


def changed(task: HumanTask, state: TaskState, who: str, *logs: LogAction) -> HumanTask:
    added = tuple(ActionLog(f"log-{i}", state, 2, action, who) for i, action in enumerate(logs))
    return replace(task, state=state, updated_by=who, action_logs=(*task.action_logs, *added))


def test_an_entry_names_time_actor_task_states_action_and_request() -> None:
    journal = Journal(10)
    after = changed(TASK, TaskState.IN_PROGRESS, "alice@example.com", LogAction.CLAIM)
    entry = journal.record_change(TASK, after, now_ms=1234, request_id="req-1")
    assert entry.to_json() == {"seq": 1, "time": 1234, "actor": "alice@example.com", "taskId": "t1",
                               "from": "ASSIGNED", "to": "IN_PROGRESS", "action": "CLAIM", "requestId": "req-1"}
    made = JournalEntry(1, 1234, "alice@example.com", "t1", "ASSIGNED", "IN_PROGRESS", "CLAIM", "req-1")
    assert type(entry) is JournalEntry and entry == made and repr(entry) == repr(made) and hash(entry) == hash(made)
    with pytest.raises(FrozenInstanceError):
        entry.actor = "mallory"  # type: ignore[misc]


def test_the_new_logs_of_a_generated_task_are_found_after_its_own() -> None:
    task = next(t for t in generate_tasks(20, now_ms=1_767_258_000_000) if t.state is TaskState.ASSIGNED)
    after = changed(task, TaskState.IN_PROGRESS, "bob", LogAction.CLAIM)  # its logs, made when read, then one
    assert action_of(task, after) == "CLAIM"
    assert action_of(after, changed(after, TaskState.IN_PROGRESS, "bob")) == "UPDATE"


@pytest.mark.parametrize(("state", "logs", "action"), [
    (TaskState.ASSIGNED, (LogAction.RELEASE, LogAction.ASSIGNMENT), "RELEASE"),  # the first new log entry
    (TaskState.COMPLETED, (), "COMPLETE"),
    (TaskState.IN_PROGRESS, (), "UPDATE"),
])
def test_the_action_comes_from_the_action_log_else_the_state(state: TaskState, logs: tuple[LogAction, ...],
                                                              action: str) -> None:
    assert action_of(TASK, changed(TASK, state, "bob", *logs)) == action


def test_the_journal_is_bounded_and_keeps_the_newest() -> None:
    journal, size, extra = Journal(5), 5, 3
    for i in range(size + extra):
        journal.record_change(TASK, changed(TASK, TaskState.ASSIGNED, f"user-{i}"), now_ms=i, request_id=None)
    kept = journal.entries()
    assert len(journal) == size and journal.capacity == size
    assert [e.seq for e in kept] == list(range(extra + 1, size + extra + 1))
    assert [e.actor for e in kept] == [f"user-{i}" for i in range(extra, size + extra)]
    assert journal.oldest_seq() == extra + 1 and journal.last_seq == size + extra


def test_filters_since_task_and_limit_and_clear_keeps_counting() -> None:
    journal = Journal(100)
    other = replace(TASK, task_id="t2")
    for i in range(6):
        task = TASK if i % 2 == 0 else other
        journal.record_change(task, changed(task, TaskState.ASSIGNED, "x"), now_ms=i, request_id=None)
    assert [e.seq for e in journal.entries(task_id="t2")] == [2, 4, 6]
    assert [e.seq for e in journal.entries(since=4)] == [5, 6]
    assert [e.seq for e in journal.entries(limit=2)] == [5, 6]
    assert journal.clear() == 6 and journal.entries() == [] and journal.oldest_seq() is None
    marker = journal.record_event("RESET", now_ms=9, actor="control", request_id=None)
    assert (marker.seq, marker.task_id, marker.from_state) == (7, None, None)


def test_a_journal_needs_room() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Journal(0)


# -- over HTTP ------------------------------------------------------------------------------------------------


def test_every_change_is_journaled_with_the_request_id_of_its_call(api: Api) -> None:
    claim = api.call("POST", "/human/tasks/ext/externalUser/alice@example.com", "owner",
                     headers={"X-Request-Id": "my-claim-1"})
    assert claim.status_code == 200 and claim.headers["x-request-id"] == "my-claim-1"
    release = api.call("POST", "/human/tasks/ext/release", "owner")
    generated = release.headers["x-request-id"]
    assert generated.startswith("00000000-0000-4000-8000-ffff")
    update = api.call("POST", "/human/tasks/claimed/update", "admin", params={"complete": "true"}, json={"ok": 1})
    assert update.status_code == 200

    reply = api.client.get("/_mock/journal")
    assert reply.status_code == 200
    body = reply.json()
    assert [(e["taskId"], e["from"], e["to"], e["action"], e["actor"], e["requestId"]) for e in body["entries"]] == [
        ("ext", "ASSIGNED", "IN_PROGRESS", "CLAIM", "owner-app", "my-claim-1"),
        ("ext", "IN_PROGRESS", "ASSIGNED", "RELEASE", "owner-app", generated),
        ("claimed", "IN_PROGRESS", "COMPLETED", "COMPLETE", "admin@example.com", update.headers["x-request-id"]),
    ]
    assert all(e["time"] == api.world.clock.now_ms() for e in body["entries"])
    assert (body["capacity"], body["size"], body["lastSeq"], body["oldestSeq"]) == (10_000, 3, 3, 1)

    only_ext = api.client.get("/_mock/journal", params={"taskId": "ext", "since": 1}).json()["entries"]
    assert [e["seq"] for e in only_ext] == [2]
    assert [e["seq"] for e in api.client.get("/_mock/journal?limit=1").json()["entries"]] == [3]


def test_a_refused_call_leaves_no_entry(api: Api) -> None:
    assert api.call("POST", "/human/tasks/done/claim", "admin").status_code == 400
    assert api.client.get("/_mock/journal").json()["entries"] == []


def test_the_journal_follows_the_world_across_resets(api: Api) -> None:
    api.client.post("/_mock/reset")
    assert api.call("POST", "/human/tasks/ext/externalUser/alice@example.com", "owner").status_code == 200
    actions = [(e["action"], e["taskId"], e["actor"]) for e in api.client.get("/_mock/journal").json()["entries"]]
    assert actions == [("RESET", None, "control"), ("CLAIM", "ext", "owner-app")]


def test_journal_size_is_configurable_and_bounds_the_http_journal() -> None:
    size, extra = 3, 4
    with TestClient(build_app(HTTP_WORLD, journal_size=size)) as client:
        api = Api(client, client.app)  # type: ignore[arg-type]
        for i in range(size + extra):
            verb = "release" if i % 2 else "externalUser/alice@example.com"
            assert api.call("POST", f"/human/tasks/ext/{verb}", "owner").status_code == 200
        body = client.get("/_mock/journal").json()
    assert [e["seq"] for e in body["entries"]] == list(range(extra + 1, size + extra + 1))
    assert (body["capacity"], body["size"], body["lastSeq"], body["oldestSeq"]) == (size, size, size + extra, extra + 1)


def test_clearing_the_journal(api: Api) -> None:
    api.call("POST", "/human/tasks/ext/externalUser/alice@example.com", "owner")
    reply = api.client.delete("/_mock/journal")
    assert (reply.status_code, reply.json()) == (200, {"cleared": 1, "lastSeq": 1})
    assert api.client.get("/_mock/journal").json()["entries"] == []


@pytest.mark.parametrize(("query", "fragment"), [
    ("since=-1", "query parameter 'since'"), ("limit=0", "query parameter 'limit'"), ("limit=x", "expected an integer"),
])
def test_bad_journal_queries_are_refused(api: Api, query: str, fragment: str) -> None:
    with Unchanged(api):
        body = assert_error(api.client.get(f"/_mock/journal?{query}"), 400, fragment)
    assert body["validationErrors"][0]["path"] in ("since", "limit")
