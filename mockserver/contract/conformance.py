"""Conformance scenarios: small YAML stories that build their own world through the public API, act as
named identities, and state what the server must answer. The format is documented in docs/contract.md;
in short:

    description: The owner claims the task for the EXTERNAL_USER it is assigned to.
    vars: {alice: "alice-${run}@partner.example"}
    workflow:                                   # the world: one started workflow with one HUMAN task
      assignments: [{user: "${alice}", userType: EXTERNAL_USER}]
    steps:
      - rule: claim_for_matching_external_user  # named in the summary, the JUnit XML and --select
        as: owner                               # owner | other | admin | user | user2 | <identity name>
        request: POST /human/tasks/${task}/externalUser/${alice}
        query: {overrideAssignment: false}
        expect: {status: 200, body: {state: IN_PROGRESS, claimant: {user: "${alice}"}}}
        then:
          task: {state: IN_PROGRESS}            # GET /human/tasks/${task} as the owner, right after
          workflow: {status: RUNNING}           # GET /workflow/${workflow}?includeTasks=true (polled)
          unchanged: true                       # the task reads as it did before the request

A scenario that needs an identity (or an identity's `id`/groups) that is not configured is skipped, with
the reason. A scenario stops at its first failing step (later steps build on it).
"""

from __future__ import annotations

import difflib
import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockserver.contract import matchers, rules
from mockserver.contract.provision import HumanTaskSpec, SetupFailed, World, build
from mockserver.contract.report import Emit, Finding, Result
from mockserver.contract.sessions import Exchange, Session, segment
from mockserver.contract.target import Target

PART = "conformance"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:\.(id|group))?\}")
_BUILT_IN = frozenset({"run", "task", "workflow", "scenario", "definition"})
_SCENARIO_KEYS = ("name", "description", "needs", "vars", "workflow", "steps")
_WORKFLOW_KEYS = ("assignments", "completionStrategy", "displayName", "input")
_STEP_KEYS = ("rule", "as", "request", "query", "body", "expect", "then")
_EXPECT_KEYS = ("status", "body")
_THEN_KEYS = ("task", "workflow", "unchanged")
_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
_COMPARED = ("state", "assignee", "claimant", "output")
_NO_BODY = object()


class ScenarioFormatError(ValueError):
    """A conformance scenario that is not well-formed; the message names the file and the YAML path."""


@dataclass(frozen=True, slots=True)
class Step:
    rule: str
    actor: str = "owner"
    method: str | None = None
    path: str | None = None
    query: Mapping[str, Any] = field(default_factory=dict)
    body: Any = _NO_BODY
    status: tuple[int, ...] = ()
    expect_body: Any = _NO_BODY
    then_task: Any = _NO_BODY
    then_workflow: Any = _NO_BODY
    unchanged: bool = False


@dataclass(frozen=True, slots=True)
class ConformanceScenario:
    name: str
    description: str
    path: Path | None
    steps: tuple[Step, ...]
    workflow: Mapping[str, Any] | None = None
    vars: Mapping[str, str] = field(default_factory=dict)
    needs: tuple[str, ...] = ()

    @property
    def rules(self) -> list[str]:
        return list(dict.fromkeys(step.rule for step in self.steps))

    def requirements(self) -> list[str]:
        """Identity references this scenario cannot run without (`user`, `user.group`, `owner.id`, …)."""
        found: dict[str, None] = {ref: None for ref in self.needs}
        for step in self.steps:
            found[step.actor] = None
        for text in _strings([self.vars, self.workflow, [(s.path, s.query, s.body, s.expect_body, s.then_task,
                                                          s.then_workflow) for s in self.steps]]):
            for name, attribute in _VAR.findall(text):
                if name not in _BUILT_IN and name not in self.vars:
                    found[f"{name}.{attribute}" if attribute else name] = None
        return list(found)


# -- loading ---------------------------------------------------------------------------------------------

def shipped_dir() -> Path:
    from mockserver import resources

    return resources.scenarios_dir() / "conformance"


def discover(directory: Path | None = None) -> list[Path]:
    folder = directory or shipped_dir()
    return sorted(p for p in folder.glob("*.yaml") if not p.name.startswith("identities"))


def load_all(paths: Iterable[Path]) -> list[ConformanceScenario]:
    return [load(path) for path in paths]


def load(path: Path) -> ConformanceScenario:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ScenarioFormatError(f"{path}: cannot read: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ScenarioFormatError(f"{path}: not valid YAML: {error}") from None
    return parse(data, name=path.stem, path=path)


def parse(data: Any, *, name: str, path: Path | None = None) -> ConformanceScenario:
    where = str(path) if path else name
    doc = _mapping(data, where, _SCENARIO_KEYS)
    if not isinstance(doc.get("steps"), list) or not doc["steps"]:
        raise ScenarioFormatError(f"{where}: steps: expected a non-empty list of steps")
    variables = _mapping(doc.get("vars") or {}, f"{where}: vars", None)
    workflow = doc.get("workflow")
    if workflow is not None:
        workflow = _mapping(workflow, f"{where}: workflow", _WORKFLOW_KEYS)
        if not isinstance(workflow.get("assignments", []), list):
            raise ScenarioFormatError(f"{where}: workflow.assignments: expected a list of {{user, userType}}")
    steps = tuple(_step(item, f"{where}: steps[{i}]") for i, item in enumerate(doc["steps"]))
    needs = doc.get("needs") or []
    if not isinstance(needs, list):
        raise ScenarioFormatError(f"{where}: needs: expected a list of identity references")
    return ConformanceScenario(str(doc.get("name") or name), str(doc.get("description") or "").strip(), path, steps,
                    workflow, {str(k): str(v) for k, v in variables.items()}, tuple(str(n) for n in needs))


def _step(data: Any, where: str) -> Step:
    item = _mapping(data, where, _STEP_KEYS)
    rule = item.get("rule")
    if not isinstance(rule, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", rule):
        raise ScenarioFormatError(f"{where}.rule: expected a snake_case rule name, got {rule!r}")
    method = path = None
    if "request" in item:
        method, _, path = str(item["request"]).strip().partition(" ")
        method = method.upper()
        if method not in _METHODS or not path.strip().startswith("/"):
            raise ScenarioFormatError(f"{where}.request: expected 'METHOD /path' (e.g. 'POST /human/tasks/${{task}}"
                                      f"/release'), got {item['request']!r}")
        path = path.strip()
    expect = _mapping(item.get("expect") or {}, f"{where}.expect", _EXPECT_KEYS)
    if method and "status" not in expect:
        raise ScenarioFormatError(f"{where}.expect.status: a step with a request must say which status it expects")
    raw_status = expect.get("status", [])
    statuses = raw_status if isinstance(raw_status, list) else [raw_status]
    if not all(isinstance(s, int) and 100 <= s <= 599 for s in statuses):
        raise ScenarioFormatError(f"{where}.expect.status: expected an HTTP status or a list of them, "
                                  f"got {raw_status!r}")
    then = _mapping(item.get("then") or {}, f"{where}.then", _THEN_KEYS)
    for key, value in (("expect.body", expect.get("body")), ("then.task", then.get("task")),
                       ("then.workflow", then.get("workflow"))):
        try:
            matchers.validate(value, f"{where}.{key}")
        except matchers.MatcherError as error:
            raise ScenarioFormatError(str(error)) from None
    if not method and not then:
        raise ScenarioFormatError(f"{where}: a step needs a request, or `then` expectations, or both")
    query = item.get("query") or {}
    if not isinstance(query, dict):
        raise ScenarioFormatError(f"{where}.query: expected a mapping of query parameters")
    return Step(rule, str(item.get("as", "owner")), method, path, query, item.get("body", _NO_BODY),
                tuple(statuses), expect.get("body", _NO_BODY), then.get("task", _NO_BODY),
                then.get("workflow", _NO_BODY), bool(then.get("unchanged", False)))


def _mapping(data: Any, where: str, known: tuple[str, ...] | None) -> dict[str, Any]:
    """`data` as a mapping; with `known`, any other key is refused with a did-you-mean."""
    if not isinstance(data, dict):
        raise ScenarioFormatError(f"{where}: expected a mapping")
    unknown = [key for key in data if known is not None and key not in known]
    if unknown and known is not None:
        close = difflib.get_close_matches(str(unknown[0]), known, n=1, cutoff=0.6)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ScenarioFormatError(f"{where}: unknown key '{unknown[0]}'.{hint} Known keys: {', '.join(known)}")
    return data


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


# -- running ---------------------------------------------------------------------------------------------

def missing_requirements(scenario: ConformanceScenario, target: Target) -> list[str]:
    """What the scenario needs that `target.identities` lacks, as sentences."""
    missing = []
    for ref in scenario.requirements():
        name, _, attribute = ref.partition(".")
        identity = target.identity(name)
        if identity is None:
            missing.append(f"identity '{name}'")
        elif attribute == "id" and not identity.id:
            missing.append(f"the `id` of identity '{name}'")
        elif attribute == "group" and not identity.groups:
            missing.append(f"a group of identity '{name}' (its `groups:`)")
    return list(dict.fromkeys(missing))


class _Values:
    """The `${...}` values of one scenario run."""

    def __init__(self, scenario: ConformanceScenario, target: Target) -> None:
        self._target = target
        self.values: dict[str, str] = {"run": target.run_id, "scenario": scenario.name}
        for key, value in scenario.vars.items():
            self.values[key] = self.text(value)

    def _lookup(self, match: re.Match[str]) -> str:
        name, attribute = match.group(1), match.group(2)
        if attribute is None:
            if name not in self.values:
                raise KeyError(f"${{{name}}} has no value here")
            return self.values[name]
        identity = self._target.identity(name)
        if identity is None:
            raise KeyError(f"no identity '{name}'")
        value = identity.id if attribute == "id" else (identity.groups[0] if identity.groups else None)
        if not value:
            raise KeyError(f"identity '{name}' has no {attribute}")
        return value

    def text(self, value: str, *, encode: bool = False) -> str:
        return _VAR.sub(lambda m: segment(self._lookup(m)) if encode else self._lookup(m), value)

    def deep(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.deep(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        return value


def run_all(scenarios: Iterable[ConformanceScenario], target: Target, emit: Emit) -> list[Result]:
    return [run_scenario(scenario, target, emit) for scenario in scenarios]


def run_scenario(scenario: ConformanceScenario, target: Target, emit: Emit) -> Result:
    started = time.monotonic()
    result = Result(PART, scenario.name)
    missing = missing_requirements(scenario, target)
    if missing:
        result.skip(f"needs {', '.join(missing)}, which {target.identities.source} does not configure")
        emit(f"[{PART}] {scenario.name:<40} SKIPPED ({result.reason})")
        return result
    values = _Values(scenario, target)
    try:
        if scenario.workflow is not None:
            built = _build(scenario, target, values)
            values.values.update(task=built.task_id, workflow=built.workflow_id, definition=built.definition)
        for index, step in enumerate(scenario.steps):
            findings = _run_step(step, target, values)
            result.checks += 1
            if findings:
                for finding in findings:
                    result.fail(finding)
                rest = len(scenario.steps) - index - 1
                if rest:
                    result.reason = f"stopped at step {index + 1} of {len(scenario.steps)}; {rest} later steps not run"
                break
    except SetupFailed as error:
        result.error(f"could not build the scenario's world: {error}")
    except (KeyError, OSError, ValueError) as error:
        result.error(f"{type(error).__name__}: {error}")
    result.duration = time.monotonic() - started
    status = result.outcome.value.upper()
    rules_broken = ", ".join(dict.fromkeys(f.rule for f in result.findings))
    detail = f" ({rules_broken})" if rules_broken else (f" ({result.reason})" if result.reason else "")
    emit(f"[{PART}] {scenario.name:<40} {status}{detail}  [{result.checks} steps, {result.duration:.1f}s]")
    return result


def _build(scenario: ConformanceScenario, target: Target, values: _Values) -> World:
    spec = values.deep(dict(scenario.workflow or {}))
    task = HumanTaskSpec(assignments=spec.get("assignments") or [],
                         completion_strategy=str(spec.get("completionStrategy", "LEAVE_OPEN")),
                         display_name=str(spec.get("displayName", f"Contract check {scenario.name}")),
                         input=spec.get("input") or {})
    name = re.sub(r"[^A-Za-z0-9_]", "_", f"contract_{target.run_id}_{scenario.name}")
    return build(target.owner, name, task, form=target.form(), input={"scenario": scenario.name},
                 wait_seconds=target.wait_seconds)


def _run_step(step: Step, target: Target, values: _Values) -> list[Finding]:
    session = target.session(step.actor)
    owner = target.owner
    before = _read_task(owner, values) if step.unchanged else None
    found: list[Finding] = []
    if step.method and step.path:
        query = values.deep(dict(step.query)) if step.query else None
        body = values.deep(step.body) if step.body is not _NO_BODY else None
        reply = session.request(step.method, values.text(step.path, encode=True), params=query, json=body)
        exchange = Exchange.of(reply)
        found += _check_reply(step, exchange, values)
        if found:
            return found
    if step.then_task is not _NO_BODY:
        found += _expect_read(step, owner, f"/human/tasks/{segment(values.values['task'])}", None,
                              values.deep(step.then_task), 0.0)
    if step.then_workflow is not _NO_BODY:
        found += _expect_read(step, owner, f"/workflow/{segment(values.values['workflow'])}", {"includeTasks": True},
                              values.deep(step.then_workflow), target.wait_seconds)
    if before is not None:
        after = _read_task(owner, values)
        changed = [k for k in _COMPARED if before[1].get(k) != after[1].get(k)]
        if changed:
            diff = "; ".join(f"{k}: {rules.short(before[1].get(k), 80)} -> {rules.short(after[1].get(k), 80)}"
                             for k in changed)
            found.append(Finding(step.rule, after[0].request_line, "the task unchanged by the refused request", diff))
    return found


def _check_reply(step: Step, exchange: Exchange, values: _Values) -> list[Finding]:
    found = []
    if step.status and exchange.status not in step.status:
        want = " or ".join(str(s) for s in step.status)
        found.append(Finding(step.rule, exchange.request_line, f"HTTP {want}", exchange.brief()))
    for violation in rules.error_reply(exchange.status, exchange.content_type, exchange.text):
        found.append(Finding(violation.rule, exchange.request_line, violation.expected, violation.got))
    if found or step.expect_body is _NO_BODY:
        return found
    for violation in rules.json_reply(exchange.status, exchange.content_type, exchange.text):
        found.append(Finding(violation.rule, exchange.request_line, violation.expected, violation.got))
    try:
        body = exchange.json()
    except ValueError:
        return [*found, Finding(step.rule, exchange.request_line, "a JSON body", exchange.brief())]
    expected = values.deep(step.expect_body)
    problems = matchers.mismatches(expected, body)
    if problems:
        found.append(Finding(step.rule, exchange.request_line, f"body like {rules.short(expected)}",
                             "; ".join(problems)))
    return found


def _expect_read(step: Step, session: Session, path: str, params: Mapping[str, Any] | None, expected: Any,
                 wait: float) -> list[Finding]:
    """GET `path` and match it; retried for up to `wait` seconds (for what a server does asynchronously)."""
    deadline = time.monotonic() + wait
    while True:
        exchange = Exchange.of(session.get(path, params=params))
        if exchange.status != 200:
            finding = Finding(step.rule, exchange.request_line, "HTTP 200 (reading the result)", exchange.brief())
        else:
            problems = matchers.mismatches(expected, exchange.json())
            if not problems:
                return []
            finding = Finding(step.rule, exchange.request_line, f"like {rules.short(expected)}", "; ".join(problems))
        if time.monotonic() >= deadline:
            return [finding]
        time.sleep(0.2)


def _read_task(session: Session, values: _Values) -> tuple[Exchange, dict[str, Any]]:
    exchange = Exchange.of(session.get(f"/human/tasks/{segment(values.values['task'])}"))
    try:
        body = exchange.json()
    except ValueError:
        body = None
    return exchange, body if isinstance(body, dict) else {"(unreadable)": json.dumps(exchange.text)}
