"""The human task and its parts. Pure data: no I/O, no HTTP. The rules that change a task are in `lifecycle`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from enum import Enum, StrEnum
from typing import Any, Final, TypeVar

T = TypeVar("T")


class TaskState(StrEnum):
    PENDING = "PENDING"
    ASSIGNED = "ASSIGNED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    TIMED_OUT = "TIMED_OUT"
    DELETED = "DELETED"


class UserType(StrEnum):
    EXTERNAL_USER = "EXTERNAL_USER"
    EXTERNAL_GROUP = "EXTERNAL_GROUP"
    CONDUCTOR_USER = "CONDUCTOR_USER"
    CONDUCTOR_GROUP = "CONDUCTOR_GROUP"


class CompletionStrategy(StrEnum):
    LEAVE_OPEN = "LEAVE_OPEN"
    TERMINATE = "TERMINATE"


class Action(StrEnum):
    """What someone (or the system) does to a task. `lifecycle.TRANSITIONS` is keyed by (state, action)."""

    CLAIM = "claim"
    RELEASE = "release"
    UPDATE = "update"
    COMPLETE = "complete"
    SKIP = "skip"
    REASSIGN = "reassign"
    ESCALATE = "escalate"  # the current assignee's SLA passed; the next assignment takes over
    LEAVE_OPEN = "leave open"  # the last SLA passed with LEAVE_OPEN: open to anyone
    TERMINATE = "terminate"  # the last SLA passed with TERMINATE
    TIME_OUT = "time out"  # the HUMAN task definition's timeoutSeconds passed
    CANCEL = "cancel"  # its workflow was terminated or failed
    DELETE = "delete"


class LogAction(StrEnum):
    """The `action` of an entry in `__humanTaskProcessContext.humanTaskActionLogs`, as Orkes spells it."""

    ASSIGNMENT = "ASSIGNMENT"
    ASSIGNMENTS_COMPLETED = "ASSIGNMENTS_COMPLETED"
    CLAIM = "CLAIM"
    RELEASE = "RELEASE"
    SKIP = "SKIP"
    REASSIGN = "REASSIGN"
    TIMED_OUT = "TIMED_OUT"
    DELETED = "DELETED"


@dataclass(frozen=True, slots=True)
class TaskUser:
    """A HumanTaskUser: who a task is assigned to, or who claimed it."""

    user: str
    user_type: UserType

    def __str__(self) -> str:
        return f"{self.user_type}:{self.user}"


@dataclass(frozen=True, slots=True)
class Assignment:
    assignee: TaskUser
    sla_minutes: int = 0


@dataclass(frozen=True, slots=True)
class FormRef:
    """`userFormTemplate`: the user form a task shows. Version 0 means the latest."""

    name: str
    version: int = 0


@dataclass(frozen=True, slots=True)
class HumanTaskDef:
    """`humanTaskDef`, the effective definition of a task (`__humanTaskDefinition` of its workflow task)."""

    assignments: tuple[Assignment, ...] = ()
    completion_strategy: CompletionStrategy = CompletionStrategy.LEAVE_OPEN
    display_name: str | None = None
    form: FormRef | None = None
    triggers: tuple[dict[str, Any], ...] = ()
    auto_claim: bool | None = None


@dataclass(frozen=True, slots=True)
class ActionLog:
    """One entry of `humanTaskActionLogs`."""

    id: str
    state: TaskState
    state_start: int
    action: LogAction
    acted_by: str
    assignee: TaskUser | None = None
    claimant: TaskUser | None = None


@dataclass(frozen=True, slots=True)
class HumanTask:
    """A HumanTaskEntry. Immutable: every change makes a new one (`evolve`)."""

    task_id: str
    state: TaskState
    created_on: int
    updated_on: int
    assignee: TaskUser | None = None
    claimant: TaskUser | None = None
    definition_name: str = ""
    display_name: str = ""
    workflow_id: str = ""
    workflow_name: str = ""
    task_ref_name: str = ""
    created_by: str = ""
    updated_by: str = ""
    owner_app: str | None = None
    definition: HumanTaskDef = field(default_factory=HumanTaskDef)
    input: dict[str, Any] = field(default_factory=dict)
    output: dict[str, Any] = field(default_factory=dict)
    action_logs: tuple[ActionLog, ...] = ()
    trigger_log: tuple[dict[str, Any], ...] = ()
    assignee_index: int | None = 0
    skipped_assignee_indexes: tuple[int, ...] = ()
    assignments_completed: bool = False

    @property
    def is_open(self) -> bool:
        """Assigned to no one: any authorized caller may claim it for anyone."""
        return self.assignee is None


@dataclass(frozen=True, slots=True)
class Template:
    """A HumanTaskTemplate (user form)."""

    name: str
    version: int
    json_schema: dict[str, Any]
    template_ui: dict[str, Any]
    tags: tuple[dict[str, Any], ...] = ()
    owner_app: str | None = None
    created_by: str = ""
    create_time: int = 0
    updated_by: str = ""
    update_time: int = 0


def positional_builder(cls: type[T], as_class: type[T] | None = None) -> Callable[..., T]:
    """A constructor of the frozen slots dataclass `cls` taking every field, in order, positionally. `as_class`:
    the objects are of this subclass of `cls` instead (one that adds no slots).

    It makes the same object as `cls(...)` about ten times faster (what a million generated tasks need): a frozen
    dataclass's `__init__` sets each field through `object.__setattr__`, while this fills a plain class with the
    same slots (a specialised attribute store each) and then gives the object its real class. No validation and no
    default: for bulk building only."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]  # a dataclass, as the docstring says
    slots: tuple[str, ...] = getattr(cls, "__slots__", ())
    if tuple(names) != slots or not names:
        raise TypeError(f"{cls.__name__} is not a slots dataclass")
    shadow = type(f"_{cls.__name__}Parts", (), {"__slots__": slots})
    body = "".join(f"    o.{name} = {name}\n" for name in names)
    source = f"def build({', '.join(names)}):\n    o = new(shadow)\n{body}    o.__class__ = cls\n    return o\n"
    if as_class is not None and (not issubclass(as_class, cls) or as_class.__dict__.get("__slots__") != ()):
        raise TypeError(f"{as_class.__name__} is not a subclass of {cls.__name__} with no slots of its own")
    scope: dict[str, Any] = {"new": object.__new__, "shadow": shadow, "cls": as_class or cls}
    exec(source, scope)  # fixed field names of our own dataclass, as `dataclasses` itself does
    built: Callable[..., T] = scope["build"]
    return built


class Keep(Enum):
    """The default of `evolve`'s parameters: keep the task's value (None is a value a field may take)."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP
_build_task = positional_builder(HumanTask)


def evolve(task: HumanTask, *, task_id: str | Keep = KEEP, state: TaskState | Keep = KEEP,
           created_on: int | Keep = KEEP, updated_on: int | Keep = KEEP, assignee: TaskUser | None | Keep = KEEP,
           claimant: TaskUser | None | Keep = KEEP, definition_name: str | Keep = KEEP,
           display_name: str | Keep = KEEP, workflow_id: str | Keep = KEEP, workflow_name: str | Keep = KEEP,
           task_ref_name: str | Keep = KEEP, created_by: str | Keep = KEEP, updated_by: str | Keep = KEEP,
           owner_app: str | None | Keep = KEEP, definition: HumanTaskDef | Keep = KEEP,
           input: dict[str, Any] | Keep = KEEP, output: dict[str, Any] | Keep = KEEP,
           action_logs: tuple[ActionLog, ...] | Keep = KEEP, trigger_log: tuple[dict[str, Any], ...] | Keep = KEEP,
           assignee_index: int | None | Keep = KEEP, skipped_assignee_indexes: tuple[int, ...] | Keep = KEEP,
           assignments_completed: bool | Keep = KEEP) -> HumanTask:
    """`dataclasses.replace(task, ...)`, about four times faster: the same plain HumanTask (also of a generated
    task, whose fields it reads as attributes, as `replace` does). One keyword parameter per field, so mypy checks
    the names and types of the changes at every call. The positional builder itself is untyped (`Callable[...]`):
    `tests/domain/test_model.py` checks, field by field, that this order is the one of `fields(HumanTask)`."""
    return _build_task(
        task.task_id if task_id is KEEP else task_id,
        task.state if state is KEEP else state,
        task.created_on if created_on is KEEP else created_on,
        task.updated_on if updated_on is KEEP else updated_on,
        task.assignee if assignee is KEEP else assignee,
        task.claimant if claimant is KEEP else claimant,
        task.definition_name if definition_name is KEEP else definition_name,
        task.display_name if display_name is KEEP else display_name,
        task.workflow_id if workflow_id is KEEP else workflow_id,
        task.workflow_name if workflow_name is KEEP else workflow_name,
        task.task_ref_name if task_ref_name is KEEP else task_ref_name,
        task.created_by if created_by is KEEP else created_by,
        task.updated_by if updated_by is KEEP else updated_by,
        task.owner_app if owner_app is KEEP else owner_app,
        task.definition if definition is KEEP else definition,
        task.input if input is KEEP else input,
        task.output if output is KEEP else output,
        task.action_logs if action_logs is KEEP else action_logs,
        task.trigger_log if trigger_log is KEEP else trigger_log,
        task.assignee_index if assignee_index is KEEP else assignee_index,
        task.skipped_assignee_indexes if skipped_assignee_indexes is KEEP else skipped_assignee_indexes,
        task.assignments_completed if assignments_completed is KEEP else assignments_completed,
    )
