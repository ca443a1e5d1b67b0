"""Scenario files: YAML (or JSON) → a validated `Scenario` holding the `Seed` of a world.

Loading runs in passes, and each pass reports every problem it finds before loading gives up:
1. parse: YAML syntax, an empty file, a top level that is not a mapping, duplicate or non-string keys;
2. shape: the JSON Schema shipped next to this module (`scenario.schema.json`);
3. meaning: unique ids, references to declared users, groups and applications, claimants against states.
A top-level `faults:` list is only shape-checked here: the control plane cuts it out and arms it
(mockserver/control/scenario_faults.py); the `Seed` has no faults.
The meaning pass runs only on a well-shaped document. Every problem names the file, the line, the path in the
document (`tasks[1].state`) and, where one helps, a did-you-mean and a hint. The format is described in
docs/scenarios.md. Imports the domain plus yaml and jsonschema, never the web layer.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import yaml
from jsonschema import Draft202012Validator

from mockserver.domain.errors import InvalidRequest, show_value
from mockserver.domain.identity import ApiKey, AuthSettings, Principal, PrincipalKind, Role
from mockserver.domain.ids import IdGenerator, SequentialIds
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
from mockserver.domain.store import assignment_log
from mockserver.domain.workflow import WorkflowEngine
from mockserver.domain.world import Seed, WorkflowStart

SCHEMA_PATH: Final = Path(__file__).with_name("scenario.schema.json")

JsonPath = tuple[str | int, ...]

# The server writes these into a task's input itself; a scenario copied from a real GET may carry stale ones.
_GENERATED_INPUT_KEYS: Final = frozenset({"__humanTaskDefinition", "__humanTaskProcessContext"})
_MAX_NODES: Final = 200_000  # guards against alias bombs in bodies posted to the control plane
_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_TYPE_NAMES: Final = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
                      "object": "a mapping", "array": "a list", "null": "null"}
# How an enum's field is called in a message: (singular, plural), by the key that holds the value.
_NOUNS: Final = {"state": ("state", "states"), "userType": ("user type", "user types"), "roles": ("role", "roles"),
                 "mode": ("clock mode", "clock modes"), "triggerType": ("trigger type", "trigger types"),
                 "assignmentCompletionStrategy": ("completion strategy", "completion strategies"),
                 "action": ("log action", "log actions")}
_PRINCIPALS: Final = "`users:` or `applications:`"
_YAML_HINTS: Final = {"mapping values are not allowed here": "quote a value that contains ': ' "
                      "(displayName: \"Approve: invoice\")",
                      "found character '\\t' that cannot start any token": "indent with spaces, not tabs"}
_ANONYMOUS: Final = Principal("anonymous", PrincipalKind.USER, frozenset({Role.ADMIN, Role.USER}), name="anonymous")
# Messages for the schema keywords that only `$defs.fault` uses (the same words as the control plane's).
_FAULT_MESSAGES: Final = {
    "anyOf": ("a fault needs an effect: `status` (with an optional `message`), `latencyMs`, or `drop: true`", None),
    "not": ("a fault either replies with a status or drops the connection, not both", "split it into two faults"),
    "dependentRequired": ("a message goes with a status", "add `status: 503` (or another 4xx/5xx)"),
}


@dataclass(frozen=True, slots=True)
class ClockSettings:
    start_ms: int | None
    manual: bool


@dataclass(frozen=True, slots=True)
class Scenario:
    path: Path | None
    seed: Seed
    clock: ClockSettings


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a scenario. `str()` gives `file:line: path: message`, then the hint indented."""

    file: str
    line: int | None
    path: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        head = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return head if self.hint is None else f"{head}\n  {self.hint}"


class ScenarioError(Exception):
    """A scenario that cannot be loaded. `str()` lists every problem, in file order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def load_scenario(source: Path | str, *, ids: IdGenerator, now_ms: int, text: str | None = None) -> Scenario:
    """Load and validate a scenario, raising `ScenarioError` with every problem found.

    `source` names the file in messages; `text`, when given, is parsed instead of reading it. `now_ms` is the
    default createdOn/updatedOn when the scenario has no `clock.start`. `ids` makes the generated ids
    (workflow ids, action log ids): the same text and the same `SequentialIds` seed give the same `Seed`.
    """
    doc = _Document(str(source))
    data = doc.parse(Path(source).read_bytes() if text is None else text)
    if data is not None:
        doc.check_shape(data)
    clock = _check_meaning(data, doc) if data is not None and not doc.problems else None
    if data is None or clock is None or doc.problems:
        raise ScenarioError(doc.sorted_problems())
    now = clock.start_ms if clock.start_ms is not None else now_ms
    name = str(data.get("name") or Path(str(source)).stem)
    path = Path(source) if isinstance(source, Path) or text is None else None
    return Scenario(path, _build_seed(data, name=name, ids=ids, now=now), clock)


def check_scenario(path: Path) -> list[Problem]:
    """Every problem of the scenario at `path` (`[]` when it loads). Raises `OSError` if it cannot be read."""
    try:
        load_scenario(path, ids=SequentialIds(), now_ms=0)
    except ScenarioError as error:
        return error.problems
    return []


# -- pass 1 and 2: parse, shape -------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as the strings the author wrote: `clock.start` is parsed by us, and a date
    in a task's input stays a string, as it would arrive in JSON."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class _Document:
    """The parsed scenario and where each value came from."""

    file: str
    lines: dict[JsonPath, int] = field(default_factory=dict)  # value path → line of its node
    key_lines: dict[JsonPath, int] = field(default_factory=dict)  # value path → line of its key
    problems: list[Problem] = field(default_factory=list)
    _nodes: int = 0

    def report(self, path: JsonPath, message: str, hint: str | None = None, *, at_key: bool = False) -> None:
        line = self.key_lines.get(path) if at_key else None
        self.problems.append(Problem(self.file, line or self.line(path), _render_path(path), message, hint))

    def line(self, path: JsonPath) -> int | None:
        """The line of `path`, or of its nearest ancestor that is in the file (a missing key has no line)."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def sorted_problems(self) -> list[Problem]:
        return sorted(self.problems, key=lambda p: (p.line is None, p.line or 0))

    def parse(self, text: str | bytes) -> dict[str, Any] | None:
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as error:
                self.report((), f"the file is not UTF-8 text (byte {error.start})")
                return None
        if "\t" in text and _is_json(text):
            text = text.replace("\t", " ")  # PyYAML refuses tab indentation; in valid JSON a raw tab is only space
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = None if node is None else self._construct(loader, node, (), ())
        except yaml.MarkedYAMLError as error:
            self.problems.append(_syntax_problem(self.file, error))
            return None
        except yaml.YAMLError as error:
            self.report((), f"invalid YAML: {error}")
            return None
        finally:
            loader.dispose()
        if node is None:
            self.report((), "the file is empty", "a scenario is a mapping: start with `description: ...`")
            return None
        if not isinstance(data, dict):
            self.report((), f"the top level must be a mapping of keys (description, users, tasks, ...), got "
                        f"{show_value(data)}", "see docs/scenarios.md for the format")
            return None
        return data

    def _construct(self, loader: _Loader, node: yaml.Node, path: JsonPath, stack: tuple[yaml.Node, ...]) -> Any:
        self.lines[path] = node.start_mark.line + 1
        self._nodes += 1
        if self._nodes > _MAX_NODES:
            if self._nodes == _MAX_NODES + 1:
                self.report(path, "the document is too large (do aliases expand too far?)")
            return None
        if any(n is node for n in stack):
            self.report(path, "an alias refers to a value that contains it (a recursive structure)")
            return None
        if isinstance(node, yaml.MappingNode):
            return self._construct_mapping(loader, node, path, (*stack, node))
        if isinstance(node, yaml.SequenceNode):
            return [self._construct(loader, item, (*path, i), (*stack, node)) for i, item in enumerate(node.value)]
        value = loader.construct_object(node)
        if value is not None and not isinstance(value, str | int | float | bool):
            self.report(path, f"unsupported value of type {type(value).__name__} (tag {node.tag})",
                        "use a string, a number, true/false, null, a list or a mapping")
            return None
        return value

    def _construct_mapping(self, loader: _Loader, node: yaml.MappingNode, path: JsonPath,
                           stack: tuple[yaml.Node, ...]) -> dict[str, Any]:
        first_seen: dict[tuple[type, Any], int] = {}  # by type too: `1` and `true` are different keys
        for key_node, _ in node.value:  # YAML silently keeps the last of two equal keys: catch it first
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key, line = loader.construct_object(key_node), key_node.start_mark.line + 1
                if (type(key), key) in first_seen:
                    self.problems.append(Problem(self.file, line, _render_path((*path, str(key))),
                                                 f"duplicate key {key!r} (first at line {first_seen[type(key), key]})",
                                                 "YAML keeps only the last value: remove one of them"))
                first_seen.setdefault((type(key), key), line)
        loader.flatten_mapping(node)  # resolve `<<: *anchor` merges; own keys come last and win
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                self.problems.append(Problem(self.file, key_node.start_mark.line + 1, _render_path(path),
                                             f"key {show_value(key)} is not a string",
                                             f"quote it: '{getattr(key_node, 'value', '')}': ..."))
                continue
            self.key_lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = self._construct(loader, value_node, (*path, key), stack)
        return out

    def check_shape(self, data: dict[str, Any]) -> None:
        errors = list(_validator().iter_errors(data))
        for error in errors:
            path, schema, instance = tuple(error.absolute_path), error.schema, error.instance
            assert isinstance(schema, dict)
            if error.validator == "additionalProperties":
                allowed = list(schema.get("properties", {}))
                for key in instance:
                    if key not in allowed:
                        self.report((*path, key), f"unknown key {key!r}.{_suggest(key, allowed)}".rstrip("."),
                                    f"Valid keys here: {', '.join(allowed)}", at_key=True)
            elif error.validator == "enum":
                singular, plural = _noun(path)
                choices = [str(c) for c in error.validator_value]
                did_you_mean = _suggest(instance, choices) if isinstance(instance, str) else ""
                self.report(path, f"{show_value(instance)} is not a valid {singular}.{did_you_mean}",
                            f"Valid {plural}: {', '.join(choices)}")
            elif error.validator == "required":
                for key in error.validator_value:
                    if key not in instance:
                        described = schema.get("properties", {}).get(key, {}).get("description")
                        self.report(path, f"missing required key {key!r}", f"{key}: {described}" if described else None)
            elif error.validator in _FAULT_MESSAGES:
                if error.validator == "anyOf" and any(len(e.absolute_path) > len(path)
                                                      and tuple(e.absolute_path)[:len(path)] == path for e in errors):
                    continue  # like the control plane: an effect is missing only once the rest is right
                message, hint = _FAULT_MESSAGES[str(error.validator)]
                where = {"not": "drop", "dependentRequired": "message"}.get(str(error.validator))
                self.report((*path, where) if where else path, message, hint)
            elif error.validator == "type":
                expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
                wanted = " or ".join(_TYPE_NAMES[t] for t in expected)
                self.report(path, f"expected {wanted}, got {show_value(instance)}", schema.get("description"))
            else:
                self.report(path, _shape_message(error.validator, error.validator_value, instance, error.message),
                            schema.get("description"))


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _syntax_problem(file: str, error: yaml.MarkedYAMLError) -> Problem:
    mark, problem = error.problem_mark or error.context_mark, error.problem or str(error)
    hint = _YAML_HINTS.get(problem)
    if hint is None and error.context:
        hint = error.context + (f" started at line {error.context_mark.line + 1}" if error.context_mark else "")
    if mark is not None:
        hint = f"column {mark.column + 1}" + (f": {hint}" if hint else "")
    return Problem(file, mark.line + 1 if mark else None, "", f"invalid YAML: {problem}", hint)


@functools.cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _shape_message(keyword: object, expected: Any, instance: Any, fallback: str) -> str:
    if keyword == "minimum":
        return f"must be at least {expected}, got {show_value(instance)}"
    if keyword == "maximum":
        return f"must be at most {expected}, got {show_value(instance)}"
    if keyword == "exclusiveMinimum":
        return f"must be greater than {expected}, got {show_value(instance)}"
    if keyword == "minLength":
        return "must not be empty"
    if keyword == "uniqueItems":
        return "lists the same value twice"
    return fallback


def _render_path(path: JsonPath) -> str:
    """`("tasks", 1, "state")` → `tasks[1].state`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def _noun(path: JsonPath) -> tuple[str, str]:
    key = next((p for p in reversed(path) if isinstance(p, str)), "value")
    singular, plural = _NOUNS.get(key, (key, f"{key} values"))
    return (f"claimant {singular}", f"claimant {plural}") if "claimant" in path else (singular, plural)


def _suggest(value: str, choices: Iterable[str]) -> str:
    by_upper = {c.upper(): c for c in choices}
    match = difflib.get_close_matches(value.upper(), list(by_upper), n=1, cutoff=0.6)
    return f" Did you mean {by_upper[match[0]]!r}?" if match else ""


# -- pass 3: meaning ----------------------------------------------------------------------------------


def _check_meaning(data: Mapping[str, Any], doc: _Document) -> ClockSettings:
    """Report every problem a valid shape can still have; return the clock settings."""
    users, apps = data.get("users", []), data.get("applications", [])
    principals = _unique_ids(doc, [("users", users), ("applications", apps)], "id", "principal id",
                             "users and applications share one set of ids")
    groups = _unique_ids(doc, [("groups", data.get("groups", []))], "id", "group id",
                         "declare each group once, with all its members")
    _unique_keys(doc, [("users", users), ("applications", apps)])
    _unique_ids(doc, [("tasks", data.get("tasks", []))], "taskId", "task id", "give each task its own taskId")
    auth, has_keys = data.get("auth", {}), any(p.get("keys") for p in [*users, *apps])
    # Open mode without `auth.anonymous`: a call acts as the built-in `anonymous`, which may claim, create, save.
    builtin = frozenset({_ANONYMOUS.id}) if not auth.get("required", has_keys) and "anonymous" not in auth \
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
    return _clock(doc, data.get("clock", {}))


def _check_workflows(doc: _Document, data: Mapping[str, Any], principals: Iterable[str]) -> None:
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


def _unique_ids(doc: _Document, sections: Iterable[tuple[str, list[Any]]], key: str, what: str,
                hint: str | None = None) -> dict[str, JsonPath]:
    seen: dict[str, JsonPath] = {}
    for section, items in sections:
        for i, item in enumerate(items):
            _unique(doc, seen, item[key], (section, i, key), what, hint)
    return seen


def _unique_keys(doc: _Document, sections: Iterable[tuple[str, list[Any]]]) -> None:
    seen: dict[str, JsonPath] = {}
    for section, items in sections:
        for i, item in enumerate(items):
            for j, key in enumerate(item.get("keys", [])):
                _unique(doc, seen, key["keyId"], (section, i, "keys", j, "keyId"), "key id",
                        "POST /api/token finds the caller by key id: each must be unique")


def _unique(doc: _Document, seen: dict[str, JsonPath], value: str, path: JsonPath, what: str,
            hint: str | None) -> None:
    if value in seen:
        doc.report(path, f"duplicate {what} {value!r} (first at {_render_path(seen[value])}, line "
                   f"{doc.line(seen[value])})", hint)
    else:
        seen[value] = path


def _check_declared(doc: _Document, path: JsonPath, value: str, declared: Iterable[str], what: str,
                    section: str, extra: str = "", also: Iterable[str] = ()) -> None:
    """Report `value` unless it is in `declared` or `also` (accepted, but not offered in the hint); `section` says
    where to declare it (`users:`)."""
    names = sorted(declared)
    if value in names or value in also:
        return
    listed = f"declared: {', '.join(names[:8])}{', ...' if len(names) > 8 else ''}" if names else "none declared yet"
    doc.report(path, f"unknown {what} {value!r}.{_suggest(value, names)}".rstrip("."),
               f"declare it under {section} ({listed}){extra}")


_DEFAULTS: Final = {"createdBy": "ownerApp", "updatedBy": "createdBy"}


def _check_owners(doc: _Document, path: JsonPath, item: Mapping[str, Any], principals: Iterable[str],
                  apps: list[Any], builtin: frozenset[str], keys: Iterable[str] = ("createdBy",)) -> None:
    if "ownerApp" in item:
        _check_declared(doc, (*path, "ownerApp"), item["ownerApp"], {a["id"] for a in apps}, "application",
                        "`applications:`")
    for key in keys:
        if item.get(key):  # an empty updatedBy: a form seeded without createdBy, saved by nobody since
            _check_declared(doc, (*path, key), item[key], principals, "principal", _PRINCIPALS,
                            f"; or leave {key} out: it defaults to {_DEFAULTS[key]}", builtin)


def _check_times(doc: _Document, path: JsonPath, item: Mapping[str, Any], created: str, updated: str) -> None:
    if created in item and updated in item and item[updated] < item[created]:
        doc.report((*path, updated), f"{updated} ({item[updated]}) is before {created} ({item[created]})")


def _check_task(doc: _Document, path: JsonPath, task: Mapping[str, Any], users: set[str], groups: set[str],
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


def _check_indexes(doc: _Document, path: JsonPath, task: Mapping[str, Any], count: int) -> None:
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


def _check_auth(doc: _Document, auth: Mapping[str, Any], principals: Iterable[str], has_keys: bool) -> None:
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


def _clock(doc: _Document, clock: Mapping[str, Any]) -> ClockSettings:
    start, start_ms = clock.get("start"), None
    if isinstance(start, int):
        start_ms = start
    elif isinstance(start, str):
        example = "e.g. 2026-01-01T09:00:00Z, or epoch milliseconds"
        try:
            moment = datetime.fromisoformat(start)
        except ValueError:
            doc.report(("clock", "start"), f"{start!r} is not an ISO-8601 date-time", example)
        else:
            if moment.tzinfo is None:
                doc.report(("clock", "start"), f"{start!r} has no timezone", f"add Z or an offset: {example}")
            else:
                start_ms = int(moment.timestamp() * 1000)
    mode = clock.get("mode", "manual" if start is not None else "system")
    if mode == "manual" and start is None:
        doc.report(("clock", "mode"), "a manual clock needs a start", "add `start: 2026-01-01T09:00:00Z` under "
                   "`clock:`, or remove `mode`")
    return ClockSettings(start_ms, mode == "manual")


# -- building the seed ----------------------------------------------------------------------------------


def _build_seed(data: Mapping[str, Any], *, name: str, ids: IdGenerator, now: int) -> Seed:
    users, apps = data.get("users", []), data.get("applications", [])
    members: dict[str, list[str]] = {g["id"]: list(g.get("members", [])) for g in data.get("groups", [])}
    for user in users:
        for group in user.get("groups", []):
            members[group].append(user["id"])
    principals = [_principal(u, PrincipalKind.USER) for u in users]
    principals += [_principal(a, PrincipalKind.APPLICATION) for a in apps]
    keys = [ApiKey(k["keyId"], k["keySecret"], p["id"]) for p in [*users, *apps] for k in p.get("keys", [])]
    auth = data.get("auth", {})
    anonymous = next((p for p in principals if p.id == auth.get("anonymous")), _ANONYMOUS)
    # The token service hands this principal out as it is, without the Directory merging group memberships in.
    anonymous = replace(anonymous, groups=anonymous.groups | {g for g, m in members.items() if anonymous.id in m})
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
        workflows=tuple(WorkflowStart(w["name"], w.get("version"), w.get("input"), w.get("correlationId"),
                                      w.get("startedBy"), w.get("workflowId")) for w in data.get("workflows", [])),
    )


def _principal(item: Mapping[str, Any], kind: PrincipalKind) -> Principal:
    roles = frozenset(Role(r) for r in item.get("roles", [Role.USER]))
    return Principal(item["id"], kind, roles, frozenset(item.get("groups", [])), item.get("name", item["id"]))


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
    if "actionLogs" in item:
        logs = [_log(entry) for entry in item["actionLogs"]]
    else:  # the logs a real server would have left: the system's assignment at creation, then the claim
        logs = [assignment_log(task, created_on, ids)]
        if task.claimant is not None:
            logs.append(ActionLog(ids.new_id(), TaskState.IN_PROGRESS, task.updated_on, LogAction.CLAIM,
                                  str(task.claimant), assignee=assignee, claimant=task.claimant))
    return replace(task, state=TaskState(item.get("state", "ASSIGNED")), action_logs=tuple(logs))
