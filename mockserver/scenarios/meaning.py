"""Pass 3: what a well-shaped scenario means: unique ids, references to declared users, groups, applications and
workflow definitions (with a did-you-mean), claimants against states, times in order, positions in range.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from mockserver.domain.errors import InvalidRequest
from mockserver.domain.model import TaskState, UserType
from mockserver.domain.workflows import WorkflowEngine
from mockserver.scenarios.build import ANONYMOUS
from mockserver.scenarios.clock import ClockSettings, read_clock
from mockserver.scenarios.document import Document, JsonPath, render_path
from mockserver.scenarios.shape import suggest

_PRINCIPALS: Final = "`users:` or `applications:`"


def check_meaning(doc: Document, data: Mapping[str, Any]) -> ClockSettings:
    """Report every problem a well-shaped document can still have; return its clock settings."""
    users, apps = data.get("users", []), data.get("applications", [])
    principals = _unique_ids(doc, [("users", users), ("applications", apps)], "id", "principal id",
                             "users and applications share one set of ids")
    groups = _unique_ids(doc, [("groups", data.get("groups", []))], "id", "group id",
                         "declare each group once, with all its members")
    _unique_keys(doc, [("users", users), ("applications", apps)])
    _unique_ids(doc, [("tasks", data.get("tasks", []))], "taskId", "task id", "give each task its own taskId")
    auth, has_keys = data.get("auth", {}), any(p.get("keys") for p in [*users, *apps])
    # Open mode without `auth.anonymous`: a call acts as the built-in `anonymous`, which may claim, create, save.
    builtin = frozenset({ANONYMOUS.id}) if not auth.get("required", has_keys) and "anonymous" not in auth \
        else frozenset()
    seen_templates: dict[tuple[str, int], JsonPath] = {}
    for i, template in enumerate(data.get("templates", [])):
        ref = (template["name"], template.get("version", 1))
        if ref in seen_templates:
            doc.report(("templates", i), f"duplicate template {ref[0]!r} version {ref[1]} (first at line "
                       f"{doc.line(seen_templates[ref])})", "name + version identify a form: bump `version`")
        seen_templates.setdefault(ref, ("templates", i))
        _check_owners(doc, ("templates", i), template, principals, apps, builtin, ("createdBy", "updatedBy"))
        _check_times(doc, ("templates", i), template, "createTime", "updateTime")
    user_ids = {u["id"] for u in users}
    for i, user in enumerate(users):
        for j, group in enumerate(user.get("groups", [])):
            _check_declared(doc, ("users", i, "groups", j), group, groups, "group", "`groups:`")
    for i, group in enumerate(data.get("groups", [])):
        for j, member in enumerate(group.get("members", [])):
            _check_declared(doc, ("groups", i, "members", j), member, user_ids, "user", "`users:`")
    for i, task in enumerate(data.get("tasks", [])):
        _check_task(doc, ("tasks", i), task, user_ids, set(groups), principals, apps, builtin)
    _check_auth(doc, auth, principals, has_keys)
    _check_workflows(doc, data, principals)
    _check_permissions(doc, data.get("permissions", []), user_ids, {a["id"] for a in apps}, set(groups))
    return read_clock(doc, data.get("clock", {}))


def _check_workflows(doc: Document, data: Mapping[str, Any], principals: Iterable[str]) -> None:
    names: set[str] = set()
    for i, definition in enumerate(data.get("workflowDefs", [])):
        names.add(definition["name"])
        try:
            WorkflowEngine.check_definition(definition)
        except InvalidRequest as problem:
            doc.report(("workflowDefs", i), problem.message)
    principal_ids = set(principals)
    for i, start in enumerate(data.get("workflows", [])):
        _check_declared(doc, ("workflows", i, "name"), start["name"], names, "workflow definition",
                        "`workflowDefs:`")
        if "startedBy" in start:
            _check_declared(doc, ("workflows", i, "startedBy"), start["startedBy"], principal_ids, "principal",
                            _PRINCIPALS)


_SUBJECTS: Final = ("application", "user", "group")


def _check_permissions(doc: Document, grants: list[Any], users: set[str], apps: set[str], groups: set[str]) -> None:
    """Each grant names exactly one declared application, user or group."""
    declared = {"application": (apps, "`applications:`"), "user": (users, "`users:`"), "group": (groups, "`groups:`")}
    for i, grant in enumerate(grants):
        named = [key for key in _SUBJECTS if key in grant]
        if len(named) != 1:
            doc.report(("permissions", i), f"a grant names {'none' if not named else ' and '.join(named)} of "
                       "`application`, `user`, `group`: it needs exactly one",
                       "split it into one grant per application, user or group" if named
                       else "add e.g. `application: owner-app`")
            continue
        ids, section = declared[named[0]]
        _check_declared(doc, ("permissions", i, named[0]), grant[named[0]], ids, named[0], section)


def _unique_ids(doc: Document, sections: Iterable[tuple[str, list[Any]]], key: str, what: str,
                hint: str | None = None) -> dict[str, JsonPath]:
    seen: dict[str, JsonPath] = {}
    for section, items in sections:
        for i, item in enumerate(items):
            _unique(doc, seen, item[key], (section, i, key), what, hint)
    return seen


def _unique_keys(doc: Document, sections: Iterable[tuple[str, list[Any]]]) -> None:
    seen: dict[str, JsonPath] = {}
    for section, items in sections:
        for i, item in enumerate(items):
            for j, key in enumerate(item.get("keys", [])):
                _unique(doc, seen, key["keyId"], (section, i, "keys", j, "keyId"), "key id",
                        "POST /api/token finds the caller by key id: each must be unique")


def _unique(doc: Document, seen: dict[str, JsonPath], value: str, path: JsonPath, what: str,
            hint: str | None) -> None:
    if value in seen:
        doc.report(path, f"duplicate {what} {value!r} (first at {render_path(seen[value])}, line "
                   f"{doc.line(seen[value])})", hint)
    else:
        seen[value] = path


def _check_declared(doc: Document, path: JsonPath, value: str, declared: Iterable[str], what: str,
                    section: str, extra: str = "", also: Iterable[str] = ()) -> None:
    """Report `value` unless it is in `declared` or `also` (accepted, but not offered in the hint); `section` says
    where to declare it (`users:`)."""
    names = sorted(declared)
    if value in names or value in also:
        return
    listed = f"declared: {', '.join(names[:8])}{', ...' if len(names) > 8 else ''}" if names else "none declared yet"
    doc.report(path, f"unknown {what} {value!r}.{suggest(value, names)}".rstrip("."),
               f"declare it under {section} ({listed}){extra}")


_DEFAULTS: Final = {"createdBy": "ownerApp", "updatedBy": "createdBy"}


def _check_owners(doc: Document, path: JsonPath, item: Mapping[str, Any], principals: Iterable[str],
                  apps: list[Any], builtin: frozenset[str], keys: Iterable[str] = ("createdBy",)) -> None:
    if "ownerApp" in item:
        _check_declared(doc, (*path, "ownerApp"), item["ownerApp"], {a["id"] for a in apps}, "application",
                        "`applications:`")
    for key in keys:
        if item.get(key):  # an empty updatedBy: a form seeded without createdBy, saved by nobody since
            _check_declared(doc, (*path, key), item[key], principals, "principal", _PRINCIPALS,
                            f"; or leave {key} out: it defaults to {_DEFAULTS[key]}", builtin)


def _check_times(doc: Document, path: JsonPath, item: Mapping[str, Any], created: str, updated: str) -> None:
    if created in item and updated in item and item[updated] < item[created]:
        doc.report((*path, updated), f"{updated} ({item[updated]}) is before {created} ({item[created]})")


def _check_task(doc: Document, path: JsonPath, task: Mapping[str, Any], users: set[str], groups: set[str],
                principals: Iterable[str], apps: list[Any], builtin: frozenset[str]) -> None:
    definition = task.get("humanTaskDef", {})
    assignments = definition.get("assignments", [])
    # An override claim makes the claimant the assignee: an application, or open mode's `anonymous`, claiming
    # through /claim leaves a CONDUCTOR_USER assignee that is no declared user.
    claimants = {a["id"] for a in apps} | builtin
    named = [((*path, "assignee"), task.get("assignee"), claimants)]
    named += [((*path, "humanTaskDef", "assignments", j, "assignee"), a["assignee"], set())
              for j, a in enumerate(assignments)]
    for where, who, also in named:
        if who and who["userType"] == UserType.CONDUCTOR_USER:
            _check_declared(doc, (*where, "user"), who["user"], users, "Conductor user", "`users:`",
                            "; use EXTERNAL_USER for someone outside Conductor", also)
        elif who and who["userType"] == UserType.CONDUCTOR_GROUP:
            _check_declared(doc, (*where, "user"), who["user"], groups, "Conductor group", "`groups:`",
                            "; use EXTERNAL_GROUP for a group outside Conductor")
    for j, assignment in enumerate(assignments[:-1]):
        if assignment.get("slaMinutes", 0) == 0:
            where = (*path, "humanTaskDef", "assignments", j)
            doc.report((*where, "slaMinutes") if "slaMinutes" in assignment else where,
                       "only the last assignment may have slaMinutes 0 (never expires)",
                       "give it a positive slaMinutes (e.g. 60), or move it to the end of the list")
    claimant, state = task.get("claimant"), task.get("state", TaskState.ASSIGNED)
    if claimant and claimant["userType"] == UserType.CONDUCTOR_USER:
        _check_declared(doc, (*path, "claimant", "user"), claimant["user"], principals, "Conductor user",
                        _PRINCIPALS, also=builtin)
    if state == TaskState.IN_PROGRESS and not claimant:
        doc.report((*path, "state"), "an IN_PROGRESS task needs a claimant: add `claimant: {user: ..., userType: "
                   "EXTERNAL_USER}`", "or set `state: ASSIGNED` for a task nobody has claimed yet")
    elif state in (TaskState.PENDING, TaskState.ASSIGNED) and claimant:
        article = "an" if state == TaskState.ASSIGNED else "a"
        doc.report((*path, "claimant"), f"{article} {state} task has no claimant: remove `claimant`, or set "
                   "`state: IN_PROGRESS`", "a task keeps its claimant from the claim until it is released")
    _check_times(doc, path, task, "createdOn", "updatedOn")
    count = len(assignments) if "assignments" in definition else 1 if task.get("assignee") else 0
    _check_indexes(doc, path, task, count)
    _check_owners(doc, path, task, principals, apps, builtin)


def _check_indexes(doc: Document, path: JsonPath, task: Mapping[str, Any], count: int) -> None:
    """`assigneeIndex` and `skippedAssigneeIndexes` are positions in the (effective) assignments, when any."""
    if count == 0:
        return  # `assignments: []` with an assignee: a real server still counts from 0
    index = task.get("assigneeIndex")
    at: list[tuple[JsonPath, int]] = [((*path, "assigneeIndex"), index)] if isinstance(index, int) else []
    at += [((*path, "skippedAssigneeIndexes", j), i) for j, i in enumerate(task.get("skippedAssigneeIndexes", []))]
    for where, position in at:
        if position >= count:
            doc.report(where, f"{position} is past the last assignment (there {'is' if count == 1 else 'are'} "
                       f"{count})", "positions in humanTaskDef.assignments start at 0")


def _check_auth(doc: Document, auth: Mapping[str, Any], principals: Iterable[str], has_keys: bool) -> None:
    if auth.get("required") is True and not has_keys:
        doc.report(("auth", "required"), "auth is required but no user or application has keys: nobody could "
                   "get a token", "add `keys: [{keyId: ..., keySecret: ...}]` to a user or application, or set "
                   "`auth.required: false` (open mode)")
    if "anonymous" not in auth:
        return
    if auth.get("required", has_keys):
        why = "" if "required" in auth else " (it is by default, since keys are declared)"
        doc.report(("auth", "anonymous"), f"only open mode uses `anonymous`, and auth is required here{why}",
                   "remove `anonymous`, or set `auth.required: false`")
    else:
        _check_declared(doc, ("auth", "anonymous"), auth["anonymous"], principals, "principal",
                        _PRINCIPALS, "; or leave `anonymous` out to act as a built-in admin")
