"""One handler per operationId of openapi.yaml: parse → one domain call → serialize.

`Call` carries what the router already parsed and validated against the spec, so a handler never
touches raw text, status codes or the lifecycle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from json.encoder import encode_basestring
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from mockserver.domain import HumanTask, Principal, SearchType, World
from mockserver.domain.workflows import TaskStatus
from mockserver.web import wire, wire_workflow
from mockserver.web.calls import OK, Call, Handler, PollWaiters
from mockserver.web.routing import SYNCED, Params, Parse, Surface, Wrap
from mockserver.web.spec import Operation
from mockserver.web.state import WorldSource
from mockserver.web.workers import WORKER_HANDLERS, apply_task_result, batch_poll_now


def generate_token(call: Call) -> Response:
    body = call.body
    token = call.world.tokens.issue(body["keyId"], body["keySecret"], body.get("expiration"))
    # the bytes JSONResponse({"token": token}) makes, without building and encoding a dict
    return Response(f'{{"token":{encode_basestring(token)}}}'.encode(), media_type="application/json")


def task_response(call: Call, task: HumanTask) -> Response:
    """A HumanTaskEntry: without its form, the JSON `wire` keeps per task version (encoded once)."""
    form = call.form_of(task)
    if form is None:
        return Response(wire.task_json(task), media_type="application/json")
    return JSONResponse(wire.dump_task(task, form))


def get_task(call: Call) -> Response:
    return task_response(call, call.world.tasks.get(call.caller, call.path["taskId"]))


def assign_and_claim(call: Call) -> Response:
    return task_response(call, call.world.tasks.claim_for_user(call.caller, call.path["taskId"], call.path["userId"],
                                                               override=call.query["overrideAssignment"]))


def claim_task(call: Call) -> Response:
    return task_response(call, call.world.tasks.claim_as_caller(call.caller, call.path["taskId"],
                                                                override=call.query["overrideAssignment"]))


def release_task(call: Call) -> Response:
    call.world.tasks.release(call.caller, call.path["taskId"])
    return Response(status_code=OK)


def update_task_output(call: Call) -> Response:
    call.world.tasks.update(call.caller, call.path["taskId"], call.body or {}, complete=call.query["complete"])
    return Response(status_code=OK)


def search(call: Call) -> Response:
    page = call.world.tasks.search(call.caller, wire.parse_search(call.body))
    return Response(wire.page_json(page), media_type="application/json")


def get_template_by_name_and_version(call: Call) -> Response:
    return JSONResponse(wire.dump_template(call.world.templates.get(call.path["name"], call.path["version"])))


def save_template(call: Call) -> Response:
    saved = call.world.templates.save(call.caller, wire.parse_template(call.body), new_version=call.query["newVersion"],
                                      version_given=bool(call.body.get("version")))
    return JSONResponse(wire.dump_template(saved))


def get_all_templates(call: Call) -> Response:
    templates = call.world.templates.list(call.query.get("name"), call.query.get("version"))
    return JSONResponse([wire.dump_template(t) for t in templates])


def save_templates(call: Call) -> Response:
    forms = [wire.parse_template(body) for body in call.body]
    saved = call.world.templates.save_all(call.caller, forms, new_version=call.query["newVersion"])
    return JSONResponse([wire.dump_template(t) for t in saved])


def get_template_by_task_id(call: Call) -> Response:
    task = call.world.tasks.get(call.caller, call.path["name"])  # one segment: a human task id on GET
    return JSONResponse(wire.dump_template(call.world.templates.for_task(task)))


def delete_template_by_name(call: Call) -> Response:
    call.world.templates.delete(call.path["name"])
    return Response(status_code=OK)


def delete_templates_by_name_and_version(call: Call) -> Response:
    call.world.templates.delete(call.path["name"], call.path["version"])
    return Response(status_code=OK)


def get_tags_for_user_form_template(call: Call) -> Response:
    return JSONResponse(call.world.templates.tags(call.path["name"]))


def put_tag_for_user_form_template(call: Call) -> Response:
    call.world.templates.put_tags(call.path["name"], call.body)
    return Response(status_code=OK)


def delete_tag_for_user_form_template(call: Call) -> Response:
    call.world.templates.delete_tags(call.path["name"], call.body)
    return Response(status_code=OK)


def get_task_display_names(call: Call) -> Response:
    return JSONResponse(call.world.tasks.display_names(call.caller, SearchType(call.query["searchType"])))


def back_populate_full_text_index(call: Call) -> Response:
    return JSONResponse({})  # the mock's index is always current: nothing to back-populate


# -- the workflow side -----------------------------------------------------------------------------------

def text(value: str) -> Response:
    return PlainTextResponse(value)


def register_workflow_def(call: Call) -> Response:
    call.world.workflows.register(call.caller, call.body, overwrite=call.query["overwrite"])
    return JSONResponse({})


def update_workflow_defs(call: Call) -> Response:
    for definition in call.body:  # all checked before any is stored
        call.world.workflows.check_definition(definition)
    saved = [call.world.workflows.register(call.caller, d, overwrite=call.query["overwrite"]) for d in call.body]
    return JSONResponse({"bulkErrorResults": {}, "bulkSuccessfulResults": [d.name for d in saved]})


def get_workflow_def(call: Call) -> Response:
    return JSONResponse(wire_workflow.dump_definition(call.world.workflows.definition(call.path["name"],
                                                                           call.query.get("version"))))


def start_workflow(call: Call) -> Response:
    body = call.body
    if isinstance(body.get("workflowDef"), dict):
        call.world.workflows.register(call.caller, body["workflowDef"], overwrite=True)
    return text(call.world.workflows.start(call.caller, body["name"], version=body.get("version"),
                                           workflow_input=body.get("input"), correlation_id=body.get("correlationId"),
                                           priority=body.get("priority") or 0,
                                           task_to_domain=body.get("taskToDomain") or None))


def start_workflow_by_name(call: Call) -> Response:
    # the path is shared with GET/DELETE /workflow/{workflowId}: for this POST it holds the definition's name
    return text(call.world.workflows.start(call.caller, call.path["workflowId"], version=call.query.get("version"),
                                           workflow_input=call.body, correlation_id=call.query.get("correlationId"),
                                           priority=call.query.get("priority") or 0))


def get_execution_status(call: Call) -> Response:
    workflow = call.world.workflows.get(call.path["workflowId"])
    return JSONResponse(wire_workflow.dump_workflow(workflow, include_tasks=call.query["includeTasks"]))


def terminate(call: Call) -> Response:
    call.world.workflows.terminate(call.caller, call.path["workflowId"], call.query.get("reason"))
    return Response(status_code=OK)


def get_conductor_task(call: Call) -> Response:
    return JSONResponse(conductor_task(call, call.path["taskId"]))


def update_task(call: Call) -> Response:
    return text(apply_task_result(call))


def update_task_by_ref_name(call: Call) -> Response:
    return text(call.world.workflows.update_task_by_ref(
        call.caller, call.path["workflowId"], call.path["taskRefName"], TaskStatus(call.path["status"]),
        wire_workflow.unwrap_output(call.body), worker_id=call.query.get("workerid")))


def get_conductor_task_by_human_task_id(call: Call) -> Response:
    call.world.tasks.get(call.caller, call.path["taskId"])  # unknown → 400, no right to read → 403
    return JSONResponse(conductor_task(call, call.path["taskId"]))


def update_task_output_by_ref(call: Call) -> Response:
    task_id = call.world.workflows.human_task_for_ref(call.query["workflowId"], call.query["taskRefName"])
    call.world.tasks.update(call.caller, task_id, call.body or {}, complete=call.query["complete"])
    return Response(status_code=OK)


def reassign_task(call: Call) -> Response:
    call.world.tasks.reassign(call.caller, call.path["taskId"], wire.parse_assignments(call.body))
    return Response(status_code=OK)


def skip_task(call: Call) -> Response:
    call.world.tasks.skip(call.caller, call.path["taskId"], call.query.get("reason"))
    return Response(status_code=OK)


def delete_task(call: Call) -> Response:
    call.world.tasks.delete(call.caller, [call.path["taskId"]])
    return Response(status_code=OK)


def delete_tasks(call: Call) -> Response:
    call.world.tasks.delete(call.caller, [str(task_id) for task_id in call.body])
    return Response(status_code=OK)


def conductor_task(call: Call, task_id: str) -> dict[str, Any]:
    run, workflow = call.world.workflows.task(task_id)
    extras = wire_workflow.conductor_task_extras(run, call.world.workflows.find_task_def(run.def_name))
    if run.task_type != "HUMAN":
        return {**wire_workflow.dump_run(run, workflow), **extras}
    human = wire.dump_task(call.world.tasks.peek(task_id))  # a HUMAN task's input is the human task's
    return {**wire_workflow.dump_run(run, workflow, input_data=human["input"]), **extras}


def _caller(world: World, request: Request) -> Principal:
    return world.tokens.authenticate(request.headers.get("x-authorization"))


HANDLERS: dict[str, Handler] = {
    **WORKER_HANDLERS,
    "generateToken": generate_token,
    "getTask": get_task,
    "assignAndClaim": assign_and_claim,
    "claimTask": claim_task,
    "releaseTask": release_task,
    "updateTaskOutput": update_task_output,
    "search": search,
    "getTemplateByNameAndVersion": get_template_by_name_and_version,
    "saveTemplate": save_template,
    "getAllTemplates": get_all_templates,
    "saveTemplates": save_templates,
    "getTemplateByTaskId": get_template_by_task_id,
    "deleteTemplateByName": delete_template_by_name,
    "deleteTemplatesByNameAndVersion": delete_templates_by_name_and_version,
    "getTagsForUserFormTemplate": get_tags_for_user_form_template,
    "putTagForUserFormTemplate": put_tag_for_user_form_template,
    "deleteTagForUserFormTemplate": delete_tag_for_user_form_template,
    "getTaskDisplayNames": get_task_display_names,
    "backPopulateFullTextIndex": back_populate_full_text_index,
    "registerWorkflowDef": register_workflow_def,
    "updateWorkflowDefs": update_workflow_defs,
    "getWorkflowDef": get_workflow_def,
    "startWorkflow": start_workflow,
    "startWorkflowByName": start_workflow_by_name,
    "getExecutionStatus": get_execution_status,
    "terminate": terminate,
    "getConductorTask": get_conductor_task,
    "updateTask": update_task,
    "updateTaskByRefName": update_task_by_ref_name,
    "getConductorTaskByHumanTaskId": get_conductor_task_by_human_task_id,
    "updateTaskOutputByRef": update_task_output_by_ref,
    "reassignTask": reassign_task,
    "skipTask": skip_task,
    "deleteTaskFromHumanTaskRecords1": delete_task,
    "deleteTaskFromHumanTaskRecords": delete_tasks,
}


# The operations that change nothing: a shared backend answers them from its process's copy of the world (caught up
# first) without writing to its log. Every other operation is a change, applied in every process in log order.
READ_ONLY: frozenset[str] = frozenset({
    "generateToken", "getTask", "search", "getAllTemplates", "getTemplateByNameAndVersion", "getTemplateByTaskId",
    "getTagsForUserFormTemplate", "getWorkflowDef", "getExecutionStatus", "getTaskLogs", "getTaskQueueSizes",
    "getTaskDefs", "getTaskDef", "getConductorTask", "getConductorTaskByHumanTaskId", "getTaskDisplayNames",
    "backPopulateFullTextIndex",
})
POLLS = frozenset({"pollTask", "batchPoll"})  # changes only when something is queued for the caller
POLL_STEP_S = 0.05  # how often a long poll on a shared backend looks at the log again


def perform(world: World, principal: Principal | None, operation_id: str, path: dict[str, Any],
            query: dict[str, Any], body: Any) -> Response:
    """Run one call to its answer, at once: how a shared log applies a call in every process (a batch poll takes
    what is queued now; the proposing process does the waiting)."""
    call = Call(world, principal, path, query, body)
    if operation_id == "batchPoll":
        return batch_poll_now(call)
    result = HANDLERS[operation_id](call)
    assert isinstance(result, Response), f"{operation_id} must answer at once"
    return result


def queued_for(world: World, operation_id: str, path: dict[str, Any], query: dict[str, Any]) -> bool:
    """Whether a poll (`POLLS`) would take a task now."""
    del operation_id
    return world.workflows.has_queued(path["taskType"], domain=query.get("domain"))


async def shared_call(source: WorldSource, operation: Operation, principal: Principal | None, params: Params,
                      request: Request) -> Response:
    """A call on a shared backend: reads from the process's copy, changes through the log, polls waiting here."""
    op = operation.operation_id
    if op in READ_ONLY:
        result = HANDLERS[op](Call(source.world, principal, params.path, params.query, params.body))
        return result if isinstance(result, Response) else await result
    if op not in POLLS:
        return await source.submit(op, principal, params.path, params.query, params.body)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (params.query.get("timeout") or 0) / 1000 if op == "batchPoll" else 0.0
    while True:
        if queued_for(source.world, op, params.path, params.query):
            answer = await source.submit(op, principal, params.path, {**params.query, "timeout": 0}, params.body)
            if answer.status_code != OK or answer.body not in (b"[]", b""):
                return answer
        remaining = deadline - loop.time()
        if remaining <= 0:
            return perform(source.world, principal, op, params.path, {**params.query, "timeout": 0}, params.body)
        await asyncio.sleep(min(remaining, POLL_STEP_S))
        await source.ready()


def api_surface(document: Mapping[str, Any], operations: Sequence[Operation],
                worlds: Callable[[Request], WorldSource], *, wrap: Wrap | None = None) -> Surface[Handler]:
    """openapi.yaml served over the world `worlds(request)` holds (the call's namespace), every call wrapped by
    `wrap`.

    The world is taken again after the body is read: a reset, load or merge that lands while the body is still
    arriving must not leave the call writing into the discarded world (a lost update, answered 200). The caller is
    authenticated before the body is parsed and, if the world was swapped meanwhile, again against the new one."""
    polls = PollWaiters()  # woken by any namespace's queue: a woken poll looks at its own queue again

    async def invoke(handler: Handler, request: Request, operation: Operation, parse: Parse) -> Response:
        source = worlds(request)
        if source.shared:
            return await _invoke_shared(source, request, operation, parse)
        world = source.world
        # the caller first: a call without a valid token learns nothing about its parameters
        principal = _caller(world, request) if operation.secured else None
        params = await parse()
        if source.world is not world:  # swapped while the body was read
            world = source.world
            principal = _caller(world, request) if operation.secured else None
        result = handler(Call(world, principal, params.path, params.query, params.body, polls))
        return result if isinstance(result, Response) else await result

    return Surface(document, operations, HANDLERS, invoke, wrap=wrap)


async def _invoke_shared(source: WorldSource, request: Request, operation: Operation, parse: Parse) -> Response:
    if not request.scope.get(SYNCED):
        await source.ready()
    principal = _caller(source.world, request) if operation.secured else None
    params = await parse()
    return await shared_call(source, operation, principal, params, request)
