"""Who may do what to a task. One predicate per rule of the Orkes docs; the transitions ask, and raise `Forbidden`.

Owner: the principal that started the task's workflow (`createdBy`), the application named in `ownerApp`, or a
holder of EXECUTE on the task's workflow definition (a scenario's `permissions:`): "an owner of the task in the
workflow definition". Other permission holders, as the docs list them: READ or UPDATE may read a task, UPDATE may
claim it as a Conductor user and reassign it, DELETE may delete it.
Assignee: a Conductor principal matching a CONDUCTOR_USER assignee, or a member of a CONDUCTOR_GROUP assignee.
Claimant: the principal whose id is the claimant's `user`.
"""

from __future__ import annotations

from mockserver.domain.errors import Forbidden
from mockserver.domain.identity import Access, Directory, Principal
from mockserver.domain.lifecycle.table import OPEN_STATES
from mockserver.domain.model import HumanTask, TaskUser, UserType


def is_owner(caller: Principal, task: HumanTask) -> bool:
    return (caller.id == task.created_by or (task.owner_app is not None and caller.id == task.owner_app)
            or caller.holds(Access.EXECUTE, task.workflow_name))


def holds(caller: Principal, task: HumanTask, *access: Access) -> bool:
    """Does the caller hold one of `access` on the task's workflow definition?"""
    return any(caller.holds(a, task.workflow_name) for a in access)


def is_assignee(caller: Principal, task: HumanTask) -> bool:
    return task.assignee is not None and principal_matches(caller, task.assignee)


def is_claimant(caller: Principal, task: HumanTask) -> bool:
    return task.claimant is not None and task.claimant.user == caller.id


def principal_matches(caller: Principal, user: TaskUser) -> bool:
    if user.user_type is UserType.CONDUCTOR_USER:
        return user.user == caller.id
    if user.user_type is UserType.CONDUCTOR_GROUP:
        return user.user in caller.groups
    return False


def user_matches_assignee(directory: Directory, user_id: str, assignee: TaskUser | None) -> bool:
    """The seed's rule for `/externalUser/{userId}`: is `user_id` the one the task waits for?"""
    if assignee is None or assignee.user_type is UserType.EXTERNAL_GROUP:
        return True  # open to anyone; or an external group, whose membership the external system vouches for
    if assignee.user_type is UserType.CONDUCTOR_GROUP:
        return directory.is_member(user_id, assignee.user)
    return assignee.user == user_id


def may_read(caller: Principal, task: HumanTask) -> bool:
    return (caller.is_admin or is_owner(caller, task) or is_assignee(caller, task)
            or is_claimant(caller, task) or task.is_open or holds(caller, task, Access.READ, Access.UPDATE))


def may_claim_for_external_user(caller: Principal, task: HumanTask) -> bool:
    return caller.is_admin or is_owner(caller, task) or task.is_open


def may_claim_as_self(caller: Principal, task: HumanTask, override: bool) -> bool:
    return (caller.is_admin or is_owner(caller, task) or is_assignee(caller, task) or task.is_open or override
            or holds(caller, task, Access.UPDATE))


def may_act_on_claim(caller: Principal, task: HumanTask) -> bool:
    """Release, update, complete, skip: an admin, an owner, or the claimant."""
    return caller.is_admin or is_owner(caller, task) or is_claimant(caller, task)


def in_inbox(caller: Principal, task: HumanTask) -> bool:
    """INBOX search scope: assigned to the caller or its group, claimed by it, or open to anyone."""
    return is_assignee(caller, task) or is_claimant(caller, task) or (task.is_open and task.state in OPEN_STATES)


def in_default_scope(caller: Principal, task: HumanTask) -> bool:
    """The scope of a search without `searchType` (the JS SDK's `pollSearch`): the caller's INBOX and the tasks it
    owns, so the application that started a workflow finds its task assigned to an external user."""
    return in_inbox(caller, task) or is_owner(caller, task)


def in_admin_view(caller: Principal, task: HumanTask) -> bool:
    """ADMIN search scope: everything for an admin, the tasks it owns for anyone else."""
    return caller.is_admin or is_owner(caller, task)


def may_reassign(caller: Principal, task: HumanTask) -> bool:
    return caller.is_admin or is_owner(caller, task) or is_assignee(caller, task) or holds(caller, task, Access.UPDATE)


def may_delete(caller: Principal, task: HumanTask) -> bool:
    return caller.is_admin or is_owner(caller, task) or holds(caller, task, Access.DELETE)


def require(allowed: bool, caller: Principal, operation: str, task: HumanTask, detail: str = "") -> None:
    """`Forbidden` naming the caller, the operation and the task, unless `allowed`."""
    if not allowed:
        raise Forbidden(caller.id, operation, f"task: {task.definition_name or task.task_id}{detail}")
