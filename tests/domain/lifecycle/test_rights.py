"""Who may do what: every predicate of `lifecycle.rights`, each with a caller it admits and one it refuses."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mockserver.domain import (
    Access,
    Directory,
    HumanTask,
    Permission,
    Principal,
    PrincipalKind,
    Role,
    SubjectType,
    TaskState,
    TaskUser,
    UserType,
)
from mockserver.domain.errors import Forbidden
from mockserver.domain.lifecycle import rights

ADMIN = Principal("admin", PrincipalKind.USER, frozenset({Role.ADMIN}))
OWNER = Principal("owner-app", PrincipalKind.APPLICATION)
APP = Principal("named-app", PrincipalKind.APPLICATION)
ANN = Principal("ann", PrincipalKind.USER, groups=frozenset({"team"}))
BOB = Principal("bob", PrincipalKind.USER)
STRANGER = Principal("stranger", PrincipalKind.USER)
TASK = HumanTask(task_id="t-1", state=TaskState.ASSIGNED, created_on=0, updated_on=0, created_by="owner-app",
                 owner_app="named-app", assignee=TaskUser("ann", UserType.CONDUCTOR_USER), definition_name="review")
CLAIMED = replace(TASK, state=TaskState.IN_PROGRESS, claimant=TaskUser("bob", UserType.EXTERNAL_USER))
OPEN = replace(TASK, assignee=None)


def test_owner_is_the_creator_or_the_owner_app() -> None:
    assert rights.is_owner(OWNER, TASK) and rights.is_owner(APP, TASK)
    assert not rights.is_owner(ANN, TASK)
    assert not rights.is_owner(APP, replace(TASK, owner_app=None))


def test_assignee_by_user_or_by_group() -> None:
    assert rights.is_assignee(ANN, TASK)
    assert not rights.is_assignee(BOB, TASK)
    assert not rights.is_assignee(ANN, OPEN)
    assert rights.is_assignee(ANN, replace(TASK, assignee=TaskUser("team", UserType.CONDUCTOR_GROUP)))


def test_claimant_by_user_id() -> None:
    assert rights.is_claimant(BOB, CLAIMED)
    assert not rights.is_claimant(ANN, CLAIMED) and not rights.is_claimant(BOB, TASK)


@pytest.mark.parametrize(("user", "matches_ann"), [
    (TaskUser("ann", UserType.CONDUCTOR_USER), True), (TaskUser("bob", UserType.CONDUCTOR_USER), False),
    (TaskUser("team", UserType.CONDUCTOR_GROUP), True), (TaskUser("other", UserType.CONDUCTOR_GROUP), False),
    (TaskUser("ann", UserType.EXTERNAL_USER), False), (TaskUser("team", UserType.EXTERNAL_GROUP), False),
])
def test_principal_matches_only_conductor_users_and_groups(user: TaskUser, matches_ann: bool) -> None:
    assert rights.principal_matches(ANN, user) is matches_ann


def test_user_matches_assignee() -> None:
    directory = Directory((ANN,), {"team": ["ann"]})
    assert rights.user_matches_assignee(directory, "anyone", None)
    assert rights.user_matches_assignee(directory, "anyone", TaskUser("ext", UserType.EXTERNAL_GROUP))
    assert rights.user_matches_assignee(directory, "ann", TaskUser("team", UserType.CONDUCTOR_GROUP))
    assert not rights.user_matches_assignee(directory, "bob", TaskUser("team", UserType.CONDUCTOR_GROUP))
    assert rights.user_matches_assignee(directory, "carol", TaskUser("carol", UserType.EXTERNAL_USER))
    assert not rights.user_matches_assignee(directory, "dave", TaskUser("carol", UserType.EXTERNAL_USER))


def test_may_read() -> None:
    assert all(rights.may_read(p, CLAIMED) for p in (ADMIN, OWNER, ANN, BOB))
    assert not rights.may_read(STRANGER, CLAIMED)
    assert rights.may_read(STRANGER, OPEN)


def test_may_claim_for_external_user() -> None:
    assert all(rights.may_claim_for_external_user(p, TASK) for p in (ADMIN, OWNER, APP))
    assert not rights.may_claim_for_external_user(ANN, TASK)  # the assignee claims for itself, not for others
    assert rights.may_claim_for_external_user(STRANGER, OPEN)


def test_may_claim_as_self() -> None:
    assert all(rights.may_claim_as_self(p, TASK, False) for p in (ADMIN, OWNER, ANN))
    assert not rights.may_claim_as_self(STRANGER, TASK, False)
    assert rights.may_claim_as_self(STRANGER, TASK, True)
    assert rights.may_claim_as_self(STRANGER, OPEN, False)


def test_may_act_on_claim() -> None:
    assert all(rights.may_act_on_claim(p, CLAIMED) for p in (ADMIN, OWNER, BOB))
    assert not rights.may_act_on_claim(ANN, CLAIMED)  # the assignee, but not the claimant


def test_in_inbox() -> None:
    assert rights.in_inbox(ANN, TASK) and rights.in_inbox(BOB, CLAIMED)
    assert not rights.in_inbox(OWNER, TASK)
    assert rights.in_inbox(STRANGER, OPEN)
    assert not rights.in_inbox(STRANGER, replace(OPEN, state=TaskState.COMPLETED))  # open, but finished


def test_in_admin_view() -> None:
    assert rights.in_admin_view(ADMIN, TASK) and rights.in_admin_view(OWNER, TASK)
    assert not rights.in_admin_view(ANN, TASK)


def test_may_reassign() -> None:
    assert all(rights.may_reassign(p, TASK) for p in (ADMIN, OWNER, ANN))
    assert not rights.may_reassign(BOB, CLAIMED)


def test_may_delete() -> None:
    assert rights.may_delete(ADMIN, TASK) and rights.may_delete(APP, TASK)
    assert not rights.may_delete(ANN, TASK)


def test_require_names_caller_operation_and_task() -> None:
    rights.require(True, STRANGER, "claim", TASK)
    with pytest.raises(Forbidden) as refused:
        rights.require(False, STRANGER, "claim", TASK, " assigned to x")
    assert refused.value.message == Forbidden("stranger", "claim", "task: review assigned to x").message


# -- permissions on the workflow definition (a scenario's `permissions:`) -----------------------------------

def granted(*access: str, subject_type: str = "USER", subject: str = "perm") -> Principal:
    """The principal `perm` (a member of `auditors`) as the directory makes it, with one grant on the task's
    workflow definition and one on another."""
    grants = [Permission(WORKFLOW, frozenset(Access(a) for a in access), SubjectType(subject_type), subject),
              Permission("other_flow", frozenset(Access), SubjectType.USER, "perm")]
    directory = Directory((Principal("perm", PrincipalKind.USER),), {"auditors": ["perm"]}, permissions=grants)
    found = directory.get("perm")
    assert found is not None
    return found


WORKFLOW = "invoice_flow"
OF_FLOW = replace(TASK, workflow_name=WORKFLOW)


@pytest.mark.parametrize(("access", "read", "claim", "reassign", "delete", "owner"), [
    ((), False, False, False, False, False),
    (("READ",), True, False, False, False, False),
    (("UPDATE",), True, True, True, False, False),
    (("DELETE",), False, False, False, True, False),
    (("EXECUTE",), True, True, True, True, True),  # EXECUTE makes an owner, and an owner may do all of it
])
def test_each_permission_grants_what_the_docs_list_it_for(access: tuple[str, ...], read: bool, claim: bool,
                                                         reassign: bool, delete: bool, owner: bool) -> None:
    caller = granted(*access)
    assert rights.may_read(caller, OF_FLOW) is read
    assert rights.may_claim_as_self(caller, OF_FLOW, override=False) is claim
    assert rights.may_reassign(caller, OF_FLOW) is reassign
    assert rights.may_delete(caller, OF_FLOW) is delete
    assert rights.is_owner(caller, OF_FLOW) is owner
    assert rights.may_claim_for_external_user(caller, OF_FLOW) is owner
    assert rights.may_act_on_claim(caller, OF_FLOW) is owner
    assert rights.in_default_scope(caller, OF_FLOW) is owner
    assert rights.in_admin_view(caller, OF_FLOW) is owner


def test_a_grant_reaches_a_group_member_and_names_one_workflow_definition() -> None:
    member = granted("EXECUTE", subject_type="GROUP", subject="auditors")
    assert rights.is_owner(member, OF_FLOW)
    assert not rights.is_owner(member, replace(OF_FLOW, workflow_name="third_flow"))
    assert not rights.is_owner(granted("EXECUTE", subject_type="APPLICATION", subject="perm"), OF_FLOW)  # a user
