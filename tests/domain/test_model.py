"""model.positional_builder: the same objects as the dataclass's own constructor, faster, for bulk building."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass

import pytest

from mockserver.domain.model import ActionLog, HumanTask, LogAction, TaskState, TaskUser, UserType, positional_builder

USER = TaskUser("ann", UserType.EXTERNAL_USER)


def test_it_builds_what_the_constructor_builds_and_as_frozen() -> None:
    build = positional_builder(ActionLog)
    built = build("log-1", TaskState.IN_PROGRESS, 5, LogAction.CLAIM, "ann", USER, USER)
    made = ActionLog("log-1", TaskState.IN_PROGRESS, 5, LogAction.CLAIM, "ann", assignee=USER, claimant=USER)
    assert type(built) is ActionLog and built == made and repr(built) == repr(made) and hash(built) == hash(made)
    with pytest.raises(FrozenInstanceError):
        built.acted_by = "bob"  # type: ignore[misc]


def test_it_can_build_a_subclass_that_adds_no_slots() -> None:
    class Quiet(HumanTask):
        __slots__ = ()

    task = positional_builder(HumanTask, Quiet)("t", TaskState.PENDING, 1, 2, None, None, "", "", "", "", "", "",
                                                "", None, HumanTask("x", TaskState.PENDING, 0, 0).definition, {}, {},
                                                (), (), None, (), True)
    assert type(task) is Quiet and task.task_id == "t" and task.assignments_completed


def test_it_refuses_what_it_cannot_build() -> None:
    @dataclass(frozen=True)
    class NoSlots:
        a: int

    class Slotted(HumanTask):
        __slots__ = ("extra",)

    with pytest.raises(TypeError, match="not a slots dataclass"):
        positional_builder(NoSlots)
    with pytest.raises(TypeError, match="no slots of its own"):
        positional_builder(HumanTask, Slotted)
