"""A scenario's `permissions:`: grants on workflow definitions, checked against the declarations, built into a seed."""

from __future__ import annotations

from typing import Final

from mockserver.domain import Access, Permission, SubjectType, World
from mockserver.domain.clock import ManualClock
from mockserver.domain.ids import SequentialIds
from tests.scenarios.support import load, problems_of

DECLARED: Final = """users: [{id: alice@example.com}]
groups: [{id: reviewers, members: [alice@example.com]}]
applications: [{id: owner-app}]
"""


def test_grants_load_into_the_seed_and_the_directory() -> None:
    text = DECLARED + """permissions:
  - {workflow: loan_approval, access: [READ, EXECUTE], application: owner-app}
  - {workflow: loan_approval, access: [UPDATE], group: reviewers}
  - {workflow: other, access: [DELETE], user: alice@example.com}
"""
    seed = load(text).seed

    assert seed.permissions == (
        Permission("loan_approval", frozenset({Access.READ, Access.EXECUTE}), SubjectType.APPLICATION, "owner-app"),
        Permission("loan_approval", frozenset({Access.UPDATE}), SubjectType.GROUP, "reviewers"),
        Permission("other", frozenset({Access.DELETE}), SubjectType.USER, "alice@example.com"))
    world = World(seed, clock=ManualClock(0), ids=SequentialIds(1))
    alice, app = world.directory.get("alice@example.com"), world.directory.get("owner-app")
    assert alice is not None and app is not None
    assert alice.grants == {("loan_approval", Access.UPDATE), ("other", Access.DELETE)}
    assert app.grants == {("loan_approval", Access.READ), ("loan_approval", Access.EXECUTE)}


def test_an_unknown_principal_is_refused_with_file_line_path_and_a_did_you_mean() -> None:
    text = DECLARED + "permissions:\n  - {workflow: w, access: [READ], application: ownr-app}\n"

    [problem] = problems_of(text)

    assert str(problem) == ("inline.yaml:5: permissions[0].application: unknown application 'ownr-app'. Did you "
                            "mean 'owner-app'?\n  declare it under `applications:` (declared: owner-app)")


def test_an_unknown_group_and_user_are_refused() -> None:
    text = DECLARED + ("permissions:\n  - {workflow: w, access: [READ], group: reviewer}\n"
                       "  - {workflow: w, access: [READ], user: zed}\n")

    problems = problems_of(text)

    assert [(p.line, p.path, p.message, p.hint) for p in problems] == [
        (5, "permissions[0].group", "unknown group 'reviewer'. Did you mean 'reviewers'?",
         "declare it under `groups:` (declared: reviewers)"),
        (6, "permissions[1].user", "unknown user 'zed'",
         "declare it under `users:` (declared: alice@example.com)")]


def test_an_unknown_access_is_refused() -> None:
    [problem] = problems_of(DECLARED + "permissions:\n  - {workflow: w, access: [EXECUT], user: alice@example.com}\n")

    assert str(problem) == ("inline.yaml:5: permissions[0].access[0]: 'EXECUT' is not a valid access type. Did you "
                            "mean 'EXECUTE'?\n  Valid access types: READ, UPDATE, EXECUTE, DELETE")


def test_a_grant_names_exactly_one_subject() -> None:
    text = DECLARED + ("permissions:\n  - {workflow: w, access: [READ], user: alice@example.com, group: reviewers}\n"
                       "  - {workflow: w, access: [READ]}\n")

    problems = problems_of(text)

    assert [str(p) for p in problems] == [
        "inline.yaml:5: permissions[0]: a grant names user and group of `application`, `user`, `group`: it needs "
        "exactly one\n  split it into one grant per application, user or group",
        "inline.yaml:6: permissions[1]: a grant names none of `application`, `user`, `group`: it needs exactly "
        "one\n  add e.g. `application: owner-app`"]


def test_open_mode_anonymous_holds_the_grants_of_its_principal_and_groups() -> None:
    text = DECLARED + """auth: {required: false, anonymous: alice@example.com}
permissions:
  - {workflow: w, access: [EXECUTE], group: reviewers}
  - {workflow: v, access: [READ], application: owner-app}
"""
    anonymous = load(text).seed.auth.anonymous

    assert anonymous is not None and anonymous.grants == {("w", Access.EXECUTE)}
