"""Pass 1: the text → data with lines; problems name file, line and path."""

from __future__ import annotations

import json

import pytest

from mockserver.domain import (
    TaskState,
)
from mockserver.scenarios import (
    Problem,
    check_scenario,
)
from tests.scenarios.support import BAD_DIR, ROOT, load, problems_of


def test_problem_carries_file_line_path_message_and_hint() -> None:
    [problem] = check_scenario(ROOT / BAD_DIR / "bad_state.yaml")

    assert problem == Problem(
        file=str(ROOT / BAD_DIR / "bad_state.yaml"),
        line=9,
        path="tasks[1].state",
        message="'IN_PROGESS' is not a valid state. Did you mean 'IN_PROGRESS'?",
        hint="Valid states: PENDING, ASSIGNED, IN_PROGRESS, COMPLETED, TIMED_OUT, DELETED",
    )


def test_problem_without_line_or_hint_renders_file_path_and_message_only() -> None:
    assert str(Problem("s.yaml", None, "", "the file is empty", None)) == "s.yaml: the file is empty"
    assert str(Problem("s.yaml", 3, "auth", "boom", "fix it")) == "s.yaml:3: auth: boom\n  fix it"


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        ("a: &x [*x]\n", "a[0]", "an alias refers to a value that contains it (a recursive structure)"),
        ("description: !!binary aGk=\n", "description",
         "unsupported value of type bytes (tag tag:yaml.org,2002:binary)"),
        ("tasks: [{taskId: t, input: {1: one}}]\n", "tasks[0].input", "key 1 is not a string"),
    ],
)
def test_parse_problems_have_a_message(text: str, path: str, message: str) -> None:
    assert (path, message) in [(p.path, p.message) for p in problems_of(text)]


def test_tab_indented_json_is_accepted() -> None:
    body = json.dumps({"description": "from JSON", "tasks": [{"taskId": "t", "state": "PENDING"}]}, indent="\t")

    assert load(body).seed.tasks[0].state is TaskState.PENDING
