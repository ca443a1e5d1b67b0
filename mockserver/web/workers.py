"""The worker protocol's handlers (`GET /tasks/poll...`, task results, logs, queue sizes, task definitions):
what the SDKs' `TaskHandler` runtimes call. Parse → one workflow-engine call → serialize, as in handlers.py."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from mockserver.domain.workflows import TaskRun, TaskStatus, Workflow
from mockserver.web import wire_workflow
from mockserver.web.calls import NO_CONTENT, OK, Call, Handler


def apply_task_result(call: Call) -> str:
    body = call.body
    return call.world.workflows.update_task(
        call.caller, body["workflowInstanceId"], body["taskId"], TaskStatus(body["status"]),
        body.get("outputData"), reason=body.get("reasonForIncompletion"), worker_id=body.get("workerId"),
        callback_after_seconds=body.get("callbackAfterSeconds") or 0, logs=wire_workflow.result_logs(body))


def update_task_v2(call: Call) -> Response:
    task_id = apply_task_result(call)
    run, _ = call.world.workflows.task(task_id)
    if run.task_type != "SIMPLE":
        return Response(status_code=NO_CONTENT)
    return polled(call.world.workflows.poll(run.def_name, worker_id=call.body.get("workerId"), domain=run.domain))


def polled(got: list[tuple[TaskRun, Workflow]]) -> Response:
    if not got:
        return Response(status_code=NO_CONTENT)  # Conductor's answer to a single poll that found nothing
    return JSONResponse(wire_workflow.dump_run(*got[0]))


def poll_task(call: Call) -> Response:
    return polled(call.world.workflows.poll(call.path["taskType"], worker_id=call.query.get("workerid"),
                                            domain=call.query.get("domain")))


async def batch_poll(call: Call) -> Response:
    query = call.query
    got = await call.polls.poll(call.world, call.path["taskType"], worker_id=query.get("workerid"),
                                domain=query.get("domain"), count=query["count"], timeout_ms=query["timeout"])
    # [] when none came, never 204
    return JSONResponse([wire_workflow.dump_run(run, workflow) for run, workflow in got])


def batch_poll_now(call: Call) -> Response:
    """A batch poll that takes what is queued now and never waits (a shared log applies polls this way)."""
    query = call.query
    got = call.world.workflows.poll(call.path["taskType"], worker_id=query.get("workerid"), domain=query.get("domain"),
                                    count=query["count"])
    return JSONResponse([wire_workflow.dump_run(run, workflow) for run, workflow in got])


def get_task_logs(call: Call) -> Response:
    return JSONResponse(call.world.workflows.logs(call.path["taskId"]))


def log_task(call: Call) -> Response:
    call.world.workflows.add_log(call.path["taskId"], call.body)
    return Response(status_code=OK)


def get_task_queue_sizes(call: Call) -> Response:
    return JSONResponse(call.world.workflows.queue_sizes(call.query.get("taskType") or ()))


def get_task_defs(call: Call) -> Response:
    return JSONResponse([wire_workflow.dump_task_def(d) for d in call.world.workflows.task_defs()])


def register_task_def(call: Call) -> Response:
    call.world.workflows.register_task_defs(call.caller, call.body)
    return JSONResponse({})


def update_task_def(call: Call) -> Response:
    call.world.workflows.register_task_defs(call.caller, [call.body])
    return JSONResponse({})


def get_task_def(call: Call) -> Response:
    return JSONResponse(wire_workflow.dump_task_def(call.world.workflows.task_def(call.path["tasktype"])))


WORKER_HANDLERS: dict[str, Handler] = {
    "pollTask": poll_task,
    "batchPoll": batch_poll,
    "updateTaskV2": update_task_v2,
    "getTaskLogs": get_task_logs,
    "logTask": log_task,
    "getTaskQueueSizes": get_task_queue_sizes,
    "getTaskDefs": get_task_defs,
    "registerTaskDef": register_task_def,
    "updateTaskDef": update_task_def,
    "getTaskDef": get_task_def,
}
