"""A scenario's `faults:` block: shape-checked like the rest, operationIds checked, returned as rules."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pytest
import yaml
from jsonschema import Draft202012Validator

from mockserver.domain import SequentialIds
from mockserver.domain.faults import FIELDS as FAULT_FIELDS
from mockserver.domain.faults import FaultRule, Operations
from mockserver.scenarios import ScenarioError, check_scenario, load_scenario
from tests.conftest import HTTP_WORLD
from tests.scenarios.support import ROOT, load, problems_of, schema


def test_schema_fault_matches_the_control_planes_fault_rule() -> None:
    api = yaml.safe_load((ROOT / "control-openapi.yaml").read_text(encoding="utf-8"))
    fields = api["components"]["schemas"]["FaultFields"]["properties"]
    fault = schema()["$defs"]["fault"]

    assert list(fault["properties"]) == list(FAULT_FIELDS) == list(fields)
    assert fault["required"] == api["components"]["schemas"]["FaultRule"]["required"]
    for name, field in fields.items():
        limits = {k: v for k, v in field.items() if k in ("type", "minimum", "maximum", "minLength", "default")}
        assert {k: v for k, v in fault["properties"][name].items() if k in limits} == limits, name


FAULTS: Final = """
description: faults ride along
faults:
  - {operationId: claimTask, taskId: t, nth: 2, times: 1, status: 503, message: busy}
  - {operationId: updateTaskOutput, drop: true, latencyMs: 5}
  - {operationId: search, latencyMs: 1500, times: 0}
  - {operationId: getTask, status: 500, drop: false}
tasks: [{taskId: t}]
"""


def test_faults_are_accepted_and_left_to_the_control_plane(tmp_path: Path) -> None:
    path = tmp_path / "faulty.yaml"
    path.write_text(FAULTS, encoding="utf-8")

    assert check_scenario(path) == []
    assert load(FAULTS).seed == load("description: faults ride along\ntasks: [{taskId: t}]\n").seed
    assert Draft202012Validator(schema()).is_valid(yaml.safe_load(FAULTS))


def test_faults_the_loader_accepts_are_returned_as_the_rules_the_control_plane_arms() -> None:
    rules = load(FAULTS).faults

    assert [r.to_json() for r in rules] == [
        {"operationId": "claimTask", "taskId": "t", "nth": 2, "times": 1, "status": 503, "message": "busy"},
        {"operationId": "updateTaskOutput", "nth": 1, "times": 1, "latencyMs": 5, "drop": True},
        {"operationId": "search", "nth": 1, "times": 0, "latencyMs": 1500},
        {"operationId": "getTask", "nth": 1, "times": 1, "status": 500,
         "message": "Injected fault: status 500 for getTask"},
    ]


@pytest.mark.parametrize(
    ("fault", "path", "message"),
    [
        ("{operationId: search, status: 503, drop: true}", "faults[0].drop",
         "a fault either replies with a status or drops the connection, not both"),
        ("{operationId: search, message: busy, drop: true}", "faults[0].message", "a message goes with a status"),
        ("{operationId: search, nth: 2}", "faults[0]",
         "a fault needs an effect: `status` (with an optional `message`), `latencyMs`, or `drop: true`"),
        ("{operationId: search, drop: false}", "faults[0]",
         "a fault needs an effect: `status` (with an optional `message`), `latencyMs`, or `drop: true`"),
        ("{operationId: search, status: 302}", "faults[0].status", "must be at least 400, got 302"),
        ("{operationId: search, latencyMs: 300001}", "faults[0].latencyMs", "must be at most 300000, got 300001"),
        ("{operationId: '', drop: true}", "faults[0].operationId", "must not be empty"),
        ("{taskId: t, drop: true}", "faults[0]", "missing required key 'operationId'"),
        ("{operationId: search, stauts: 500}", "faults[0].stauts", "unknown key 'stauts'. Did you mean 'status'?"),
    ],
)
def test_fault_shape_problems_read_like_the_control_planes(fault: str, path: str, message: str) -> None:
    problems = problems_of(f"faults:\n  - {fault}\n")

    assert (path, message, 2) in [(p.path, p.message, p.line) for p in problems]


def test_a_missing_effect_is_not_reported_over_a_broken_field() -> None:
    problems = problems_of("faults: [{operationId: search, drop: yes please}]\n")

    assert [(p.path, p.message) for p in problems] == [("faults[0].drop", "expected true or false, got 'yes please'")]


# -- parsed once, with the rest of the document -----------------------------------------------------------------

FAULTY: Final = HTTP_WORLD.read_text(encoding="utf-8") + """
faults:
  - {operationId: assignAndClaim, taskId: ext, status: 503, message: from the scenario}
  - operationId: search
    latencyMs: 5
    times: 0
"""


def test_the_faults_block_is_parsed_with_the_rest_keeping_every_line_number() -> None:
    rules = load_scenario(Path("faulty.yaml"), ids=SequentialIds(), now_ms=0, text=FAULTY).faults
    assert rules == (FaultRule("assignAndClaim", task_id="ext", status=503, message="from the scenario"),
                     FaultRule("search", latency_ms=5, times=0))
    broken = FAULTY.replace("state: IN_PROGRESS", "state: IN_PROGES", 1)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(Path("faulty.yaml"), ids=SequentialIds(), now_ms=0, text=broken)
    line = FAULTY.splitlines().index("    state: IN_PROGRESS") + 1
    assert [p.line for p in caught.value.problems] == [line]


def test_json_scenarios_may_declare_faults_too() -> None:
    scenario = load_scenario(Path("x.json"), ids=SequentialIds(), now_ms=0,
                             text='{"faults": [{"operationId": "search", "drop": true}], "name": "x"}')
    assert (scenario.faults, scenario.seed.name) == ((FaultRule("search", drop=True),), "x")
    scenario = load_scenario(Path("y.json"), ids=SequentialIds(), now_ms=0, text='{"name": "y", "faults": []}')
    assert (scenario.faults, scenario.seed.name) == ((), "y")


def test_bad_faults_in_a_scenario_are_reported_by_line_with_the_scenarios_own_problems() -> None:
    text = ("name: bad\ntasks:\n  - taskId: a\n    state: IN_PROGES\nfaults:\n  - operationId: claimTsk\n"
            "    status: 503\n  - {operationId: search, nth: 0, drop: true}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario("bad.yaml", ids=SequentialIds(), now_ms=0, text=text)
    assert [(p.line, p.path, p.message.split(".")[0]) for p in caught.value.problems] == [
        (4, "tasks[0].state", "'IN_PROGES' is not a valid state"),
        (6, "faults[0].operationId", "unknown operation 'claimTsk'"),
        (8, "faults[1].nth", "must be at least 1, got 0"),
    ]
    with pytest.raises(ScenarioError, match=r"bad.yaml:2: faults: expected a list of faults"):
        load_scenario("bad.yaml", ids=SequentialIds(), now_ms=0, text="name: bad\nfaults: {operationId: search}\n")


def test_a_scenario_without_faults_has_none_and_a_broken_one_is_reported_by_the_parser() -> None:
    assert load_scenario(HTTP_WORLD, ids=SequentialIds(), now_ms=0).faults == ()
    assert [(p.line, p.message) for p in problems_of("faults: [unclosed")] == [
        (1, "invalid YAML: expected ',' or ']', but got '<stream end>'")]
    assert [p.message.split(" (")[0] for p in problems_of("- faults")] == ["the top level must be a mapping of keys"]


# -- `conductor-mock check` knows faults ---------------------------------------------------------------------


def test_check_reports_a_fault_on_an_unknown_operation_with_a_did_you_mean(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("description: a typo\nfaults:\n  - {operationId: claimTsk, status: 503}\n", encoding="utf-8")

    [problem] = check_scenario(path)

    assert (problem.line, problem.path, problem.message) == (
        3, "faults[0].operationId", "unknown operation 'claimTsk'. Did you mean 'claimTask'?")
    assert problem.hint is not None and problem.hint.startswith("operationIds of openapi.yaml: ")
    assert "claimTask" in problem.hint.split(", ")


def test_check_reports_a_task_id_for_an_operation_without_one(tmp_path: Path) -> None:
    path = tmp_path / "task.yaml"
    path.write_text("faults: [{operationId: search, taskId: t, drop: true}]\n", encoding="utf-8")

    assert [(p.line, p.path, p.message) for p in check_scenario(path)] == [
        (1, "faults[0].taskId", "operation 'search' has no {taskId} in its path, so no call of it is for one task")]


def test_an_unknown_operation_is_reported_next_to_the_faults_shape_problems() -> None:
    problems = problems_of("faults:\n  - {operationId: claimTsk, nth: 0, status: 503}\n")

    assert [(p.path, p.message.split(".")[0]) for p in problems] == [
        ("faults[0].nth", "must be at least 1, got 0"), ("faults[0].operationId", "unknown operation 'claimTsk'")]


def test_the_operations_a_fault_may_name_can_be_given() -> None:
    mine = Operations(frozenset({"claimTsk"}))
    text = "faults: [{operationId: claimTsk, taskId: t, drop: true}]\n"

    scenario = load_scenario("mine.yaml", ids=SequentialIds(), now_ms=0, text=text, operations=mine)

    assert scenario.faults == (FaultRule("claimTsk", task_id="t", drop=True),)
    with pytest.raises(ScenarioError, match="unknown operation 'claimTsk'"):
        load_scenario("mine.yaml", ids=SequentialIds(), now_ms=0, text=text)
