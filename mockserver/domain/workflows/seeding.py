"""Workflows for scenario-seeded human tasks: built from the tasks when the scenario does not declare them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mockserver.domain.model import HumanTask, TaskState
from mockserver.domain.workflows.definitions import HUMAN_DEF_KEY
from mockserver.domain.workflows.records import TaskRun, TaskStatus, Workflow, WorkflowDef, WorkflowStatus

_SEEDED_STATUS = {TaskState.COMPLETED: TaskStatus.COMPLETED, TaskState.TIMED_OUT: TaskStatus.TIMED_OUT,
                  TaskState.DELETED: TaskStatus.CANCELED}


def by_workflow(tasks: Iterable[HumanTask]) -> dict[str, list[HumanTask]]:
    """Tasks grouped by workflow id, each group in creation order: tasks sharing a workflowId share a workflow."""
    groups: dict[str, list[HumanTask]] = {}
    for task in sorted(tasks, key=lambda t: (t.created_on, t.task_id)):
        groups.setdefault(task.workflow_id, []).append(task)
    return groups


def seeded_workflow(workflow_id: str, members: list[HumanTask]) -> Workflow:
    """A workflow of HUMAN tasks, one per member, in the statuses their states imply."""
    first, last = members[0], max(members, key=lambda t: t.updated_on)
    name = first.workflow_name or "scenario_workflow"
    runs = [_run(seq, task) for seq, task in enumerate(members, start=1)]
    workflow_tasks = [run.workflow_task for run in runs]
    definition = WorkflowDef(name=name, version=1, tasks=tuple(workflow_tasks),
                             raw={"name": name, "version": 1, "tasks": workflow_tasks},
                             create_time=first.created_on, update_time=first.created_on)
    wf_status = _status({run.status for run in runs})
    finished = wf_status is not WorkflowStatus.RUNNING
    return Workflow(workflow_id=workflow_id, definition=definition, status=wf_status, input={},
                    created_by=first.created_by, create_time=first.created_on, owner_app=first.owner_app,
                    tasks=runs, update_time=last.updated_on, next_index=len(runs),
                    output=dict(last.output) if wf_status is WorkflowStatus.COMPLETED else {},
                    end_time=last.updated_on if finished else 0)


def _run(seq: int, task: HumanTask) -> TaskRun:
    ref = task.task_ref_name or task.task_id
    workflow_task: dict[str, Any] = {"name": task.definition_name or ref, "taskReferenceName": ref,
                                     "type": "HUMAN", "inputParameters": {HUMAN_DEF_KEY: {}}}
    status = _SEEDED_STATUS.get(task.state, TaskStatus.IN_PROGRESS)
    return TaskRun(task_id=task.task_id, task_type="HUMAN", ref=ref, def_name=workflow_task["name"],
                   status=status, seq=seq, workflow_task=workflow_task, input_data=dict(task.input),
                   scheduled_time=task.created_on, start_time=task.created_on,
                   update_time=task.updated_on, output_data=dict(task.output),
                   end_time=task.updated_on if status is not TaskStatus.IN_PROGRESS else 0)


def _status(statuses: set[TaskStatus]) -> WorkflowStatus:
    if TaskStatus.IN_PROGRESS in statuses:
        return WorkflowStatus.RUNNING
    if TaskStatus.TIMED_OUT in statuses:
        return WorkflowStatus.TIMED_OUT
    if TaskStatus.CANCELED in statuses:
        return WorkflowStatus.TERMINATED
    return WorkflowStatus.COMPLETED
