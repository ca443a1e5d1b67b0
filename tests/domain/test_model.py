"""model.positional_builder and evolve: the same objects as the dataclass's own constructor and as
`dataclasses.replace`, faster."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass, fields, replace
from typing import Any

import pytest

from mockserver.domain.model import (
    ActionLog,
    HumanTask,
    HumanTaskDef,
    LogAction,
    TaskState,
    TaskUser,
    UserType,
    evolve,
    positional_builder,
)
from mockserver.generate import generate_tasks

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


# -- evolve: dataclasses.replace, faster ----------------------------------------------------------------------

OTHER = TaskUser("bob", UserType.CONDUCTOR_USER)
CHANGES: dict[str, Any] = {  # for every field, a value none of the tasks below has (but see `changes`)
    "task_id": "changed", "state": TaskState.COMPLETED, "created_on": 11, "updated_on": 12, "assignee": OTHER,
    "claimant": OTHER, "definition_name": "d2", "display_name": "n2", "workflow_id": "w2", "workflow_name": "wn2",
    "task_ref_name": "r2", "created_by": "c2", "updated_by": "u2", "owner_app": "app2",
    "definition": HumanTaskDef(display_name="other"), "input": {"in": 2}, "output": {"out": 2},
    "action_logs": (ActionLog("l2", TaskState.ASSIGNED, 3, LogAction.ASSIGNMENT, "system"),),
    "trigger_log": ({"triggerType": "x"},), "assignee_index": 7, "skipped_assignee_indexes": (1, 2),
    "assignments_completed": True,
}
PLAIN = HumanTask("t", TaskState.IN_PROGRESS, 1, 2, USER, USER, "d", "n", "w", "wn", "r", "c", "u", None,
                  HumanTaskDef(), {"in": 1}, {}, (), (), 0, (), False)
GENERATED = generate_tasks(40, now_ms=1_767_258_000_000)


def values(task: HumanTask) -> list[Any]:
    return [getattr(task, f.name) for f in fields(HumanTask)]


def changes(task: HumanTask) -> dict[str, Any]:
    """CHANGES, each one a change of `task` (a finished task's state, an open task's `assignments_completed`)."""
    flipped = {"state": TaskState.PENDING if task.state is TaskState.COMPLETED else TaskState.COMPLETED,
               "assignments_completed": not task.assignments_completed}
    return {**CHANGES, **flipped}


def test_changes_name_every_field_of_a_task() -> None:
    assert list(CHANGES) == [f.name for f in fields(HumanTask)]


@pytest.mark.parametrize("task", [PLAIN, *(t for t in GENERATED if t.claimant)][:3] + [
    next(t for t in GENERATED if not t.claimant and t.assignee), next(t for t in GENERATED if not t.assignee)])
def test_evolve_makes_what_replace_makes_for_every_field(task: HumanTask) -> None:
    assert (type(task) is HumanTask) is (task is PLAIN)  # the others are generated (`_Generated`)
    kept = evolve(task)
    assert type(kept) is HumanTask and kept == replace(task) and values(kept) == values(replace(task))
    for name, value in changes(task).items():
        assert getattr(task, name) != value
        evolved, replaced = evolve(task, **{name: value}), replace(task, **{name: value})
        assert type(evolved) is HumanTask and values(evolved) == values(replaced) and evolved == replaced
    assert values(evolve(task, **changes(task))) == list(changes(task).values())


def test_evolve_sets_none_and_keeps_the_task_unchanged() -> None:
    cleared = evolve(PLAIN, assignee=None, claimant=None, assignee_index=None)
    assert (cleared.assignee, cleared.claimant, cleared.assignee_index) == (None, None, None)
    assert PLAIN.assignee == USER and PLAIN.assignee_index == 0
    with pytest.raises(FrozenInstanceError):
        cleared.state = TaskState.PENDING  # type: ignore[misc]
