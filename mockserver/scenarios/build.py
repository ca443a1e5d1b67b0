"""Building: the data of a valid scenario → the `Seed` of a world, with the defaults a real server would have
filled in (docs/scenarios.md, "Defaults").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

from mockserver.domain.identity import (
    Access,
    ApiKey,
    AuthSettings,
    Permission,
    Principal,
    PrincipalKind,
    Role,
    SubjectType,
)
from mockserver.domain.ids import IdGenerator
from mockserver.domain.lifecycle import seeded_claim_log
from mockserver.domain.model import (
    ActionLog,
    Assignment,
    CompletionStrategy,
    FormRef,
    HumanTask,
    HumanTaskDef,
    LogAction,
    TaskState,
    TaskUser,
    Template,
    UserType,
)
from mockserver.domain.world import Seed, WorkflowStart

# Open mode without `auth.anonymous`: a call acts as this built-in admin.
ANONYMOUS: Final = Principal("anonymous", PrincipalKind.USER, frozenset({Role.ADMIN, Role.USER}), name="anonymous")
# The server writes these into a task's input itself; a scenario copied from a real GET may carry stale ones.
_GENERATED_INPUT_KEYS: Final = frozenset({"__humanTaskDefinition", "__humanTaskProcessContext"})


def build_seed(data: Mapping[str, Any], *, name: str, ids: IdGenerator, now: int) -> Seed:
    users, apps = data.get("users", []), data.get("applications", [])
    members: dict[str, list[str]] = {g["id"]: list(g.get("members", [])) for g in data.get("groups", [])}
    for user in users:
        for group in user.get("groups", []):
            members[group].append(user["id"])
    principals = [_principal(u, PrincipalKind.USER) for u in users]
    principals += [_principal(a, PrincipalKind.APPLICATION) for a in apps]
    keys = [ApiKey(k["keyId"], k["keySecret"], p["id"]) for p in [*users, *apps] for k in p.get("keys", [])]
    auth = data.get("auth", {})
    anonymous = next((p for p in principals if p.id == auth.get("anonymous")), ANONYMOUS)
    # The token service hands this principal out as it is, without the Directory merging groups and grants in.
    anonymous = replace(anonymous, groups=anonymous.groups | {g for g, m in members.items() if anonymous.id in m})
    permissions = tuple(_permission(p) for p in data.get("permissions", []))
    anonymous = replace(anonymous, grants=frozenset((g.workflow, a) for g in permissions if g.applies_to(anonymous)
                                                    for a in g.access))
    settings = AuthSettings(auth.get("required", bool(keys)), auth.get("tokenTtlSeconds", 3600) * 1000, anonymous)
    return Seed(
        name=name,
        description=str(data.get("description", "")),
        auth=settings,
        principals=tuple(principals),
        groups=tuple((g, tuple(dict.fromkeys(m))) for g, m in members.items()),
        keys=tuple(keys),
        templates=tuple(_template(t, now) for t in data.get("templates", [])),
        tasks=tuple(_task(t, ids, now) for t in data.get("tasks", [])),
        workflow_defs=tuple(data.get("workflowDefs", [])),
        permissions=permissions,
        workflows=tuple(WorkflowStart(w["name"], w.get("version"), w.get("input"), w.get("correlationId"),
                                      w.get("startedBy"), w.get("workflowId")) for w in data.get("workflows", [])),
    )


def _principal(item: Mapping[str, Any], kind: PrincipalKind) -> Principal:
    roles = frozenset(Role(r) for r in item.get("roles", [Role.USER]))
    return Principal(item["id"], kind, roles, frozenset(item.get("groups", [])), item.get("name", item["id"]))


def _permission(item: Mapping[str, Any]) -> Permission:
    kind = next(k for k in SubjectType if k.lower() in item)
    return Permission(item["workflow"], frozenset(Access(a) for a in item["access"]), kind, item[kind.lower()])


def _template(item: Mapping[str, Any], now: int) -> Template:
    created_by = item.get("createdBy", item.get("ownerApp", ""))
    create_time = item.get("createTime", min(now, item.get("updateTime", now)))
    return Template(item["name"], item.get("version", 1), item.get("jsonSchema", {}), item.get("templateUI", {}),
                    tags=tuple(item.get("tags", [])), owner_app=item.get("ownerApp"), created_by=created_by,
                    create_time=create_time, updated_by=item.get("updatedBy", created_by),
                    update_time=item.get("updateTime", create_time))


def _user(item: Mapping[str, Any] | None) -> TaskUser | None:
    return TaskUser(item["user"], UserType(item["userType"])) if item else None


def _log(item: Mapping[str, Any]) -> ActionLog:
    return ActionLog(item["id"], TaskState(item["state"]), item["stateStart"], LogAction(item["action"]),
                     item["actedBy"], assignee=_user(item.get("assignee")), claimant=_user(item.get("claimant")))


def _task(item: Mapping[str, Any], ids: IdGenerator, now: int) -> HumanTask:
    raw_def = item.get("humanTaskDef", {})
    assignments = tuple(Assignment(TaskUser(a["assignee"]["user"], UserType(a["assignee"]["userType"])),
                                   a.get("slaMinutes", 0)) for a in raw_def.get("assignments", []))
    assignee = _user(item["assignee"]) if "assignee" in item else (assignments[0].assignee if assignments else None)
    if assignee is not None and "assignments" not in raw_def:
        assignments = (Assignment(assignee),)  # a real server always lists the assignee among the assignments
    held = [a.assignee for a in assignments]
    definition_name = item.get("definitionName") or item.get("taskRefName") or "human_task"
    display_name = item.get("displayName") or raw_def.get("displayName") or definition_name
    form = raw_def.get("userFormTemplate")
    definition = HumanTaskDef(
        assignments=assignments,
        completion_strategy=CompletionStrategy(raw_def.get("assignmentCompletionStrategy", "LEAVE_OPEN")),
        display_name=raw_def.get("displayName", display_name),  # null: unset (a workflow's HUMAN task)
        form=FormRef(form["name"], form.get("version", 0)) if form else None,
        triggers=tuple(raw_def.get("taskTriggers", [])),
        auto_claim=raw_def.get("autoClaim"),
    )
    created_on = item.get("createdOn", min(now, item.get("updatedOn", now)))
    created_by = item.get("createdBy") or item.get("ownerApp") or ""
    task = HumanTask(
        task_id=item["taskId"],
        state=TaskState.ASSIGNED,
        created_on=created_on,
        updated_on=item.get("updatedOn", created_on),
        assignee=assignee,
        claimant=_user(item.get("claimant")),
        definition_name=definition_name,
        display_name=display_name,
        workflow_id=item["workflowId"] if "workflowId" in item else ids.new_id(),
        workflow_name=item.get("workflowName", ""),
        task_ref_name=item.get("taskRefName") or item.get("definitionName") or item["taskId"],
        created_by=created_by,
        updated_by=item.get("updatedBy") or created_by,
        owner_app=item.get("ownerApp"),
        definition=definition,
        input={k: v for k, v in item.get("input", {}).items() if k not in _GENERATED_INPUT_KEYS},
        output=dict(item.get("output", {})),
        # An override claim makes the claimant the assignee while the assignments stay: keep index 0 then.
        assignee_index=item["assigneeIndex"] if "assigneeIndex" in item
        else None if assignee is None else held.index(assignee) if assignee in held else 0,
        skipped_assignee_indexes=tuple(item.get("skippedAssigneeIndexes", ())),
        assignments_completed=item.get("assignmentsCompleted", assignee is None),
        trigger_log=tuple(dict(entry) for entry in item.get("triggerLog", ())),
    )
    # without logs: those a real server would have left (the system's assignment at creation, then the claim)
    logs = tuple(_log(entry) for entry in item["actionLogs"]) if "actionLogs" in item else seeded_claim_log(task, ids)
    return replace(task, state=TaskState(item.get("state", "ASSIGNED")), action_logs=logs)

