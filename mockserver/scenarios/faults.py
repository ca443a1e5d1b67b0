"""The `faults:` block of a scenario: rules the control plane arms at every load and reset (docs/control.md).

Its shape is checked with the rest of the document (`$defs.fault` of the schema); here each rule's operationId
is checked against the operations of openapi.yaml (with a did-you-mean), and the rules of a valid block are
built, in file order. One rule per item:

    faults:
      - {operationId: claimTask, taskId: invoice-approval-1001, nth: 2, times: 1, status: 503, message: busy}
      - {operationId: updateTaskOutput, drop: true}
      - {operationId: search, latencyMs: 1500, times: 0}
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Final

from mockserver import resources
from mockserver.domain.faults import (
    FaultInvalid,
    FaultProblem,
    FaultRule,
    Operations,
    operation_problems,
    operations_of,
    parse_rule,
)
from mockserver.scenarios.document import Document

KEY: Final = "faults"


@functools.cache
def shipped_operations() -> Operations:
    """The operations of the shipped openapi.yaml (read once, and only for a scenario that declares faults)."""
    return operations_of(resources.openapi_document())


def check_faults(doc: Document, data: Mapping[str, Any], operations: Operations | None) -> None:
    """Report each rule that names an unknown operation, or a taskId for an operation without a `{taskId}`.
    Runs next to the shape pass, on every rule that is a mapping (its other fields are the schema's to check)."""
    items = data.get(KEY)
    if not isinstance(items, list) or not items:
        return
    known = operations or shipped_operations()
    for i, item in enumerate(items):
        if isinstance(item, dict):
            _report(doc, operation_problems(item, known, (KEY, i)))


def read_faults(doc: Document, data: Mapping[str, Any], operations: Operations | None) -> tuple[FaultRule, ...]:
    """The rules of a checked `faults:` block, in file order (`()` without one)."""
    items = data.get(KEY) or []
    if not items:
        return ()
    known = operations or shipped_operations()
    rules: list[FaultRule] = []
    for i, item in enumerate(items):
        try:
            rules.append(parse_rule(item, known, (KEY, i)))
        except FaultInvalid as invalid:  # the schema and the rule parser agree; should they not, say so anyway
            _report(doc, invalid.problems)
    return tuple(rules)


def _report(doc: Document, problems: list[FaultProblem]) -> None:
    for problem in problems:
        doc.report(problem.path, problem.message, problem.hint)
