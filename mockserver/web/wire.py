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
