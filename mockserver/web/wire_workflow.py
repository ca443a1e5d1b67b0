"""Workflow-side objects ↔ Conductor JSON: workflow definitions, workflow runs and their tasks, task definitions,
as the task API (workers) and the workflow API spell them. The human-task half is `wire.py`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.domain.workflows import TASK_TERMINAL, TaskDef, TaskRun, Workflow, WorkflowDef


def dump_definition(definition: WorkflowDef) -> dict[str, Any]:
    return {**definition.raw, "name": definition.name, "version": definition.version,
            "tasks": list(definition.tasks), "createTime": definition.create_time,
            "updateTime": definition.update_time}


def dump_run(run: TaskRun, workflow: Workflow, input_data: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Conductor Task, with the field names of the SDKs' Task models."""
    out: dict[str, Any] = {
        "taskType": run.task_type,
        "status": run.status.value,
        "inputData": run.input_data if input_data is None else input_data,
        "referenceTaskName": run.ref,
        "retryCount": run.retry_count,
        "seq": run.seq,
        "pollCount": run.poll_count,
        "taskDefName": run.def_name,
        "scheduledTime": run.scheduled_time,
        "startTime": run.start_time,
        "endTime": run.end_time,
        "updateTime": run.update_time,
        "startDelayInSeconds": 0,
        "retried": run.retried,
        "executed": run.status in TASK_TERMINAL,
        "callbackFromWorker": True,
        "responseTimeoutSeconds": run.task_def.response_timeout_seconds if run.task_def else 0,
        "workflowInstanceId": workflow.workflow_id,
        "workflowType": workflow.definition.name,
        "taskId": run.task_id,
        "callbackAfterSeconds": run.callback_after_seconds,
        "outputData": run.output_data,
        "workflowTask": run.workflow_task,
        "rateLimitPerFrequency": 0,
        "rateLimitFrequencyInSeconds": 0,
        "workflowPriority": workflow.priority,
        "iteration": 0,
        "subworkflowChanged": False,
        "loopOverTask": False,
        "queueWaitTime": max(run.start_time - run.scheduled_time, 0),
    }
    if run.reason:
        out["reasonForIncompletion"] = run.reason
    if run.worker_id:
        out["workerId"] = run.worker_id
    if run.retried_task_id:
        out["retriedTaskId"] = run.retried_task_id
    if run.domain:
        out["domain"] = run.domain
    if run.task_def is not None:
        out["taskDefinition"] = task_definition(run)
    return out


def task_definition(run: TaskRun, registered: TaskDef | None = None) -> dict[str, Any]:
    """The `taskDefinition` of a Conductor Task, the one place it is written: the definition the task runs with
    (`run.task_def`, a SIMPLE task's); else, if its workflow task embeds none, `registered` (its type's, as
    Conductor fills in a missing one); else the workflow task's own (a HUMAN task's timeout) over the defaults
    of a TaskDef a real server fills in: no retries, no timeouts, as the mock runs a task without a definition."""
    given = run.workflow_task.get("taskDefinition")
    definition = run.task_def or (None if isinstance(given, dict) else registered)
    if definition is not None:
        return dump_task_def(definition)
    defaults: dict[str, Any] = {
        "name": run.def_name, "retryCount": 0, "timeoutSeconds": 0, "timeoutPolicy": "TIME_OUT_WF",
        "retryLogic": "FIXED", "retryDelaySeconds": 0, "responseTimeoutSeconds": 0, "inputKeys": [],
        "outputKeys": [], "inputTemplate": {}, "concurrentExecLimit": 0, "rateLimitPerFrequency": 0,
        "rateLimitFrequencyInSeconds": 1, "pollTimeoutSeconds": 0, "backoffScaleFactor": 1,
    }
    return {**defaults, **(given if isinstance(given, dict) else {})}


def conductor_task_extras(run: TaskRun, registered: TaskDef | None = None) -> dict[str, Any]:
    """What `GET /tasks/{id}` and `GET /human/tasks/{id}/conductorTask` add to `dump_run`: the Task model's
    `taskDefinition` (see `task_definition`; `registered` is the one registered for the task's type, if any) and
    `firstStartTime` (when the task first started)."""
    return {"taskDefinition": task_definition(run, registered), "firstStartTime": run.start_time}


def dump_task_def(definition: TaskDef) -> dict[str, Any]:
    """A task definition as registered, with the fields conductor-mock reads (defaults filled in)."""
    return {**definition.raw, "name": definition.name, "retryCount": definition.retry_count,
            "retryLogic": definition.retry_logic.value, "retryDelaySeconds": definition.retry_delay_seconds,
            "backoffScaleFactor": definition.backoff_scale_factor,
            "responseTimeoutSeconds": definition.response_timeout_seconds,
            "timeoutSeconds": definition.timeout_seconds, "createTime": definition.create_time,
            "updateTime": definition.update_time}


def result_logs(body: Mapping[str, Any]) -> list[str]:
    """The log lines of a TaskResult's `logs` (`[{log, ...}]`)."""
    return [str(item["log"]) for item in body.get("logs") or () if isinstance(item, dict) and item.get("log")]


def dump_workflow(workflow: Workflow, *, include_tasks: bool = True) -> dict[str, Any]:
    """A Conductor Workflow, with the field names of the SDKs' Workflow models."""
    out: dict[str, Any] = {
        "ownerApp": workflow.owner_app or "",
        "createTime": workflow.create_time,
        "updateTime": workflow.update_time,
        "createdBy": workflow.created_by,
        "status": workflow.status.value,
        "endTime": workflow.end_time,
        "workflowId": workflow.workflow_id,
        "tasks": [dump_run(run, workflow) for run in workflow.tasks] if include_tasks else [],
        "input": workflow.input,
        "output": workflow.output,
        "taskToDomain": workflow.task_to_domain,
        "failedReferenceTaskNames": [r.ref for r in workflow.tasks if r.status.value.startswith("FAILED")],
        "workflowDefinition": dump_definition(workflow.definition),
        "priority": workflow.priority,
        "variables": workflow.variables,
        "lastRetriedTime": 0,
        "failedTaskNames": [r.def_name for r in workflow.tasks if r.status.value.startswith("FAILED")],
        "startTime": workflow.create_time,
        "workflowName": workflow.definition.name,
        "workflowVersion": workflow.definition.version,
    }
    if workflow.correlation_id is not None:
        out["correlationId"] = workflow.correlation_id
    if workflow.reason:
        out["reasonForIncompletion"] = workflow.reason
    return out


def unwrap_output(body: Any) -> dict[str, Any]:
    """The output of `POST /tasks/{wf}/{ref}/{status}`, whichever shape the SDK sent: the map itself (JS
    WorkflowExecutor), `{"result": {...}}` (Python) or `{"outputData": {...}}` (JS TaskClient)."""
    if not isinstance(body, dict):
        return {}
    if len(body) == 1:
        (key, value), = body.items()
        if key in ("result", "outputData") and isinstance(value, dict):
            return value
    return body
