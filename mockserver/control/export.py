"""A world → a scenario document that `load_scenario` turns back into the same world.

Every field is written out, defaults included, so nothing depends on what the loader would fill in. A few things
of a world have no key in the scenario format (yet): they are listed by `unsupported_fields()`, from the
scenario schema itself, so the export writes them as soon as the format gains their keys. Workflow executions
are not exported at all (only their human tasks and the registered definitions): see docs/control.md.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from typing import Any

import yaml

from mockserver import __version__
from mockserver.control.timeparse import format_instant
from mockserver.domain import (
    Access,
    ActionLog,
    ApiKey,
    HumanTask,
    ManualClock,
    Permission,
    Principal,
    PrincipalKind,
    Role,
    TaskUser,
    Template,
    UserType,
    World,
)
from mockserver.domain.templates import bare_id
from mockserver.scenarios import SCHEMA_PATH
from mockserver.scenarios.snapshot import END_LINE, header

# Scenario key → how to write it, for the fields the scenario format may not carry yet.
TASK_EXTRAS: dict[str, tuple[str, Callable[[HumanTask], Any]]] = {
    "actionLogs": ("action_logs", lambda t: [_log(e) for e in t.action_logs]),
    "triggerLog": ("trigger_log", lambda t: [dict(e) for e in t.trigger_log]),
    "assigneeIndex": ("assignee_index", lambda t: t.assignee_index),
    "skippedAssigneeIndexes": ("skipped_assignee_indexes", lambda t: list(t.skipped_assignee_indexes)),
    "assignmentsCompleted": ("assignments_completed", lambda t: t.assignments_completed),
}
TEMPLATE_EXTRAS: dict[str, tuple[str, Callable[[Template], Any]]] = {
    "createTime": ("create_time", lambda t: t.create_time),
    "updatedBy": ("updated_by", lambda t: bare_id(t.updated_by)),  # a scenario names principals by bare id
    "updateTime": ("update_time", lambda t: t.update_time),
}


@functools.cache
def _schema_keys() -> tuple[frozenset[str], frozenset[str]]:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    definitions = schema.get("$defs", {})
    return (frozenset(definitions.get("task", {}).get("properties", {})),
            frozenset(definitions.get("template", {}).get("properties", {})))


def unsupported_fields() -> dict[str, list[str]]:
    """Domain fields an export cannot carry, by kind (`tasks`, `templates`): the loader synthesizes them."""
    task_keys, template_keys = _schema_keys()
    return {"tasks": [field for key, (field, _) in TASK_EXTRAS.items() if key not in task_keys],
            "templates": [field for key, (field, _) in TEMPLATE_EXTRAS.items() if key not in template_keys]}


def export_world(world: World) -> dict[str, Any]:
    """The scenario document of `world`, as it is now."""
    seed = world.seed
    task_keys, template_keys = _schema_keys()
    doc: dict[str, Any] = {"name": seed.name, "description": seed.description, "clock": _clock(world)}
    auth: dict[str, Any] = {"required": seed.auth.required, "tokenTtlSeconds": seed.auth.token_ttl_ms // 1000}
    declared = {p.id for p in seed.principals}
    anonymous = seed.auth.anonymous
    if not seed.auth.required and anonymous is not None and anonymous.id in declared:
        auth["anonymous"] = anonymous.id
    doc["auth"] = auth
    users, groups = _undeclared(world)
    doc["users"] = [_principal(p, seed.keys, True) for p in seed.principals if p.kind is PrincipalKind.USER]
    doc["users"] += [{"id": user} for user in users]
    doc["groups"] = [{"id": group, "members": list(members)} for group, members in seed.groups]
    doc["groups"] += [{"id": group, "members": []} for group in groups]
    doc["applications"] = [_principal(p, seed.keys, False) for p in seed.principals
                           if p.kind is PrincipalKind.APPLICATION]
    if seed.permissions:
        doc["permissions"] = [_permission(p) for p in seed.permissions]
    doc["templates"] = [_template(t, template_keys) for t in world.templates.all()]
    doc["tasks"] = [_task(t, task_keys) for t in world.tasks.all()]
    # Definitions, not executions: a `workflows:` entry would start one afresh. Each execution's human tasks are
    # in `tasks`, and loading gives them a workflow again (as for any seeded task).
    definitions = [d.raw for d in world.workflows.definitions()]
    if definitions:
        doc["workflowDefs"] = definitions
    return doc


def _undeclared(world: World) -> tuple[list[str], list[str]]:
    """The Conductor users and groups the tasks name that the world does not declare (tasks added by
    `--generate-tasks` name people of their own): the export declares them, so that it loads back."""
    seed = world.seed
    principals, groups = {p.id for p in seed.principals}, {g for g, _ in seed.groups}
    if seed.auth.anonymous is not None:
        principals.add(seed.auth.anonymous.id)  # open mode's caller, known without a declaration
    users: dict[str, None] = {}
    teams: dict[str, None] = {}
    for task in world.tasks.all():
        named = [task.assignee, task.claimant, *(a.assignee for a in task.definition.assignments)]
        for who in named:
            if who is None:
                continue
            if who.user_type is UserType.CONDUCTOR_USER and who.user not in principals:
                users[who.user] = None
            elif who.user_type is UserType.CONDUCTOR_GROUP and who.user not in groups:
                teams[who.user] = None
    return sorted(users), sorted(teams)


def dump(document: dict[str, Any], fmt: str, *, notes: list[str] | None = None) -> str:
    """`document` as YAML (with `notes` as a comment header) or JSON."""
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    tasks = document.get("tasks")
    lines = [header(__version__, str(document.get("name", "")), len(tasks) if isinstance(tasks, list) else 0),
             "# Load it back with `conductor-mock control load FILE` or `conductor-mock serve --scenario FILE`."]
    lines += [f"# {line}" for note in notes or () for line in note.splitlines()]
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120,
                     default_flow_style=False)
    return "\n".join(lines) + "\n" + body + END_LINE + "\n"


_DUMPER_BASE: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_DUMPER_BASE):  # type: ignore[valid-type,misc]
    """Never writes anchors and aliases (`&id001`): a value shared in memory is written out each time."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _clock(world: World) -> dict[str, Any]:
    now = world.clock.now_ms()
    start: str | int = now
    if now % 1000 == 0:  # an ISO date-time is exact to the second; else keep epoch ms
        start = format_instant(now)
    return {"start": start, "mode": "manual" if isinstance(world.clock, ManualClock) else "system"}


def _principal(principal: Principal, keys: Iterable[ApiKey], is_user: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": principal.id}
    if principal.name != principal.id:
        out["name"] = principal.name
    if principal.roles != frozenset({Role.USER}):
        out["roles"] = sorted(r.value for r in principal.roles)
    if is_user and principal.groups:
        out["groups"] = sorted(principal.groups)
    own = [{"keyId": k.key_id, "keySecret": k.secret} for k in keys if k.principal_id == principal.id]
    if own:
        out["keys"] = own
    return out


def _permission(grant: Permission) -> dict[str, Any]:
    access = [a.value for a in Access if a in grant.access]  # in the enum's order: an export reads the same twice
    return {"workflow": grant.workflow, "access": access, grant.subject_type.lower(): grant.subject}


def _template(template: Template, supported: frozenset[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": template.name, "version": template.version, "jsonSchema": template.json_schema,
                           "templateUI": template.template_ui, "tags": [dict(t) for t in template.tags]}
    if template.owner_app is not None:
        out["ownerApp"] = template.owner_app
    if template.created_by:
        out["createdBy"] = bare_id(template.created_by)
    for key, (_, value) in TEMPLATE_EXTRAS.items():
        if key in supported:
            out[key] = value(template)
    return out


def _user(value: TaskUser) -> dict[str, str]:
    return {"user": value.user, "userType": value.user_type.value}


def _log(entry: ActionLog) -> dict[str, Any]:
    out: dict[str, Any] = {"id": entry.id, "state": entry.state.value, "stateStart": entry.state_start,
                           "action": entry.action.value, "actedBy": entry.acted_by}
    if entry.assignee is not None:
        out["assignee"] = _user(entry.assignee)
    if entry.claimant is not None:
        out["claimant"] = _user(entry.claimant)
    return out


def _task(task: HumanTask, supported: frozenset[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"taskId": task.task_id, "state": task.state.value,
                           "assignee": _user(task.assignee) if task.assignee is not None else None}
    if task.claimant is not None:
        out["claimant"] = _user(task.claimant)
    if task.owner_app is not None:
        out["ownerApp"] = task.owner_app
    if task.created_by:
        out["createdBy"] = task.created_by
    if task.updated_by:
        out["updatedBy"] = task.updated_by
    out |= {"displayName": task.display_name, "definitionName": task.definition_name,
            "taskRefName": task.task_ref_name, "workflowName": task.workflow_name, "workflowId": task.workflow_id}
    definition = task.definition
    human: dict[str, Any] = {
        "assignments": [{"assignee": _user(a.assignee), "slaMinutes": a.sla_minutes} for a in definition.assignments],
        "assignmentCompletionStrategy": definition.completion_strategy.value,
    }
    human["displayName"] = definition.display_name  # None (unset) exports as null, which loads back as unset
    if definition.form is not None:
        human["userFormTemplate"] = {"name": definition.form.name, "version": definition.form.version}
    if definition.triggers:
        human["taskTriggers"] = [dict(t) for t in definition.triggers]
    if definition.auto_claim is not None:
        human["autoClaim"] = definition.auto_claim
    out |= {"humanTaskDef": human, "input": task.input, "output": task.output, "createdOn": task.created_on,
            "updatedOn": task.updated_on}
    for key, (_, value) in TASK_EXTRAS.items():
        if key in supported:
            out[key] = value(task)
    return out
