"""TaskStore: the claim rules of the seed page, release, update/complete, search, and atomicity."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

import pytest

from mockserver.domain import (
    Assignment,
    AuthSettings,
    HumanTask,
    HumanTaskDef,
    LogAction,
    ManualClock,
    Principal,
    PrincipalKind,
    Role,
    SearchType,
    Seed,
    SequentialIds,
    TaskSearch,
    TaskState,
    TaskUser,
    UserType,
    World,
    new_task,
)
from mockserver.domain.errors import AssigneeMismatch, Forbidden, InvalidRequest, InvalidTransition, TaskNotFound

START = 1_767_258_000_000
ADMIN = Principal("admin@example.com", PrincipalKind.USER, frozenset({Role.ADMIN, Role.USER}))
OWNER = Principal("owner-app", PrincipalKind.APPLICATION)
OTHER_APP = Principal("other-app", PrincipalKind.APPLICATION)
ALICE = Principal("alice@example.com", PrincipalKind.USER)
BOB = Principal("bob@example.com", PrincipalKind.USER)
CAROL = Principal("carol@example.com", PrincipalKind.USER)

EXT_ALICE = TaskUser("alice@example.com", UserType.EXTERNAL_USER)
CONDUCTOR_ALICE = TaskUser("alice@example.com", UserType.CONDUCTOR_USER)
REVIEWERS = TaskUser("reviewers", UserType.CONDUCTOR_GROUP)
PARTNERS = TaskUser("partners", UserType.EXTERNAL_GROUP)


def make_task(task_id: str, *assignees: TaskUser, ids: SequentialIds) -> HumanTask:
    definition = HumanTaskDef(assignments=tuple(Assignment(a, 0) for a in assignees))
    return new_task(task_id, definition, now=START, ids=ids, owner_app="owner-app", created_by="owner-app",
                    definition_name="approve", display_name=f"Approve {task_id}", task_ref_name=f"{task_id}_ref",
                    workflow_name="invoice_flow", workflow_id=f"wf-{task_id}")


@pytest.fixture
def world() -> World:
    ids = SequentialIds(7)
    tasks = (
        make_task("ext", EXT_ALICE, ids=ids),
        make_task("cuser", CONDUCTOR_ALICE, ids=ids),
        make_task("cgroup", REVIEWERS, ids=ids),
        make_task("egroup", PARTNERS, ids=ids),
        make_task("open", ids=ids),
    )
    seed = Seed(
        name="t", description="", auth=AuthSettings(required=True),
        principals=(ADMIN, OWNER, OTHER_APP, ALICE, BOB, CAROL),
        groups=(("reviewers", ("alice@example.com", "bob@example.com")),),
        tasks=tasks,
    )
    return World(seed, clock=ManualClock(START + 60_000), ids=ids)


def alice_in(world: World) -> Principal:
    found = world.directory.get("alice@example.com")
    assert found is not None
    return found


# -- /externalUser/{userId} -------------------------------------------------------------------------

@pytest.mark.parametrize(("task_id", "user_id"), [
    ("ext", "alice@example.com"),          # EXTERNAL_USER: the same user
    ("cuser", "alice@example.com"),        # CONDUCTOR_USER: the same user
    ("cgroup", "bob@example.com"),         # CONDUCTOR_GROUP: a member
    ("egroup", "anyone@partner.com"),      # EXTERNAL_GROUP: trusted
    ("open", "whoever@example.com"),       # unassigned: anyone
])
def test_owner_claims_for_a_matching_user(world: World, task_id: str, user_id: str) -> None:
    before = world.tasks.peek(task_id)
    task = world.tasks.claim_for_user(OWNER, task_id, user_id)
    assert task.state is TaskState.IN_PROGRESS
    assert task.claimant == TaskUser(user_id, UserType.EXTERNAL_USER)
    assert task.assignee == before.assignee
    assert task.action_logs[-1].action is LogAction.CLAIM
    assert task.action_logs[-1].acted_by == f"EXTERNAL_USER:{user_id}"
    assert task.updated_on == START + 60_000
    assert task.updated_by == "owner-app"


@pytest.mark.parametrize(("task_id", "user_id"), [
    ("ext", "bob@example.com"),
    ("cuser", "bob@example.com"),
    ("cgroup", "carol@example.com"),
])
def test_a_user_who_is_not_the_assignee_is_refused(world: World, task_id: str, user_id: str) -> None:
    before = world.tasks.peek(task_id)
    with pytest.raises(AssigneeMismatch, match=f"User {user_id} is not assigned to task {task_id}"):
        world.tasks.claim_for_user(OWNER, task_id, user_id)
    assert world.tasks.peek(task_id) == before


def test_override_claims_anyway_and_the_claimant_becomes_the_assignee(world: World) -> None:
    task = world.tasks.claim_for_user(ADMIN, "ext", "bob@example.com", override=True)
    bob = TaskUser("bob@example.com", UserType.EXTERNAL_USER)
    assert (task.state, task.claimant, task.assignee) == (TaskState.IN_PROGRESS, bob, bob)
    assert task.definition.assignments[0].assignee == EXT_ALICE


def test_only_admin_or_owner_may_claim_an_assigned_task_for_someone(world: World) -> None:
    before = world.tasks.peek("ext")
    for caller in (OTHER_APP, alice_in(world)):
        with pytest.raises(Forbidden, match="You don't have permissions to claim"):
            world.tasks.claim_for_user(caller, "ext", "alice@example.com")
    assert world.tasks.peek("ext") == before
    assert world.tasks.claim_for_user(ADMIN, "ext", "alice@example.com").state is TaskState.IN_PROGRESS


def test_any_authorized_caller_may_claim_an_open_task(world: World) -> None:
    assert world.tasks.claim_for_user(OTHER_APP, "open", "zed").claimant == TaskUser("zed", UserType.EXTERNAL_USER)


def test_a_claimed_task_is_locked_to_its_claimant_until_released(world: World) -> None:
    world.tasks.claim_for_user(OWNER, "egroup", "x@partner.com")
    claimed = world.tasks.peek("egroup")
    for override in (False, True):
        with pytest.raises(InvalidTransition, match="already claimed by EXTERNAL_USER:x@partner.com"):
            world.tasks.claim_for_user(OWNER, "egroup", "y@partner.com", override=override)
    assert world.tasks.peek("egroup") == claimed
    world.tasks.release(OWNER, "egroup")
    assert world.tasks.claim_for_user(OWNER, "egroup", "y@partner.com").claimant == TaskUser(
        "y@partner.com", UserType.EXTERNAL_USER)


def test_unknown_task(world: World) -> None:
    with pytest.raises(TaskNotFound, match="nope"):
        world.tasks.claim_for_user(OWNER, "nope", "alice@example.com")


# -- /claim ------------------------------------------------------------------------------------------

def test_conductor_user_assignee_claims_for_itself(world: World) -> None:
    alice = alice_in(world)
    task = world.tasks.claim_as_caller(alice, "cuser")
    assert task.claimant == CONDUCTOR_ALICE
    assert task.action_logs[-1].acted_by == "CONDUCTOR_USER:alice@example.com"


def test_group_member_claims_for_itself(world: World) -> None:
    bob = world.directory.get("bob@example.com")
    assert bob is not None and "reviewers" in bob.groups
    assert world.tasks.claim_as_caller(bob, "cgroup").claimant == TaskUser("bob@example.com", UserType.CONDUCTOR_USER)


def test_non_assignee_needs_override(world: World) -> None:
    carol = world.directory.get("carol@example.com")
    assert carol is not None
    before = world.tasks.peek("cuser")
    with pytest.raises(Forbidden, match="overrideAssignment"):
        world.tasks.claim_as_caller(carol, "cuser")
    assert world.tasks.peek("cuser") == before
    task = world.tasks.claim_as_caller(carol, "cuser", override=True)
    me = TaskUser("carol@example.com", UserType.CONDUCTOR_USER)
    assert (task.claimant, task.assignee) == (me, me)


def test_an_application_claims_as_conductor_user_with_its_id(world: World) -> None:
    assert world.tasks.claim_as_caller(OWNER, "ext").claimant == TaskUser("owner-app", UserType.CONDUCTOR_USER)


# -- release, update, complete -----------------------------------------------------------------------

def test_release_puts_the_assignee_back(world: World) -> None:
    world.tasks.claim_for_user(OWNER, "ext", "alice@example.com")
    task = world.tasks.release(OWNER, "ext")
    assert (task.state, task.claimant, task.assignee) == (TaskState.ASSIGNED, None, EXT_ALICE)
    assert [log.action for log in task.action_logs[-2:]] == [LogAction.RELEASE, LogAction.ASSIGNMENT]
    assert task.action_logs[-2].state is TaskState.PENDING
    assert task.action_logs[-2].acted_by == "owner-app"


def test_release_of_an_unclaimed_task_is_refused(world: World) -> None:
    before = world.tasks.peek("ext")
    with pytest.raises(InvalidTransition, match="not claimed"):
        world.tasks.release(ADMIN, "ext")
    assert world.tasks.peek("ext") == before


def test_the_claimant_may_release_update_and_complete_others_may_not(world: World) -> None:
    alice = alice_in(world)
    world.tasks.claim_as_caller(alice, "cuser")
    claimed = world.tasks.peek("cuser")
    bob = world.directory.get("bob@example.com")
    assert bob is not None
    acts: list[Callable[[], object]] = [
        lambda: world.tasks.release(bob, "cuser"),
        lambda: world.tasks.update(bob, "cuser", {"x": 1}, complete=False),
        lambda: world.tasks.update(bob, "cuser", {"x": 1}, complete=True)]
    for act in acts:
        with pytest.raises(Forbidden):
            act()
    assert world.tasks.peek("cuser") == claimed
    world.tasks.update(alice, "cuser", {"draft": True, "n": 1}, complete=False)
    done = world.tasks.update(alice, "cuser", {"n": 2}, complete=True)
    assert done.state is TaskState.COMPLETED
    assert done.output == {"draft": True, "n": 2}
    assert done.claimant == CONDUCTOR_ALICE


def test_a_completed_task_is_immutable(world: World) -> None:
    world.tasks.update(ADMIN, "open", {"ok": True}, complete=True)
    done = world.tasks.peek("open")
    acts: list[Callable[[], object]] = [
        lambda: world.tasks.update(ADMIN, "open", {"ok": False}, complete=False),
        lambda: world.tasks.update(ADMIN, "open", {}, complete=True),
        lambda: world.tasks.claim_for_user(ADMIN, "open", "a"),
        lambda: world.tasks.claim_as_caller(ADMIN, "open"),
        lambda: world.tasks.release(ADMIN, "open")]
    for act in acts:
        with pytest.raises(InvalidTransition):
            act()
    assert world.tasks.peek("open") == done


def test_listeners_see_every_change(world: World) -> None:
    seen: list[tuple[TaskState, TaskState]] = []
    world.tasks.subscribe(lambda before, after: seen.append((before.state, after.state)))
    world.tasks.claim_for_user(OWNER, "ext", "alice@example.com")
    world.tasks.update(OWNER, "ext", {}, complete=True)
    assert seen == [(TaskState.ASSIGNED, TaskState.IN_PROGRESS), (TaskState.IN_PROGRESS, TaskState.COMPLETED)]


# -- atomicity ----------------------------------------------------------------------------------------

def claim_race(world: World, task_id: str, claimers: int) -> tuple[list[str], list[Exception]]:
    """`claimers` threads claim `task_id` at the same instant; returns (winners, refusals)."""
    barrier = threading.Barrier(claimers)
    wins: list[str] = []
    losses: list[Exception] = []

    def claim(user: str) -> None:
        barrier.wait()
        try:
            world.tasks.claim_for_user(OWNER, task_id, user)
            wins.append(user)
        except InvalidTransition as refused:
            losses.append(refused)

    threads = [threading.Thread(target=claim, args=(f"u{i}",)) for i in range(claimers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return wins, losses


def test_of_many_concurrent_claims_exactly_one_wins(world: World) -> None:
    for trial in range(20):
        task_id = f"race-{trial}"
        world.tasks.insert(replace(world.tasks.peek("egroup"), task_id=task_id))
        wins, losses = claim_race(world, task_id, 16)
        assert len(wins) == 1 and len(losses) == 15
        assert world.tasks.peek(task_id).claimant == TaskUser(wins[0], UserType.EXTERNAL_USER)


# -- search -------------------------------------------------------------------------------------------

def ids_of(world: World, caller: Principal, **filters: object) -> list[str]:
    page = world.tasks.search(caller, TaskSearch(**filters))  # type: ignore[arg-type]
    return [t.task_id for t in page.results]


def test_inbox_holds_what_the_caller_may_act_on(world: World) -> None:
    assert sorted(ids_of(world, alice_in(world))) == ["cgroup", "cuser", "open"]
    assert ids_of(world, OTHER_APP) == ["open"]


def test_a_search_without_search_type_adds_the_tasks_the_caller_owns(world: World) -> None:
    # The JS SDK's pollSearch leaves searchType out: the application that started the workflows finds them all,
    # the one assigned to an external user too; an explicit INBOX still holds only what it may act on.
    assert sorted(ids_of(world, OWNER)) == ["cgroup", "cuser", "egroup", "ext", "open"]
    assert ids_of(world, OWNER, search_type=SearchType.INBOX) == ["open"]
    assert ids_of(world, OTHER_APP) == ["open"]  # neither owner nor assignee: the open task only
    assert ids_of(world, OWNER, assignees=(EXT_ALICE,), states=(TaskState.PENDING, TaskState.ASSIGNED)) == ["ext"]


def test_admin_scope(world: World) -> None:
    assert len(ids_of(world, ADMIN, search_type=SearchType.ADMIN)) == 5
    assert len(ids_of(world, OWNER, search_type=SearchType.ADMIN)) == 5
    assert ids_of(world, OTHER_APP, search_type=SearchType.ADMIN) == []


def test_filters_and_paging(world: World) -> None:
    world.tasks.claim_for_user(OWNER, "ext", "alice@example.com")
    admin = {"search_type": SearchType.ADMIN}
    assert ids_of(world, ADMIN, states=(TaskState.IN_PROGRESS,), **admin) == ["ext"]
    assert ids_of(world, ADMIN, assignees=(TaskUser("alice*", UserType.EXTERNAL_USER),), **admin) == ["ext"]
    assert ids_of(world, ADMIN, claimants=(EXT_ALICE,), **admin) == ["ext"]
    assert ids_of(world, ADMIN, task_ref_names=("open_ref",), **admin) == ["open"]
    assert ids_of(world, ADMIN, workflow_ids=("wf-cuser", "wf-cgroup"), **admin) == ["cgroup", "cuser"]
    assert ids_of(world, ADMIN, full_text_query="egroup", **admin) == ["egroup"]
    assert ids_of(world, ADMIN, update_start_time=START + 1, **admin) == ["ext"]
    page = world.tasks.search(ADMIN, TaskSearch(search_type=SearchType.ADMIN, start=1, size=2))
    assert (page.total_hits, len(page.results), page.start, page.size) == (5, 2, 1, 2)
    assert [t.task_id for t in page.results] == ["cgroup", "cuser"]  # after "ext" (newest), then by id


def test_input_and_output_queries(world: World) -> None:
    world.tasks.update(ADMIN, "open", {"result": "success-7", "score": 3}, complete=False)
    admin = {"search_type": SearchType.ADMIN}
    assert ids_of(world, ADMIN, task_output_query='result="success*"', **admin) == ["open"]
    assert ids_of(world, ADMIN, task_output_query="score IN (1, 3) AND result = nope", **admin) == []
    assert ids_of(world, ADMIN, task_output_query="score IN (1, 3) OR result = nope", **admin) == ["open"]
    with pytest.raises(InvalidRequest, match="taskOutputQuery"):
        ids_of(world, ADMIN, task_output_query="score IN (1, 3", **admin)
