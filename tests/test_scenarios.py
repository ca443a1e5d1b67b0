"""The scenario loader: shipped files load, broken ones fail with their exact message, seeds are built faithfully.

Each file in tests/fixtures/bad_scenarios/ starts with `# expect: ` lines: together they are the exact text of
the `ScenarioError` that file raises (the hint lines keep their two-space indent after the prefix).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest
from jsonschema import Draft202012Validator

from mockserver.domain import (
    ActionLog,
    ApiKey,
    Assignment,
    AuthSettings,
    CompletionStrategy,
    FormRef,
    HumanTask,
    HumanTaskDef,
    LogAction,
    Principal,
    PrincipalKind,
    Role,
    SequentialIds,
    TaskState,
    TaskUser,
    Template,
    UserType,
)
from mockserver.scenarios import (
    SCHEMA_PATH,
    ClockSettings,
    Problem,
    Scenario,
    ScenarioError,
    check_scenario,
    load_scenario,
)

ROOT: Final = Path(__file__).resolve().parent.parent
SHIPPED: Final = sorted((ROOT / "scenarios").glob("*.yaml"))
BAD_DIR: Final = Path("tests/fixtures/bad_scenarios")  # as given to the loader: the file part of every message
BAD: Final = sorted((ROOT / BAD_DIR).glob("*.yaml"))
EXPECT: Final = "# expect: "
START: Final = 1_767_258_000_000  # 2026-01-01T09:00:00Z
ANONYMOUS: Final = Principal("anonymous", PrincipalKind.USER, frozenset({Role.ADMIN, Role.USER}), name="anonymous")


def load(text: str, *, source: str = "inline.yaml", seed: int = 7, now_ms: int = 5_000) -> Scenario:
    return load_scenario(source, ids=SequentialIds(seed), now_ms=now_ms, text=text)


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(ScenarioError) as caught:
        load(text)
    return caught.value.problems


# -- shipped scenarios ----------------------------------------------------------------------------------


def test_scenarios_folder_ships_the_documented_files() -> None:
    assert {p.name for p in SHIPPED} >= {"default.yaml", "open.yaml", "claimed.yaml", "terminal.yaml", "groups.yaml"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenario_loads_without_problems(path: Path) -> None:
    assert check_scenario(path) == []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenario_has_schema_line_and_description(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../mockserver/scenario.schema.json\n")
    assert load_scenario(path, ids=SequentialIds(), now_ms=0).seed.description.strip()


def test_default_scenario_covers_every_state_and_every_assignee_type() -> None:
    seed = load_scenario(ROOT / "scenarios/default.yaml", ids=SequentialIds(), now_ms=0).seed

    assert {t.state for t in seed.tasks} == set(TaskState)
    assert {t.assignee.user_type if t.assignee else None for t in seed.tasks} == {*UserType, None}
    waiting = [t for t in seed.tasks if t.state is TaskState.ASSIGNED]
    assert {t.assignee.user_type if t.assignee else None for t in waiting} == {*UserType, None}
    assert {t.owner_app for t in seed.tasks} == {"owner-app"}


def test_default_scenario_requires_auth_with_the_documented_keys() -> None:
    scenario = load_scenario(ROOT / "scenarios/default.yaml", ids=SequentialIds(), now_ms=0)
    seed = scenario.seed

    assert seed.auth.required
    assert scenario.clock == ClockSettings(START, manual=False)
    assert {(k.key_id, k.secret, k.principal_id) for k in seed.keys} == {
        ("admin-key", "admin-secret", "admin@example.com"),
        ("alice-key", "alice-secret", "alice@example.com"),
        ("bob-key", "bob-secret", "bob@example.com"),
        ("owner-key", "owner-secret", "owner-app"),
        ("other-key", "other-secret", "other-app"),
    }
    principals = {p.id: p for p in seed.principals}
    assert principals["admin@example.com"].is_admin
    assert principals["other-app"].kind is PrincipalKind.APPLICATION
    assert dict(seed.groups)["reviewers"] == ("bob@example.com", "alice@example.com")
    assert [(t.name, t.version) for t in seed.templates] == [("approve_form", 1)]


def test_the_complete_example_in_the_docs_loads() -> None:
    docs = (ROOT / "docs/scenarios.md").read_text(encoding="utf-8")
    example = docs.split("## A complete example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]

    seed = load(example).seed

    assert seed.name == "invoices"
    assert [t.state for t in seed.tasks] == [TaskState.ASSIGNED, TaskState.IN_PROGRESS]


# -- broken scenarios: exact messages -----------------------------------------------------------------


def expectation(path: Path) -> str:
    lines = [line[len(EXPECT):] for line in path.read_text(encoding="utf-8").splitlines() if line.startswith(EXPECT)]
    assert lines, f"{path.name} has no `{EXPECT}` lines"
    return "\n".join(lines)


def test_bad_fixtures_cover_every_kind_of_problem() -> None:
    assert len(BAD) >= 20


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_bad_scenario_fails_with_its_exact_message(path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BAD_DIR / path.name, ids=SequentialIds(), now_ms=0, text=path.read_text(encoding="utf-8"))

    assert str(caught.value) == expectation(path)


def test_problem_carries_file_line_path_message_and_hint() -> None:
    [problem] = check_scenario(ROOT / BAD_DIR / "bad_state.yaml")

    assert problem == Problem(
        file=str(ROOT / BAD_DIR / "bad_state.yaml"),
        line=9,
        path="tasks[1].state",
        message="'IN_PROGESS' is not a valid state. Did you mean 'IN_PROGRESS'?",
        hint="Valid states: PENDING, ASSIGNED, IN_PROGRESS, COMPLETED, TIMED_OUT, DELETED",
    )


@pytest.mark.parametrize("name", ["several_problems.yaml", "several_shape_problems.yaml"])
def test_several_problems_are_all_reported_in_line_order(name: str) -> None:
    problems = check_scenario(ROOT / BAD_DIR / name)

    lines = [p.line for p in problems if p.line is not None]
    assert len(problems) >= 5
    assert len(lines) == len(problems)
    assert lines == sorted(lines)


def test_problem_without_line_or_hint_renders_file_path_and_message_only() -> None:
    assert str(Problem("s.yaml", None, "", "the file is empty", None)) == "s.yaml: the file is empty"
    assert str(Problem("s.yaml", 3, "auth", "boom", "fix it")) == "s.yaml:3: auth: boom\n  fix it"


def test_check_scenario_returns_no_problems_for_a_good_file_and_all_for_a_bad_one() -> None:
    assert check_scenario(ROOT / "scenarios/open.yaml") == []
    assert len(check_scenario(ROOT / BAD_DIR / "several_problems.yaml")) == 5


def test_meaning_is_checked_only_once_the_shape_is_valid() -> None:
    # The unknown ownerApp would be a meaning problem; the misspelled key hides it until fixed.
    problems = problems_of("tasks:\n  - taskId: t\n    ownerApp: nobody\n    stat: ASSIGNED\n")

    assert [p.path for p in problems] == ["tasks[0].stat"]


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        ("clock: {start: tomorrow}\n", "clock.start", "'tomorrow' is not an ISO-8601 date-time"),
        ("clock: {mode: manual}\n", "clock.mode", "a manual clock needs a start"),
        ("users: [{id: a, keys: [{keyId: k, keySecret: s}]}]\nauth: {anonymous: a}\n", "auth.anonymous",
         "only open mode uses `anonymous`, and auth is required here (it is by default, since keys are declared)"),
        ("tasks: [{taskId: t, claimant: {user: app, userType: CONDUCTOR_USER}, state: COMPLETED}]\n",
         "tasks[0].claimant.user", "unknown Conductor user 'app'"),
        ("tasks: [{taskId: t, createdOn: 10, updatedOn: 5}]\n", "tasks[0].updatedOn",
         "updatedOn (5) is before createdOn (10)"),
        ("templates: [{name: f, ownerApp: nobody}]\n", "templates[0].ownerApp", "unknown application 'nobody'"),
        ("a: &x [*x]\n", "a[0]", "an alias refers to a value that contains it (a recursive structure)"),
        ("description: !!binary aGk=\n", "description",
         "unsupported value of type bytes (tag tag:yaml.org,2002:binary)"),
        ("tasks: [{taskId: t, input: {1: one}}]\n", "tasks[0].input", "key 1 is not a string"),
    ],
)
def test_other_problems_have_a_message(text: str, path: str, message: str) -> None:
    assert (path, message) in [(p.path, p.message) for p in problems_of(text)]


# -- building the seed ----------------------------------------------------------------------------------

INLINE: Final = """
clock: {start: 2026-01-01T09:00:00Z}
users:
  - {id: alice@example.com, groups: [reviewers], keys: [{keyId: a-key, keySecret: a-secret}]}
  - {id: bob@example.com, name: Bob}
groups:
  - {id: reviewers, members: [bob@example.com]}
applications:
  - {id: owner-app, roles: [ADMIN, USER]}
templates:
  - {name: form, jsonSchema: {type: object}, tags: [{key: team, value: ap}], ownerApp: owner-app}
tasks:
  - taskId: t-assigned
    ownerApp: owner-app
    taskRefName: approve_ref
    humanTaskDef:
      displayName: Approve
      assignments:
        - {assignee: {user: alice@example.com, userType: CONDUCTOR_USER}, slaMinutes: 30}
        - {assignee: {user: reviewers, userType: CONDUCTOR_GROUP}}
      userFormTemplate: {name: form}
    input: {amount: 10, __humanTaskDefinition: {stale: true}, __humanTaskProcessContext: {}}
  - taskId: t-claimed
    state: IN_PROGRESS
    workflowId: wf-1
    assignee: {user: reviewers, userType: CONDUCTOR_GROUP}
    claimant: {user: bob@example.com, userType: EXTERNAL_USER}
    humanTaskDef:
      assignments:
        - {assignee: {user: alice@example.com, userType: CONDUCTOR_USER}, slaMinutes: 30}
        - {assignee: {user: reviewers, userType: CONDUCTOR_GROUP}}
      assignmentCompletionStrategy: TERMINATE
    output: {draft: true}
    createdOn: 1000
    updatedOn: 2000
  - taskId: t-open
    assignee: null
    displayName: Anyone
    definitionName: triage
    humanTaskDef:
      assignments: [{assignee: {user: carol, userType: EXTERNAL_USER}}]
"""
ALICE: Final = TaskUser("alice@example.com", UserType.CONDUCTOR_USER)
REVIEWERS: Final = TaskUser("reviewers", UserType.CONDUCTOR_GROUP)
BOB: Final = TaskUser("bob@example.com", UserType.EXTERNAL_USER)
CAROL: Final = TaskUser("carol", UserType.EXTERNAL_USER)


@pytest.fixture
def expected_ids() -> Iterator[str]:
    """The ids the loader draws from `SequentialIds(7)`, in the order it draws them."""
    return iter(SequentialIds(7).new_id, "")


def test_inline_scenario_builds_principals_groups_keys_and_templates() -> None:
    seed = load(INLINE).seed

    assert seed.name == "inline"
    assert seed.auth == AuthSettings(required=True, token_ttl_ms=3_600_000, anonymous=ANONYMOUS)
    assert seed.principals == (
        Principal("alice@example.com", PrincipalKind.USER, frozenset({Role.USER}), frozenset({"reviewers"}),
                  "alice@example.com"),
        Principal("bob@example.com", PrincipalKind.USER, frozenset({Role.USER}), frozenset(), "Bob"),
        Principal("owner-app", PrincipalKind.APPLICATION, frozenset({Role.ADMIN, Role.USER}), frozenset(), "owner-app"),
    )
    assert seed.groups == (("reviewers", ("bob@example.com", "alice@example.com")),)
    assert seed.keys == (ApiKey("a-key", "a-secret", "alice@example.com"),)
    assert seed.templates == (Template("form", 1, {"type": "object"}, {}, ({"key": "team", "value": "ap"},),
                                       "owner-app", "owner-app", START, "owner-app", START),)


def test_assigned_task_takes_first_assignment_and_defaults(expected_ids: Iterator[str]) -> None:
    task = load(INLINE).seed.tasks[0]

    workflow_id, log_id = next(expected_ids), next(expected_ids)
    assert task == HumanTask(
        task_id="t-assigned", state=TaskState.ASSIGNED, created_on=START, updated_on=START,
        assignee=ALICE, claimant=None, definition_name="approve_ref", display_name="Approve",
        workflow_id=workflow_id, workflow_name="", task_ref_name="approve_ref",
        created_by="owner-app", updated_by="owner-app", owner_app="owner-app",
        definition=HumanTaskDef(assignments=(Assignment(ALICE, 30), Assignment(REVIEWERS, 0)),
                                display_name="Approve", form=FormRef("form", 0)),
        input={"amount": 10}, output={},
        action_logs=(ActionLog(log_id, TaskState.ASSIGNED, START, LogAction.ASSIGNMENT, "system", assignee=ALICE),),
        assignee_index=0, assignments_completed=False,
    )


def test_claimed_task_gets_assignment_and_claim_logs(expected_ids: Iterator[str]) -> None:
    task = load(INLINE).seed.tasks[1]

    _, _, assigned_log, claim_log = (next(expected_ids) for _ in range(4))
    assert task == HumanTask(
        task_id="t-claimed", state=TaskState.IN_PROGRESS, created_on=1000, updated_on=2000,
        assignee=REVIEWERS, claimant=BOB, definition_name="human_task", display_name="human_task",
        workflow_id="wf-1", workflow_name="", task_ref_name="t-claimed", created_by="", updated_by="",
        owner_app=None,
        definition=HumanTaskDef(assignments=(Assignment(ALICE, 30), Assignment(REVIEWERS, 0)),
                                completion_strategy=CompletionStrategy.TERMINATE, display_name="human_task"),
        input={}, output={"draft": True},
        action_logs=(
            ActionLog(assigned_log, TaskState.ASSIGNED, 1000, LogAction.ASSIGNMENT, "system", assignee=REVIEWERS),
            ActionLog(claim_log, TaskState.IN_PROGRESS, 2000, LogAction.CLAIM, "EXTERNAL_USER:bob@example.com",
                      assignee=REVIEWERS, claimant=BOB),
        ),
        assignee_index=1, assignments_completed=False,
    )


def test_explicit_null_assignee_makes_an_open_task(expected_ids: Iterator[str]) -> None:
    task = load(INLINE).seed.tasks[2]

    *_, workflow_id, log_id = (next(expected_ids) for _ in range(6))
    assert task.assignee is None and task.is_open
    assert task.workflow_id == workflow_id
    assert (task.definition_name, task.task_ref_name, task.display_name) == ("triage", "triage", "Anyone")
    assert task.definition.assignments == (Assignment(CAROL, 0),)
    assert task.definition.display_name == "Anyone"
    assert (task.assignee_index, task.assignments_completed) == (None, True)
    assert task.action_logs == (
        ActionLog(log_id, TaskState.ASSIGNED, START, LogAction.ASSIGNMENTS_COMPLETED, "system"),
    )


def test_assignee_without_assignments_is_listed_as_the_only_assignment() -> None:
    [task] = load("tasks: [{taskId: t, assignee: {user: dan, userType: EXTERNAL_USER}}]\n").seed.tasks

    assert task.definition.assignments == (Assignment(TaskUser("dan", UserType.EXTERNAL_USER), 0),)
    assert task.assignee_index == 0


def test_no_clock_uses_now_and_the_system_clock() -> None:
    scenario = load("tasks: [{taskId: t}]\n", now_ms=42)

    assert scenario.clock == ClockSettings(None, manual=False)
    assert (scenario.seed.tasks[0].created_on, scenario.seed.tasks[0].updated_on) == (42, 42)
    assert scenario.seed.auth == AuthSettings(required=False, token_ttl_ms=3_600_000, anonymous=ANONYMOUS)


def test_clock_start_in_epoch_ms_with_system_mode() -> None:
    assert load("clock: {start: 1000, mode: system}\n").clock == ClockSettings(1000, manual=False)


def test_clock_start_with_offset_is_converted_to_utc() -> None:
    assert load("clock: {start: '2026-01-01T10:00:00+01:00'}\n").clock == ClockSettings(START, manual=True)


def test_open_mode_acts_as_the_declared_anonymous_principal() -> None:
    seed = load("auth: {anonymous: viewer, tokenTtlSeconds: 60}\nusers: [{id: viewer}]\n").seed

    assert seed.auth == AuthSettings(required=False, token_ttl_ms=60_000,
                                     anonymous=Principal("viewer", PrincipalKind.USER, name="viewer"))


def test_anonymous_principal_carries_the_groups_that_list_it() -> None:
    seed = load("users: [{id: viewer}]\ngroups: [{id: readers, members: [viewer]}]\nauth: {anonymous: viewer}\n").seed

    assert seed.auth.anonymous is not None and seed.auth.anonymous.groups == {"readers"}


def test_same_text_and_id_seed_give_the_same_seed() -> None:
    first, again, other = load(INLINE).seed, load(INLINE).seed, load(INLINE, seed=8).seed

    assert first == again
    assert first != other  # generated workflow and log ids depend on the id seed


def test_text_is_parsed_instead_of_the_file_and_named_by_source() -> None:
    scenario = load("name: body\n", source="<control plane>")

    assert (scenario.path, scenario.seed.name) == (None, "body")
    named = Path("nowhere/x.yaml")
    assert load_scenario(named, ids=SequentialIds(), now_ms=0, text="{}").path == named


def test_tab_indented_json_is_accepted() -> None:
    body = json.dumps({"description": "from JSON", "tasks": [{"taskId": "t", "state": "PENDING"}]}, indent="\t")

    assert load(body).seed.tasks[0].state is TaskState.PENDING


# -- the schema -----------------------------------------------------------------------------------------


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def objects_in(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from objects_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from objects_in(value)


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    document = schema()

    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(document)


def test_schema_closes_every_declared_object_and_describes_every_field() -> None:
    with_properties = [node for node in objects_in(schema()) if "properties" in node]

    assert with_properties
    for node in with_properties:
        if node.get("additionalProperties") is True:
            assert "free-form" in node["description"]  # Conductor's own models: open by design, and said so
        else:
            assert node.get("additionalProperties") is False, sorted(node["properties"])
        for name, field in node["properties"].items():
            assert field.get("description"), name


def test_schema_accepts_a_null_assignee_and_rejects_an_unknown_key() -> None:
    validator = Draft202012Validator(schema())

    assert validator.is_valid({"tasks": [{"taskId": "t", "assignee": None}]})
    assert not validator.is_valid({"tasks": [{"taskId": "t", "stat": "ASSIGNED"}]})
