"""The workflow subset of Conductor, one job a module:

- `records`: statuses, definitions, executions, task runs, timers and the workflow errors (data only);
- `definitions`: what conductor-mock can run, HUMAN task definitions, the registry of definitions;
- `expressions`: `${...}` resolution and its context;
- `execution`: start, advance, schedule, complete, terminate, task updates, reacting to human task changes;
- `timers`: SLA due times and the heap, workflow task timeouts, firing an SLA;
- `seeding`: workflows for scenario-seeded human tasks;
- `triggers`: human task triggers that start workflows;
- `taskdefs`: task definitions (retry and response-timeout policy) and their registry;
- `workers`: the queues SIMPLE tasks wait in for workers' polls, requeues, retries, task logs;
- `engine`: `WorkflowEngine`, the facade World, web and control use.

Control-flow constructs (forks, switches, loops, sub-workflows) are refused at registration.
"""

from mockserver.domain.workflows.definitions import (
    HUMAN_DEF_KEY,
    NOOP_TYPES,
    SUPPORTED_TYPES,
    SYSTEM_TYPES,
    WAITING_TYPES,
    check_definition,
    parse_human_definition,
)
from mockserver.domain.workflows.engine import WorkflowEngine
from mockserver.domain.workflows.expressions import resolve
from mockserver.domain.workflows.records import (
    TASK_TERMINAL,
    TERMINATE_REASON,
    UPDATE_STATUSES,
    WORKFLOW_TERMINAL,
    RetryLogic,
    TaskDef,
    TaskRun,
    TaskStatus,
    Timer,
    Workflow,
    WorkflowConflict,
    WorkflowDef,
    WorkflowNotFound,
    WorkflowStatus,
)

__all__ = [
    "HUMAN_DEF_KEY", "NOOP_TYPES", "SUPPORTED_TYPES", "SYSTEM_TYPES", "TASK_TERMINAL", "TERMINATE_REASON",
    "UPDATE_STATUSES", "WAITING_TYPES", "RetryLogic", "TaskDef", "WORKFLOW_TERMINAL",
    "TaskRun", "TaskStatus", "Timer", "Workflow",
    "WorkflowConflict", "WorkflowDef", "WorkflowEngine", "WorkflowNotFound", "WorkflowStatus", "check_definition",
    "parse_human_definition", "resolve",
]
