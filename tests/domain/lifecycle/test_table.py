"""The lifecycle table, over every (state, action) pair; the state sets, refusal texts and who escalates."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from mockserver.domain import Action, HumanTask, TaskState, TaskUser, UserType
from mockserver.domain.errors import InvalidTransition
from mockserver.domain.lifecycle import (
    LIVE_STATES,
    OPEN_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    may_escalate,
    next_state,
    refusal,
)

P, A, IP = TaskState.PENDING, TaskState.ASSIGNED, TaskState.IN_PROGRESS
EXPECTED = {
    (P, Action.CLAIM): IP, (A, Action.CLAIM): IP,
    (IP, Action.RELEASE): A,
    (P, Action.UPDATE): P, (A, Action.UPDATE): A, (IP, Action.UPDATE): IP,
    (P, Action.COMPLETE): TaskState.COMPLETED, (A, Action.COMPLETE): TaskState.COMPLETED,
    (IP, Action.COMPLETE): TaskState.COMPLETED,
    (P, Action.SKIP): A, (A, Action.SKIP): A,
    (P, Action.REASSIGN): A, (A, Action.REASSIGN): A,
    (P, Action.ESCALATE): A, (A, Action.ESCALATE): A,
    (P, Action.LEAVE_OPEN): A, (A, Action.LEAVE_OPEN): A,
    (P, Action.TERMINATE): TaskState.DELETED, (A, Action.TERMINATE): TaskState.DELETED,
    (P, Action.TIME_OUT): TaskState.TIMED_OUT, (A, Action.TIME_OUT): TaskState.TIMED_OUT,
    (IP, Action.TIME_OUT): TaskState.TIMED_OUT,
    (P, Action.CANCEL): TaskState.DELETED, (A, Action.CANCEL): TaskState.DELETED,
    (IP, Action.CANCEL): TaskState.DELETED,
    **{(state, Action.DELETE): TaskState.DELETED for state in TaskState},
}


def task_in(state: TaskState) -> HumanTask:
    return HumanTask(task_id="t-1", state=state, created_on=0, updated_on=0)


@pytest.mark.parametrize(("state", "action"), list(itertools.product(TaskState, Action)))
def test_every_state_action_pair(state: TaskState, action: Action) -> None:
    if (state, action) in EXPECTED:
        assert next_state(task_in(state), action) is EXPECTED[(state, action)]
    else:
        with pytest.raises(InvalidTransition) as refused:
            next_state(task_in(state), action)
        assert refused.value.task_id == "t-1"
        assert refused.value.state == state
        assert "t-1" in refused.value.message


def test_the_table_is_exactly_the_documented_lifecycle() -> None:
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize("state", sorted(TERMINAL_STATES))
def test_terminal_states_accept_nothing_but_delete(state: TaskState) -> None:
    assert [action for action in Action if (state, action) in TRANSITIONS] == [Action.DELETE]


def test_refusal_messages_say_what_is_wrong() -> None:
    with pytest.raises(InvalidTransition, match="already claimed"):
        next_state(task_in(TaskState.IN_PROGRESS), Action.CLAIM)
    with pytest.raises(InvalidTransition, match="is not claimed"):
        next_state(task_in(TaskState.ASSIGNED), Action.RELEASE)
    with pytest.raises(InvalidTransition, match="already in terminal state COMPLETED"):
        next_state(task_in(TaskState.COMPLETED), Action.UPDATE)


def test_the_state_sets_partition_the_states() -> None:
    assert {TaskState.PENDING, TaskState.ASSIGNED} == OPEN_STATES
    assert OPEN_STATES | {TaskState.IN_PROGRESS} == LIVE_STATES
    assert LIVE_STATES.isdisjoint(TERMINAL_STATES) and set(TaskState) == LIVE_STATES | TERMINAL_STATES


def test_refusals_of_a_claimed_task_name_the_claimant() -> None:
    claimed = replace(task_in(TaskState.IN_PROGRESS), claimant=TaskUser("ann", UserType.EXTERNAL_USER))
    assert refusal(claimed, Action.SKIP) == ("Task t-1 is claimed by EXTERNAL_USER:ann: only an unclaimed task "
                                             "can be skipped")
    assert refusal(claimed, Action.CLAIM) == ("Task t-1 is already claimed by EXTERNAL_USER:ann; it cannot be "
                                              "claimed again until it is released")
    assert refusal(task_in(TaskState.DELETED), Action.CLAIM) == "Task t-1 is DELETED and can no longer be claimed"
    assert refusal(task_in(TaskState.IN_PROGRESS), Action.LEAVE_OPEN) == "Task t-1 cannot be left open in state " \
                                                                         "IN_PROGRESS"


@pytest.mark.parametrize("state", list(TaskState))
def test_only_an_unclaimed_assigned_task_escalates(state: TaskState) -> None:
    assigned = replace(task_in(state), assignee=TaskUser("ann", UserType.EXTERNAL_USER))
    assert may_escalate(assigned) is (state in OPEN_STATES)
    assert may_escalate(task_in(state)) is False  # open to anyone: no one to escalate from
