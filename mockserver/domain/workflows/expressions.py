"""`${...}` expressions of workflow definitions, and the context they are resolved in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mockserver.domain.workflows.records import Workflow

_EXPRESSION = re.compile(r"\$\{([^}]+)\}")


def resolve(value: Any, context: Mapping[str, Any]) -> Any:
    """Resolve `${workflow.input.x}` / `${ref.output.x}` expressions in `value` (recursively)."""
    if isinstance(value, str):
        whole = _EXPRESSION.fullmatch(value)
        if whole:
            return _lookup(context, whole.group(1))
        return _EXPRESSION.sub(lambda m: _stringify(_lookup(context, m.group(1))), value)
    if isinstance(value, dict):
        return {k: resolve(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, context) for v in value]
    return value


def context_of(workflow: Workflow) -> dict[str, Any]:
    """What `${workflow.…}` and `${<taskRef>.…}` refer to in `workflow`."""
    context: dict[str, Any] = {
        "workflow": {"input": workflow.input, "variables": workflow.variables, "output": workflow.output,
                     "workflowId": workflow.workflow_id, "correlationId": workflow.correlation_id,
                     "workflowType": workflow.definition.name, "version": workflow.definition.version,
                     "createdBy": workflow.created_by, "status": workflow.status.value,
                     "taskToDomain": workflow.task_to_domain, "createTime": workflow.create_time},
    }
    for run in workflow.tasks:  # in order: a retried task's latest attempt wins
        context[run.ref] = {"input": run.input_data, "output": run.output_data, "taskId": run.task_id,
                            "status": run.status.value, "referenceTaskName": run.ref, "taskType": run.task_type,
                            "retryCount": run.retry_count, "pollCount": run.poll_count, "workerId": run.worker_id,
                            "reasonForIncompletion": run.reason, "domain": run.domain,
                            "scheduledTime": run.scheduled_time, "startTime": run.start_time,
                            "endTime": run.end_time}
    return context


_INDEX = re.compile(r"\[(\d+)\]")


def _lookup(context: Mapping[str, Any], path: str) -> Any:
    """A dotted path (`a.b.0`, or JSONPath's `a.b[0]`, with an optional `$.` root); None where it leads nowhere."""
    current: Any = context
    path = _INDEX.sub(lambda m: "." + m.group(1), path.strip().removeprefix("$."))
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def _stringify(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
