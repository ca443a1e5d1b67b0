"""Domain objects ↔ Orkes JSON. The only module that spells wire field names.

Tasks, definitions and log entries are immutable, so their JSON-ready dicts are kept (`memo.ByteMemo`, bounded in
bytes, one entry per task id) and handed out again: a GET of an unchanged task, or a search page of unchanged tasks,
builds nothing. The dicts this module returns may therefore be shared: read them, serialize them, never change
them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from operator import is_, itemgetter
from typing import Any, Final

from mockserver.domain import (
    ActionLog,
    Assignment,
    HumanTask,
    HumanTaskDef,
    SearchPage,
    SearchType,
    TaskSearch,
    TaskState,
    TaskUser,
    Template,
    UserType,
)
from mockserver.domain.store import DEFAULT_PAGE_SIZE
from mockserver.domain.workflows import TASK_TERMINAL, TaskDef, TaskRun, Workflow, WorkflowDef
from mockserver.web.memo import MEMO_BYTES, ByteMemo


def _encode(value: Any) -> bytes:
    return _ENCODER.encode(value).encode()


def _dict_cost(value: Mapping[str, Any]) -> int:
    """A JSON-ready dict's memory, estimated from its encoded size (a dict of str/int takes a few times it)."""
    return DICT_FACTOR * len(_encode(value))


def _logs_cost(value: tuple[dict[str, Any], ...]) -> int:
    """A task's log entries' memory, estimated without encoding them: a fixed part and the text of each."""
    return 512 * len(value) + DICT_FACTOR * sum(map(len, map(str, map(itemgetter("actedBy"), value))))  # always there


DICT_FACTOR: Final = 4
_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))  # what dumps makes
# A deliberate departure from "no module-level mutable state": these are memos of pure functions of immutable
# objects, bounded in bytes (MEMO_BYTES in all, see memo.py). They hold no world state, change no answer, and
# cannot make two apps in one process see each other's data (a hit needs the very object an app holds; two
# namespaces' tasks of one id only take each other's place). They halve the cost of a GET.
_TASKS: ByteMemo[HumanTask, tuple[dict[str, Any], bytes]] = ByteMemo(
    MEMO_BYTES * 5 // 8, lambda kept: (DICT_FACTOR + 1) * len(kept[1]))  # the dict and its JSON
_ENTRY_JSON: ByteMemo[HumanTask, bytes] = ByteMemo(MEMO_BYTES // 4, len)
_DEFINITIONS: ByteMemo[HumanTaskDef, dict[str, Any]] = ByteMemo(MEMO_BYTES // 16, _dict_cost)
_LOGS: ByteMemo[tuple[ActionLog, ...], tuple[dict[str, Any], ...]] = ByteMemo(MEMO_BYTES // 16, _logs_cost)


def user(value: TaskUser) -> dict[str, Any]:
    return {"user": value.user, "userType": value.user_type.value}


def parse_user(data: Mapping[str, Any]) -> TaskUser:
    # left out (the JS SDK's `getTasksByFilter(state, assignee)` sends `{user}`): an external user
    return TaskUser(str(data["user"]), UserType(data.get("userType") or UserType.EXTERNAL_USER))


def definition(value: HumanTaskDef, template: Template | None = None, *, task_id: str | None = None) -> dict[str, Any]:
    """`task_id`: kept under the task's id (one entry per task, so a replaced task's old definition is let go),
    else under the definition's identity."""
    if template is None:
        return _DEFINITIONS.get(id(value) if task_id is None else task_id, value, _definition)
    return _definition(value, template)


def _definition(value: HumanTaskDef, template: Template | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "assignments": [{"assignee": user(a.assignee), "slaMinutes": a.sla_minutes} for a in value.assignments],
        "assignmentCompletionStrategy": value.completion_strategy.value,
    }
    if value.display_name is not None:
        out["displayName"] = value.display_name
    if value.form is not None:
        out["userFormTemplate"] = {"name": value.form.name, "version": value.form.version}
    if value.triggers:
        out["taskTriggers"] = list(value.triggers)
    if value.auto_claim is not None:
        out["autoClaim"] = value.auto_claim
    if template is not None:
        out["fullTemplate"] = dump_template(template)
    return out


def _logs(task: HumanTask) -> list[dict[str, Any]]:
    """The task's log entries, kept per task (its current log only: an entry the bounded log dropped is let go),
    each rebuilt only when new: the entries the previous version of the log shares are reused."""
    key = task.task_id
    return list(_LOGS.get(key, task.action_logs, lambda logs: _dump_logs(logs, _LOGS.peek(key))))


def _dump_logs(logs: tuple[ActionLog, ...],
               previous: tuple[tuple[ActionLog, ...], tuple[dict[str, Any], ...]] | None) -> tuple[dict[str, Any], ...]:
    kept, dumped = previous or ((), ())  # by identity: both alive here, so an equal id() is the very same entry
    if len(kept) <= len(logs) and all(map(is_, kept, logs)):  # the usual change: entries appended
        return dumped + tuple(map(_dump_log, logs[len(kept):]))
    known = {id(entry): entry_dump for entry, entry_dump in zip(kept, dumped, strict=True)}
    return tuple(known.get(id(entry)) or _dump_log(entry) for entry in logs)


def _dump_log(entry: ActionLog) -> dict[str, Any]:
    out: dict[str, Any] = {"id": entry.id, "state": entry.state.value, "stateStart": entry.state_start}
    if entry.assignee is not None:
        out["assignee"] = user(entry.assignee)
    if entry.claimant is not None:
        out["claimant"] = user(entry.claimant)
    out["action"] = entry.action.value
    out["actedBy"] = entry.acted_by
    return out


def process_context(task: HumanTask) -> dict[str, Any]:
    out: dict[str, Any] = {"state": task.state.value, "lastUpdated": task.updated_on}
    if task.assignee_index is not None:
        out["assigneeIndex"] = task.assignee_index
    out["skippedAssigneeIndexes"] = list(task.skipped_assignee_indexes)
    out["assignmentsCompleted"] = task.assignments_completed
    out["humanTaskTriggerLog"] = list(task.trigger_log)
    out["humanTaskActionLogs"] = _logs(task)
    return out


def dump_task(task: HumanTask, template: Template | None = None) -> dict[str, Any]:
    """A HumanTaskEntry, keys in the order a real server sends them."""
    if template is None:
        return _TASKS.get(task.task_id, task, _dumped)[0]
    return _dump_task(task, template)


def _dump_task(task: HumanTask, template: Template | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "createdBy": task.created_by,
        "updatedBy": task.updated_by,
        "taskId": task.task_id,
        "state": task.state.value,
        "displayName": task.display_name,
        "definitionName": task.definition_name,
        "workflowId": task.workflow_id,
        "workflowName": task.workflow_name,
        "taskRefName": task.task_ref_name,
    }
    if task.assignee is not None:
        out["assignee"] = user(task.assignee)
    if task.claimant is not None:
        out["claimant"] = user(task.claimant)
    out["humanTaskDef"] = definition(task.definition, template, task_id=task.task_id)
    task_input = dict(task.input)
    if task.created_by:
        task_input["_createdBy"] = task.created_by
    task_input["__humanTaskDefinition"] = definition(task.definition, task_id=task.task_id)
    task_input["__humanTaskProcessContext"] = process_context(task)
    out["input"] = task_input
    out["output"] = task.output
    out["createdOn"] = task.created_on
    out["updatedOn"] = task.updated_on
    if task.owner_app is not None:
        out["ownerApp"] = task.owner_app
    return out


def _dumped(task: HumanTask) -> tuple[dict[str, Any], bytes]:
    out = _dump_task(task)
    return out, _encode(out)


def task_json(task: HumanTask) -> bytes:
    """`dump_task(task)` as UTF-8 JSON, kept per task with the dict."""
    return _TASKS.get(task.task_id, task, _dumped)[1]


def search_entry(task: HumanTask) -> dict[str, Any]:
    """A search result: the HumanTaskEntry without `humanTaskDef`, as Orkes answers a search (the definition is
    still in `input.__humanTaskDefinition`)."""
    return {key: value for key, value in dump_task(task).items() if key != "humanTaskDef"}


def page_json(page: SearchPage) -> bytes:
    """A search page as UTF-8 JSON, from each result's kept JSON."""
    head = f'{{"totalHits":{page.total_hits},"hits":{len(page.results)},"start":{page.start},' \
           f'"pageSizeLimit":{page.size},"results":['
    get = _ENTRY_JSON.get
    return head.encode() + b",".join([get(t.task_id, t, _entry_json) for t in page.results]) + b"]}"


def _entry_json(task: HumanTask) -> bytes:
    return json.dumps(search_entry(task), ensure_ascii=False, separators=(",", ":")).encode()


def parse_search(body: Mapping[str, Any] | None) -> TaskSearch:
    """A HumanTaskSearch body. Missing fields, empty strings and empty lists mean "no filter"."""
    get = (body or {}).get
    search_type, size, start = get("searchType"), get("size"), get("start")
    states, assignees, claimants = get("states"), get("assignees"), get("claimants")
    low, high = get("updateStartTime"), get("updateEndTime")
    return TaskSearch(
        search_type=SearchType(search_type) if search_type else None,
        start=int(start) if start else 0,
        size=DEFAULT_PAGE_SIZE if size is None else int(size),
        states=tuple(map(TaskState, states)) if states else (),
        assignees=tuple(map(parse_user, assignees)) if assignees else (),
        claimants=tuple(map(parse_user, claimants)) if claimants else (),
        definition_names=_strings(get("definitionNames")),
        display_names=_strings(get("displayNames")),
        task_ref_names=_strings(get("taskRefNames")),
        workflow_ids=_strings(get("workflowIds")),
        workflow_names=_strings(get("workflowNames")),
        full_text_query=str(get("fullTextQuery") or ""),
        task_input_query=str(get("taskInputQuery") or ""),
        task_output_query=str(get("taskOutputQuery") or ""),
        update_start_time=None if low is None else int(low),
        update_end_time=None if high is None else int(high),
    )


def _strings(values: Any) -> tuple[str, ...]:
    """The strings of a list, but the empty ones (of a JSON value, `str` is empty only for "")."""
    return tuple(filter(None, map(str, values))) if values else ()


def dump_template(template: Template) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": template.name,
        "version": template.version,
        "jsonSchema": template.json_schema,
        "templateUI": template.template_ui,
        "createdBy": template.created_by,
        "createTime": template.create_time,
        "updatedBy": template.updated_by,
        "updateTime": template.update_time,
    }
    if template.tags:  # the real server leaves out an empty list
        out["tags"] = [dict(t) for t in template.tags]
    if template.owner_app is not None:
        out["ownerApp"] = template.owner_app
    return out


def parse_template(body: Mapping[str, Any]) -> Template:
    return Template(
        name=str(body["name"]),
        version=int(body.get("version") or 0),
        json_schema=dict(body.get("jsonSchema") or {}),
        template_ui=dict(body.get("templateUI") or {}),
        tags=tuple(dict(t) for t in body.get("tags") or ()),
        owner_app=body.get("ownerApp"),
    )


def parse_assignments(items: list[Mapping[str, Any]]) -> tuple[Assignment, ...]:
    return tuple(Assignment(parse_user(a["assignee"]), int(a.get("slaMinutes") or 0)) for a in items)


def error_body(status: int, message: str, *, instance: str, code: str | None = None,
               validation_errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The Orkes/Conductor error body. `status` always equals the HTTP status (the JS SDK relies on it)."""
    out: dict[str, Any] = {"status": status, "message": message, "instance": instance, "retryable": False}
    if code is not None:
        out["error"] = code
    if validation_errors:
        out["validationErrors"] = validation_errors
    return out


# -- the workflow side -----------------------------------------------------------------------------------

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
