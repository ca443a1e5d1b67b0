"""The lifecycle table, over every (state, action) pair."""

from __future__ import annotations

import itertools

import pytest

from mockserver.domain import Action, HumanTask, TaskState
from mockserver.domain.errors import InvalidTransition
from mockserver.domain.model import TERMINAL_STATES, TRANSITIONS, next_state

EXPECTED = {
    (TaskState.PENDING, Action.CLAIM): TaskState.IN_PROGRESS,
    (TaskState.ASSIGNED, Action.CLAIM): TaskState.IN_PROGRESS,
    (TaskState.IN_PROGRESS, Action.RELEASE): TaskState.ASSIGNED,
    (TaskState.PENDING, Action.UPDATE): TaskState.PENDING,
    (TaskState.ASSIGNED, Action.UPDATE): TaskState.ASSIGNED,
    (TaskState.IN_PROGRESS, Action.UPDATE): TaskState.IN_PROGRESS,
    (TaskState.PENDING, Action.COMPLETE): TaskState.COMPLETED,
    (TaskState.ASSIGNED, Action.COMPLETE): TaskState.COMPLETED,
    (TaskState.IN_PROGRESS, Action.COMPLETE): TaskState.COMPLETED,
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
def test_terminal_states_accept_nothing(state: TaskState) -> None:
    assert not [action for action in Action if (state, action) in TRANSITIONS]


def test_refusal_messages_say_what_is_wrong() -> None:
    with pytest.raises(InvalidTransition, match="already claimed"):
        next_state(task_in(TaskState.IN_PROGRESS), Action.CLAIM)
    with pytest.raises(InvalidTransition, match="is not claimed"):
        next_state(task_in(TaskState.ASSIGNED), Action.RELEASE)
    with pytest.raises(InvalidTransition, match="already in terminal state COMPLETED"):
        next_state(task_in(TaskState.COMPLETED), Action.UPDATE)
