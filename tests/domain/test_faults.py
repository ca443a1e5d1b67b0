"""Fault rules as data: parsing one from its JSON/YAML form, every problem named by its field."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver import resources
from mockserver.domain.faults import (
    FaultInvalid,
    FaultProblem,
    FaultRule,
    operation_problems,
    operations_of,
    parse_rule,
)

OPERATIONS = operations_of(resources.openapi_document())


def test_a_rule_with_defaults() -> None:
    rule = parse_rule({"operationId": "claimTask", "status": 503}, OPERATIONS)
    assert rule == FaultRule("claimTask", status=503)
    assert (rule.nth, rule.times, rule.reply_message()) == (1, 1, "Injected fault: status 503 for claimTask")


@pytest.mark.parametrize(("data", "path", "fragment"), [
    ({"operationId": "claimTsk", "status": 503}, ("operationId",), "unknown operation 'claimTsk'. Did you mean "
                                                                    "'claimTask'?"),
    ({"status": 503}, ("operationId",), "missing required key 'operationId'"),
    ({"operationId": "claimTask"}, (), "a fault needs an effect"),
    ({"operationId": "claimTask", "status": 200}, ("status",), "must be between 400 and 599, got 200"),
    ({"operationId": "claimTask", "status": "503"}, ("status",), "expected an integer, got '503'"),
    ({"operationId": "claimTask", "status": 503, "drop": True}, ("drop",), "either replies with a status or drops"),
    ({"operationId": "claimTask", "nth": 0, "drop": True}, ("nth",), "must be at least 1, got 0"),
    ({"operationId": "claimTask", "times": -1, "drop": True}, ("times",), "must be at least 0, got -1"),
    ({"operationId": "claimTask", "latencyMs": 0}, ("latencyMs",), "must be between 1 and 300000"),
    ({"operationId": "claimTask", "message": "x", "drop": True}, ("message",), "a message goes with a status"),
    ({"operationId": "claimTask", "drop": "yes"}, ("drop",), "expected true or false"),
    ({"operationId": "claimTask", "stauts": 503}, ("stauts",), "unknown key 'stauts'. Did you mean 'status'?"),
    ({"operationId": "search", "taskId": "ext", "drop": True}, ("taskId",), "has no {taskId} in its path"),
    ("claimTask", (), "a fault is a mapping"),
])
def test_bad_rules_are_refused_with_the_field_at_fault(data: Any, path: tuple[str, ...], fragment: str) -> None:
    with pytest.raises(FaultInvalid) as caught:
        parse_rule(data, OPERATIONS)
    assert any(p.path == path and fragment in p.message for p in caught.value.problems), caught.value.problems


def test_the_operations_of_a_document_are_split_by_their_task_id() -> None:
    document = {"paths": {"/t/{taskId}": {"get": {"operationId": "getT"}, "parameters": []},
                          "/s": {"post": {"operationId": "search"}, "summary": "not an operation"}}}

    operations = operations_of(document)

    assert (operations.with_task, operations.without_task) == (frozenset({"getT"}), frozenset({"search"}))
    assert operations.all() == ["getT", "search"] and "getT" in operations and "nope" not in operations


def test_operation_problems_name_only_the_operation_and_task_id() -> None:
    assert operation_problems({"operationId": "claimTask", "nth": "bad"}, OPERATIONS) == []
    assert operation_problems({"operationId": 3, "taskId": 4}, OPERATIONS) == []  # wrong types: the caller's shape
    [unknown] = operation_problems({"operationId": "claimTsk"}, OPERATIONS, ("faults", 0))
    assert (unknown.path, unknown.message) == (("faults", 0, "operationId"),
                                               "unknown operation 'claimTsk'. Did you mean 'claimTask'?")
    assert operation_problems({"operationId": "search", "taskId": "t"}, OPERATIONS) == [FaultProblem(
        ("taskId",), "operation 'search' has no {taskId} in its path, so no call of it is for one task",
        f"leave taskId out, or use one of: {', '.join(sorted(OPERATIONS.with_task))}")]
