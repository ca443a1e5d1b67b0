"""mockserver.generate and `serve --generate-tasks N`: deterministic, varied, consistent, shared, servable."""

from __future__ import annotations

from collections import Counter
from dataclasses import fields, replace
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.testclient import TestClient

from mockserver import generate, resources
from mockserver.app import build_app, prepare
from mockserver.cli import _parser
from mockserver.domain import HumanTask, LogAction, TaskState, UserType
from mockserver.domain.workflows.timers import Timers, sla_due
from mockserver.generate import generate_tasks
from mockserver.web import wire

NOW = 1_767_258_000_000


def test_the_same_arguments_give_the_same_tasks() -> None:
    assert generate_tasks(300, now_ms=NOW, seed=3) == generate_tasks(300, now_ms=NOW, seed=3)
    assert generate_tasks(300, now_ms=NOW, seed=3) != generate_tasks(300, now_ms=NOW, seed=4)
    assert generate_tasks(0, now_ms=NOW) == ()
    with pytest.raises(ValueError, match="negative"):
        generate_tasks(-1, now_ms=NOW)


def test_the_mix_has_every_state_assignee_type_and_many_definitions() -> None:
    tasks = generate_tasks(5000, now_ms=NOW)
    states = Counter(t.state for t in tasks)
    kinds = Counter(t.assignee.user_type if t.assignee else None for t in tasks)
    assert set(states) == set(TaskState)
    assert 0.30 < states[TaskState.ASSIGNED] / len(tasks) < 0.40
    assert set(kinds) == {*UserType, None}
    assert len({t.definition_name for t in tasks}) == 12
    assert len({t.task_id for t in tasks}) == len({t.workflow_id for t in tasks}) == 5000
    assert all(NOW - 90 * 86_400_000 <= t.created_on <= t.updated_on <= NOW for t in tasks)


def test_people_grow_with_the_tasks_so_an_inbox_keeps_its_size() -> None:
    small, large = generate_tasks(2000, now_ms=NOW), generate_tasks(20000, now_ms=NOW)

    def per_user(tasks: tuple[Any, ...]) -> float:
        users = Counter(t.assignee for t in tasks if t.assignee and t.assignee.user_type is UserType.EXTERNAL_USER)
        return sum(users.values()) / len(users)

    assert 0.7 < per_user(small) / per_user(large) < 1.3


def test_each_task_is_consistent_with_its_state() -> None:
    for task in generate_tasks(2000, now_ms=NOW, seed=1):
        definition = task.definition
        if task.assignee is None:
            assert task.assignments_completed and task.assignee_index is None and not definition.assignments
        else:
            assert definition.assignments[0].assignee == task.assignee and task.assignee_index == 0
        claimed = task.state in (TaskState.IN_PROGRESS, TaskState.COMPLETED)
        assert (task.claimant is not None) == claimed
        assert [log.action for log in task.action_logs][-1] == (LogAction.CLAIM if claimed else
                                                                 task.action_logs[0].action)
        assert bool(task.output) == (task.state is TaskState.COMPLETED)


def test_immutable_parts_are_shared() -> None:
    tasks = generate_tasks(5000, now_ms=NOW)
    assert len({id(t.definition) for t in tasks}) < len(tasks) / 2
    assert len({id(t.assignee) for t in tasks if t.assignee}) == len({t.assignee for t in tasks if t.assignee})
    assert len({id(t.definition_name) for t in tasks}) == 12


def test_generated_tasks_are_valid_human_task_entries() -> None:
    document = resources.openapi_document()
    registry: Registry[Any] = Registry().with_resource(
        "urn:spec", Resource.from_contents(document, default_specification=DRAFT202012))
    validator = Draft202012Validator({"$ref": "urn:spec#/components/schemas/HumanTaskEntry"}, registry=registry)
    for task in generate_tasks(200, now_ms=NOW, seed=2):
        errors = list(validator.iter_errors(wire.dump_task(task)))
        assert not errors, (task.task_id, errors[0].message)


def test_serve_adds_them_to_the_scenario_and_keeps_them_on_reset() -> None:
    loaded = prepare(resources.default_scenario(), generate_tasks=250)
    world = loaded.build()
    scenario_ids = {t.task_id for t in loaded.scenario.seed.tasks}
    assert len(world.tasks) == len(scenario_ids) + 250
    assert scenario_ids <= {t.task_id for t in world.tasks.all()}
    assert {t.task_id for t in loaded.build().tasks.all()} == {t.task_id for t in world.tasks.all()}


def test_the_http_api_serves_and_searches_generated_tasks() -> None:
    app = build_app(generate_tasks=500)
    with TestClient(app) as client:
        token = client.post("/api/token", json={"keyId": "admin-key", "keySecret": "admin-secret"}).json()["token"]
        headers = {"X-Authorization": token}
        task = app.state.mock.world.tasks.all()[0]
        assert client.get(f"/api/human/tasks/{task.task_id}", headers=headers).json()["taskId"] == task.task_id
        found = client.post("/api/human/tasks/search", headers=headers,
                            json={"searchType": "ADMIN", "states": ["ASSIGNED"], "size": 5}).json()
        assert found["totalHits"] > 100 and len(found["results"]) == 5


def test_the_cli_takes_a_number_of_tasks() -> None:
    assert _parser().parse_args(["serve", "--generate-tasks", "1000"]).generate_tasks == 1000
    assert _parser().parse_args(["serve"]).generate_tasks == 0
    with pytest.raises(SystemExit):
        _parser().parse_args(["serve", "--generate-tasks", "-5"])


def test_no_sla_is_overdue_when_the_mock_starts() -> None:
    tasks = generate_tasks(3000, now_ms=NOW, seed=6)
    slas = [t.created_on + t.definition.assignments[0].sla_minutes * 60_000 for t in tasks
            if t.definition.assignments and t.definition.assignments[0].sla_minutes]
    assert len(slas) > 100
    assert all(NOW < due <= NOW + 8 * 86_400_000 for due in slas)


def test_a_compact_task_reads_as_the_plain_one_and_a_change_makes_a_plain_one() -> None:
    """Generated tasks make their workflow id and logs when read: the same values a plain HumanTask holds."""
    for task in generate_tasks(300, now_ms=NOW, seed=8)[:60]:
        plain = HumanTask(**{f.name: getattr(task, f.name) for f in fields(HumanTask)})
        assert type(plain) is HumanTask and plain == task and task == plain and repr(plain) == repr(task)
        assert task.workflow_id == "00000000-0000-4000-a000-" + task.task_id[-12:]
        assert task.action_logs == task.action_logs and task.action_logs[0].state_start == task.created_on
        changed = replace(task, state=TaskState.PENDING if task.state is TaskState.DELETED else TaskState.DELETED)
        assert type(changed) is HumanTask and changed.action_logs == task.action_logs
        assert changed != task and changed.workflow_id == task.workflow_id
    ids = [log.id for task in generate_tasks(300, now_ms=NOW, seed=8) for log in task.action_logs]
    assert len(set(ids)) == len(ids)


def test_watching_only_the_escalating_tasks_gives_the_timers_watching_all_gives() -> None:
    tasks = generate_tasks(3000, now_ms=NOW, seed=6)
    watched = generate.with_deadlines(tasks)
    every, some = Timers(), Timers()
    for task in tasks:
        every.track(task)
    for task in watched:
        some.track(task)

    def no_workflows(task_id: str) -> Any:
        raise AssertionError(task_id)

    due = every.due_timers(NOW + 30 * 86_400_000, no_workflows)
    assert len(due) > 100 and some.due_timers(NOW + 30 * 86_400_000, no_workflows) == due
    assert {t.task_id for t in tasks if sla_due(t) is not None} <= {t.task_id for t in watched}
    assert len(watched) < len(tasks) / 4
