"""The public API (`load_scenario`, `check_scenario`): shipped files load, broken ones fail with their exact message.

Each file in tests/fixtures/bad_scenarios/ starts with `# expect: ` lines: together they are the exact text of
the `ScenarioError` that file raises (the hint lines keep their two-space indent after the prefix).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.domain import (
    PrincipalKind,
    SequentialIds,
    TaskState,
    UserType,
)
from mockserver.scenarios import (
    ClockSettings,
    ScenarioError,
    check_scenario,
    load_scenario,
)
from tests.scenarios.support import BAD, BAD_DIR, EXPECT, ROOT, SHIPPED, START, load, problems_of


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


@pytest.mark.parametrize("name", ["several_problems.yaml", "several_shape_problems.yaml"])
def test_several_problems_are_all_reported_in_line_order(name: str) -> None:
    problems = check_scenario(ROOT / BAD_DIR / name)

    lines = [p.line for p in problems if p.line is not None]
    assert len(problems) >= 5
    assert len(lines) == len(problems)
    assert lines == sorted(lines)


def test_check_scenario_returns_no_problems_for_a_good_file_and_all_for_a_bad_one() -> None:
    assert check_scenario(ROOT / "scenarios/open.yaml") == []
    assert len(check_scenario(ROOT / BAD_DIR / "several_problems.yaml")) == 5


def test_meaning_is_checked_only_once_the_shape_is_valid() -> None:
    # The unknown ownerApp would be a meaning problem; the misspelled key hides it until fixed.
    problems = problems_of("tasks:\n  - taskId: t\n    ownerApp: nobody\n    stat: ASSIGNED\n")

    assert [p.path for p in problems] == ["tasks[0].stat"]


def test_text_is_parsed_instead_of_the_file_and_named_by_source() -> None:
    scenario = load("name: body\n", source="<control plane>")

    assert (scenario.path, scenario.seed.name) == (None, "body")
    named = Path("nowhere/x.yaml")
    assert load_scenario(named, ids=SequentialIds(), now_ms=0, text="{}").path == named
