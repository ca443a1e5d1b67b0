"""The data of workflows: statuses, definitions, executions, their tasks and timers, and the workflow errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mockserver.domain.errors import DomainError, NotFound


class WorkflowStatus(StrEnum):
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    TERMINATED = "TERMINATED"
    PAUSED = "PAUSED"


class TaskStatus(StrEnum):
    """Only the values the Python SDK accepts (it drops a whole workflow on an unknown one)."""

    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    COMPLETED_WITH_ERRORS = "COMPLETED_WITH_ERRORS"
    FAILED = "FAILED"
    FAILED_WITH_TERMINAL_ERROR = "FAILED_WITH_TERMINAL_ERROR"
    CANCELED = "CANCELED"
    TIMED_OUT = "TIMED_OUT"
    SKIPPED = "SKIPPED"


WORKFLOW_TERMINAL = frozenset({WorkflowStatus.COMPLETED, WorkflowStatus.FAILED, WorkflowStatus.TIMED_OUT,
                               WorkflowStatus.TERMINATED})
TASK_TERMINAL = frozenset({TaskStatus.COMPLETED, TaskStatus.COMPLETED_WITH_ERRORS, TaskStatus.FAILED,
                           TaskStatus.FAILED_WITH_TERMINAL_ERROR, TaskStatus.CANCELED, TaskStatus.TIMED_OUT,
                           TaskStatus.SKIPPED})
UPDATE_STATUSES = frozenset({TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED, TaskStatus.FAILED,
                             TaskStatus.FAILED_WITH_TERMINAL_ERROR})
TERMINATE_REASON = "Task terminated as no more assignments pending and completion strategy is TERMINATE"


class WorkflowNotFound(NotFound):
    def __init__(self, what: str) -> None:
        super().__init__(what)


class WorkflowConflict(DomainError):
    """The request contradicts the current state (an existing definition, a finished workflow)."""


@dataclass(frozen=True, slots=True)
class WorkflowDef:
    name: str
    version: int
    tasks: tuple[dict[str, Any], ...]
    raw: dict[str, Any]
    create_time: int
    update_time: int
    created_by: str = ""

    @property
    def output_parameters(self) -> dict[str, Any]:
        value = self.raw.get("outputParameters")
        return value if isinstance(value, dict) else {}


@dataclass(slots=True)
class TaskRun:
    """A Conductor task of a workflow execution."""

    task_id: str
    task_type: str
    ref: str
    def_name: str
    status: TaskStatus
    seq: int
    workflow_task: dict[str, Any]
    input_data: dict[str, Any]
    scheduled_time: int
    start_time: int = 0
    end_time: int = 0
    update_time: int = 0
    output_data: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    worker_id: str | None = None
    task_def: TaskDef | None = None  # the registered (or embedded) task definition, when there is one
    domain: str | None = None  # from the start request's taskToDomain: only a poll with this domain gets it
    queued: bool = False  # waiting in its task type's queue for a worker's poll
    available_at: int = 0  # not handed to a poll before this time (retry delay, callbackAfterSeconds)
    poll_count: int = 0
    callback_after_seconds: int = 0
    response_due: int = 0  # when the worker that holds it is deemed gone (0: never)
    retry_count: int = 0
    retried_task_id: str | None = None
    retried: bool = False  # a later attempt replaced this one
    logs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def timeout_ms(self) -> int:
        definition = self.workflow_task.get("taskDefinition") or {}
        seconds = definition.get("timeoutSeconds") if isinstance(definition, dict) else None
        if not isinstance(seconds, int) and self.task_def is not None:
            seconds = self.task_def.timeout_seconds
        return int(seconds) * 1000 if isinstance(seconds, int) and seconds > 0 else 0


@dataclass(slots=True)
class Workflow:
    workflow_id: str
    definition: WorkflowDef
    status: WorkflowStatus
    input: dict[str, Any]
    created_by: str
    create_time: int
    owner_app: str | None = None
    correlation_id: str | None = None
    priority: int = 0
    tasks: list[TaskRun] = field(default_factory=list)
    output: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    update_time: int = 0
    end_time: int = 0
    reason: str | None = None
    next_index: int = 0
    task_to_domain: dict[str, str] = field(default_factory=dict)


class RetryLogic(StrEnum):
    FIXED = "FIXED"
    LINEAR_BACKOFF = "LINEAR_BACKOFF"
    EXPONENTIAL_BACKOFF = "EXPONENTIAL_BACKOFF"


@dataclass(frozen=True, slots=True)
class TaskDef:
    """A registered task definition (`/metadata/taskdefs`): what the worker protocol reads of it."""

    name: str
    raw: dict[str, Any]
    retry_count: int = 3
    retry_logic: RetryLogic = RetryLogic.FIXED
    retry_delay_seconds: int = 60
    backoff_scale_factor: int = 1
    response_timeout_seconds: int = 3600
    timeout_seconds: int = 0
    create_time: int = 0
    update_time: int = 0
    created_by: str = ""


@dataclass(frozen=True, slots=True)
class Timer:
    due: int
    kind: str  # "sla", "timeout" or "response"
    task_id: str
