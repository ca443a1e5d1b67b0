"""Pass 3: references to what is declared, claimants against states, times in order."""

from __future__ import annotations

from typing import Final

import pytest

from mockserver.domain import (
    Assignment,
    TaskUser,
    UserType,
)
from tests.scenarios.support import ANONYMOUS, load, problems_of


def test_template_updated_by_must_be_a_declared_principal() -> None:
    problems = problems_of("users: [{id: alice@example.com}]\ntemplates: [{name: f, updatedBy: alce@example.com}]\n")

    assert [(p.path, p.message) for p in problems] == [
        ("templates[0].updatedBy", "unknown principal 'alce@example.com'. Did you mean 'alice@example.com'?")]


def test_application_may_be_a_conductor_user_assignee_after_an_override_claim() -> None:
    app = TaskUser("owner-app", UserType.CONDUCTOR_USER)
    text = """
users: [{id: alice@example.com}]
applications: [{id: owner-app}]
tasks:
  - taskId: t
    state: IN_PROGRESS
    assignee: {user: owner-app, userType: CONDUCTOR_USER}
    claimant: {user: owner-app, userType: CONDUCTOR_USER}
    humanTaskDef: {assignments: [{assignee: {user: alice@example.com, userType: CONDUCTOR_USER}}]}
"""
    [task] = load(text).seed.tasks

    assert (task.assignee, task.claimant, task.assignee_index) == (app, app, 0)
    assert task.definition.assignments == (Assignment(TaskUser("alice@example.com", UserType.CONDUCTOR_USER)),)


OPEN_ANONYMOUS: Final = """
templates: [{name: f, createdBy: anonymous, updatedBy: anonymous}]
tasks:
  - taskId: t
    state: IN_PROGRESS
    createdBy: anonymous
    updatedBy: anonymous
    assignee: {user: anonymous, userType: CONDUCTOR_USER}
    claimant: {user: anonymous, userType: CONDUCTOR_USER}
"""


def test_open_mode_builtin_anonymous_may_claim_create_and_save() -> None:
    seed = load(OPEN_ANONYMOUS).seed

    assert (seed.templates[0].created_by, seed.templates[0].updated_by) == ("anonymous", "anonymous")
    anonymous = TaskUser("anonymous", UserType.CONDUCTOR_USER)
    assert (seed.tasks[0].created_by, seed.tasks[0].assignee, seed.tasks[0].claimant) == (
        "anonymous", anonymous, anonymous)
    assert seed.auth.anonymous == ANONYMOUS


@pytest.mark.parametrize("auth", ["auth: {required: true}\nusers: [{id: u, keys: [{keyId: k, keySecret: s}]}]\n",
                                  "auth: {required: false, anonymous: u}\nusers: [{id: u}]\n"])
def test_builtin_anonymous_is_unknown_unless_open_mode_uses_it(auth: str) -> None:
    paths = [p.path for p in problems_of(auth + OPEN_ANONYMOUS)]

    assert paths == ["templates[0].createdBy", "templates[0].updatedBy", "tasks[0].createdBy",
                     "tasks[0].assignee.user", "tasks[0].claimant.user"]


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        ("users: [{id: a, keys: [{keyId: k, keySecret: s}]}]\nauth: {anonymous: a}\n", "auth.anonymous",
         "only open mode uses `anonymous`, and auth is required here (it is by default, since keys are declared)"),
        ("tasks: [{taskId: t, claimant: {user: app, userType: CONDUCTOR_USER}, state: COMPLETED}]\n",
         "tasks[0].claimant.user", "unknown Conductor user 'app'"),
        ("tasks: [{taskId: t, createdOn: 10, updatedOn: 5}]\n", "tasks[0].updatedOn",
         "updatedOn (5) is before createdOn (10)"),
        ("templates: [{name: f, ownerApp: nobody}]\n", "templates[0].ownerApp", "unknown application 'nobody'"),
    ],
)
def test_meaning_problems_have_a_message(text: str, path: str, message: str) -> None:
    assert (path, message) in [(p.path, p.message) for p in problems_of(text)]
