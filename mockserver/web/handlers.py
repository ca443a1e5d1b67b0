"""One handler per operationId of openapi.yaml: parse → one domain call → serialize.

`Call` carries what the router already parsed and validated against the spec, so a handler never
touches raw text, status codes or the lifecycle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse, Response

from mockserver.domain import HumanTask, Principal, Template, World
from mockserver.web import wire


@dataclass(frozen=True, slots=True)
class Call:
    world: World
    principal: Principal | None
    path: dict[str, Any]
    query: dict[str, Any]
    body: Any

    @property
    def caller(self) -> Principal:
        assert self.principal is not None, "secured operations always have a principal"
        return self.principal

    def form_of(self, task: HumanTask) -> Template | None:
        return self.world.templates.find_for_task(task) if self.query.get("withTemplate") else None


Handler = Callable[[Call], Response]
OK = 200


def generate_token(call: Call) -> Response:
    body = call.body
    return JSONResponse({"token": call.world.tokens.issue(body["keyId"], body["keySecret"], body.get("expiration"))})


def get_task(call: Call) -> Response:
    task = call.world.tasks.get(call.caller, call.path["taskId"])
    return JSONResponse(wire.dump_task(task, call.form_of(task)))


def assign_and_claim(call: Call) -> Response:
    task = call.world.tasks.claim_for_user(call.caller, call.path["taskId"], call.path["userId"],
                                           override=call.query["overrideAssignment"])
    return JSONResponse(wire.dump_task(task, call.form_of(task)))


def claim_task(call: Call) -> Response:
    task = call.world.tasks.claim_as_caller(call.caller, call.path["taskId"], override=call.query["overrideAssignment"])
    return JSONResponse(wire.dump_task(task, call.form_of(task)))


def release_task(call: Call) -> Response:
    call.world.tasks.release(call.caller, call.path["taskId"])
    return Response(status_code=OK)


def update_task_output(call: Call) -> Response:
    call.world.tasks.update(call.caller, call.path["taskId"], call.body or {}, complete=call.query["complete"])
    return Response(status_code=OK)


def search(call: Call) -> Response:
    return JSONResponse(wire.dump_page(call.world.tasks.search(call.caller, wire.parse_search(call.body))))


def get_template_by_name_and_version(call: Call) -> Response:
    return JSONResponse(wire.dump_template(call.world.templates.get(call.path["name"], call.path["version"])))


def save_template(call: Call) -> Response:
    saved = call.world.templates.save(call.caller, wire.parse_template(call.body), new_version=call.query["newVersion"],
                                      version_given=bool(call.body.get("version")))
    return JSONResponse(wire.dump_template(saved))


def get_all_templates(call: Call) -> Response:
    templates = call.world.templates.list(call.query.get("name"), call.query.get("version"))
    return JSONResponse([wire.dump_template(t) for t in templates])


HANDLERS: dict[str, Handler] = {
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
}
