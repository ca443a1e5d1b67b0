"""The HTTP side of the control plane: one handler per operationId of control-openapi.yaml (`CONTROL_HANDLERS`,
served by the web layer's router like openapi.yaml's), the bearer-token guard, the 405 wording of `/_mock`, and
the wrappers of every call: `/_mock` calls get a request id, `/api` calls a request id and the armed faults.

Imports the web layer's router and error table; the web layer imports nothing of it (the composition root,
`mockserver.app`, hands these to the router).
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mockserver import __version__
from mockserver.control.crosssite import cross_site_refusal
from mockserver.control.drop import DroppedResponse
from mockserver.control.faults import FaultBook, FaultInvalid, did_you_mean, parse_rule
from mockserver.control.namespaces import Namespaces
from mockserver.control.plane import REQUEST_ID, ControlPlane, ExportTooDeep
from mockserver.control.timeparse import parse_duration_ms, parse_instant_ms
from mockserver.scenarios import MAX_SCENARIO_BYTES
from mockserver.web.errors import Refused, error_response
from mockserver.web.routing import SYNCED, Parse, Run, Surface, namespace_of
from mockserver.web.spec import HTTP_METHODS, Operation, compile_operations, strict_json

DOCUMENT = "control-openapi.yaml"
CLOCK_MOVES = ("advanceMs", "advance", "set")


def document_path() -> Path:
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_data" / DOCUMENT, package.parent / DOCUMENT):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"conductor-mock cannot find its {DOCUMENT} (looked in {package / '_data'} and "
                            f"{package.parent})")


@functools.cache
def document_text() -> str:
    return document_path().read_text(encoding="utf-8")


@functools.cache
def document() -> dict[str, Any]:
    """The parsed control-openapi.yaml (read once; callers must not mutate it)."""
    parsed: dict[str, Any] = yaml.safe_load(document_text())
    return parsed


@functools.cache
def _operations() -> tuple[Operation, ...]:
    return tuple(compile_operations(document()))


@dataclass(frozen=True, slots=True)
class ControlCall:
    plane: ControlPlane  # the call's namespace
    request: Request
    path: dict[str, Any]
    query: dict[str, Any]
    namespaces: Namespaces


ControlHandler = Callable[[ControlCall], Awaitable[Response]]


# -- status -----------------------------------------------------------------------------------------------------

async def health(call: ControlCall) -> Response:
    await call.plane.ready()
    world = call.plane.world
    return JSONResponse({"status": "ok", "scenario": world.name, "tasks": len(world.tasks),
                         "store": call.plane.store_name}, headers={"X-Mock-Process": str(os.getpid())})


async def version(call: ControlCall) -> Response:
    return JSONResponse({"version": __version__, "openapi": call.plane.openapi_version,
                         "controlApi": str(document().get("info", {}).get("version", ""))})


async def openapi(call: ControlCall) -> Response:
    return Response(document_text(), media_type="application/yaml")


# -- the world ----------------------------------------------------------------------------------------------------

async def reset(call: ControlCall) -> Response:
    return JSONResponse(await call.plane.change("reset", {}))


async def export(call: ControlCall) -> Response:
    """The world's document is taken on the loop (a consistent snapshot, quick); writing it out and checking that
    it loads back run in a worker thread, so the mock keeps answering meanwhile."""
    fmt, plane = call.query["format"], call.plane
    await plane.ready()
    document = plane.export_document()
    try:
        text, problems = await to_thread.run_sync(
            functools.partial(plane.write_export, document, fmt, verify=call.query["verify"]))
    except ExportTooDeep as error:
        raise Refused(422, error.message) from None
    return Response(text, media_type=f"application/{fmt}", headers={"X-Export-Problems": str(len(problems))})


async def load(call: ControlCall) -> Response:
    """Parsing and building the world run in a worker thread; only the swap runs on the loop."""
    source, text = await _scenario(call)
    return JSONResponse(await call.plane.load_text(source, text))


async def merge(call: ControlCall) -> Response:
    source, text = await _scenario(call)
    return JSONResponse(await call.plane.merge_text(source, text))


async def _scenario(call: ControlCall) -> tuple[Path, str]:
    request, name = call.request, call.query.get("file")
    body = await _capped_body(request)
    if name is not None:
        if body.strip():
            raise Refused(400, "Send the scenario either as the body or as ?file=NAME, not both")
        return call.plane.read_shipped(name)
    if not body.strip():
        raise Refused(400, "Send a scenario as the body (YAML or JSON), or name one of the mock's scenarios "
                      "folder with ?file=NAME")
    try:
        return Path(call.query["source"]), body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Refused(400, f"The scenario is not UTF-8 text (byte {error.start})") from None


async def _capped_body(request: Request) -> bytes:
    """The body, refused with 413 as soon as it is known to pass `MAX_SCENARIO_BYTES` (by its Content-Length, or
    while it streams in)."""
    too_large = Refused(413, f"The scenario is larger than {MAX_SCENARIO_BYTES // (1024 * 1024)} MiB (the limit "
                        "of a scenario body or file): split it, and send the rest with POST /_mock/scenario (a merge)")
    size = request.headers.get("content-length", "0")
    if size.isdigit() and int(size) > MAX_SCENARIO_BYTES:
        raise too_large
    chunks, received = [], 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > MAX_SCENARIO_BYTES:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


# -- journal ------------------------------------------------------------------------------------------------------

async def journal(call: ControlCall) -> Response:
    await call.plane.ready()
    entries_of, query = call.plane.journal, call.query
    entries = entries_of.entries(task_id=query.get("taskId"), since=query["since"], limit=query["limit"])
    return JSONResponse({"entries": [e.to_json() for e in entries], "capacity": entries_of.capacity,
                         "size": len(entries_of), "lastSeq": entries_of.last_seq, "oldestSeq": entries_of.oldest_seq()})


async def clear_journal(call: ControlCall) -> Response:
    cleared = await call.plane.change("clearJournal", {})
    return JSONResponse({"cleared": cleared, "lastSeq": call.plane.journal.last_seq})


# -- clock --------------------------------------------------------------------------------------------------------

async def clock(call: ControlCall) -> Response:
    await call.plane.ready()
    return JSONResponse(call.plane.clock())


async def move_clock(call: ControlCall) -> Response:
    body = await _json_object(call.request)
    unknown = [k for k in body if k not in CLOCK_MOVES]
    if unknown or len(body) != 1:
        hint = did_you_mean(unknown[0], CLOCK_MOVES) if unknown else ""
        raise Refused(400, f"Send exactly one of {', '.join(CLOCK_MOVES)}: {{\"advance\": \"PT30M\"}}, "
                      f"{{\"advanceMs\": 1800000}} or {{\"set\": \"2026-01-01T10:00:00Z\"}}"
                      + (f" (got {', '.join(map(repr, body))}).{hint}" if body else ""))
    (key, value), = body.items()
    try:
        ms = _clock_target(key, value)
    except ValueError as error:
        raise Refused(400, str(error), validation_errors=[{"path": f"body.{key}", "message": str(error),
                                                           "invalidValue": value}]) from None
    # `ClockBackwards` and `ClockNotManual` from the world are answered by the error table (409)
    change = ("setClock", {"nowMs": ms}) if key == "set" else ("advanceClock", {"ms": ms})
    return JSONResponse(await call.plane.change(*change))


def _clock_target(key: str, value: Any) -> int:
    """`advanceMs`/`advance`: how far to move, in ms; `set`: the instant, in epoch ms. Raises ValueError."""
    if key == "advanceMs":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"advanceMs must be a whole number of milliseconds, 0 or more; got {value!r}")
        return value
    if key == "advance":
        if not isinstance(value, str):
            raise ValueError(f"advance must be an ISO-8601 duration such as PT30M; got {value!r}")
        return parse_duration_ms(value)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"set must be an ISO-8601 date-time or epoch milliseconds; got {value!r}")
    return parse_instant_ms(value)


# -- faults -------------------------------------------------------------------------------------------------------

async def faults(call: ControlCall) -> Response:
    await call.plane.ready()
    return JSONResponse({"faults": [f.to_json() for f in call.plane.faults.all()]})


async def add_fault(call: ControlCall) -> Response:
    body = await _json_object(call.request)
    try:
        rule = parse_rule(body, call.plane.faults.operations)
    except FaultInvalid as invalid:
        first = invalid.problems[0]
        raise Refused(400, f"Invalid fault: {first.message}", validation_errors=[
            {"path": ".".join(map(str, p.path)) or "body", "message": p.message, "hint": p.hint}
            for p in invalid.problems]) from None
    del rule  # valid: the change parses it again where it is applied (in every process, on a shared backend)
    fault = await call.plane.change("addFault", {"rule": body})
    return JSONResponse(fault, status_code=201, headers={"Location": f"/_mock/faults/{fault['id']}"})


async def clear_faults(call: ControlCall) -> Response:
    return JSONResponse({"cleared": await call.plane.change("clearFaults", {})})


async def fault(call: ControlCall) -> Response:
    await call.plane.ready()
    found = call.plane.faults.get(call.path["faultId"])
    if found is None:
        raise _no_fault(call.plane.faults, call.path["faultId"])
    return JSONResponse(found.to_json())


async def delete_fault(call: ControlCall) -> Response:
    removed = await call.plane.change("deleteFault", {"id": call.path["faultId"]})
    if removed is None:
        raise _no_fault(call.plane.faults, call.path["faultId"])
    return JSONResponse(removed)


def _no_fault(book: FaultBook, fault_id: str) -> Refused:
    ids = book.ids()
    return Refused(404, f"No fault {fault_id!r}.{did_you_mean(fault_id, ids)}".rstrip(".")
                   + f" Armed: {', '.join(ids) if ids else 'none'}", available=ids)


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        raise Refused(400, "Request body is required (a JSON object)")
    value = strict_json(raw)  # the same strict parser as /api bodies: RequestInvalid → 400
    if not isinstance(value, dict):
        raise Refused(400, f"Request body must be a JSON object, got {type(value).__name__}")
    return value


# -- namespaces ---------------------------------------------------------------------------------------------------

async def namespaces(call: ControlCall) -> Response:
    registry = call.namespaces
    return JSONResponse({"namespaces": await registry.list_all(), "max": registry.max_count,
                         "idleSeconds": registry.idle_s})


async def delete_namespace(call: ControlCall) -> Response:
    name = call.path["name"]
    if not await call.namespaces.drop_shared(name):
        raise Refused(404, f"No namespace {name!r}", namespace=name)
    return JSONResponse({"dropped": name})


CONTROL_HANDLERS: dict[str, ControlHandler] = {
    "mockHealth": health, "mockVersion": version, "mockOpenapi": openapi,
    "mockReset": reset, "mockExport": export, "mockLoad": load, "mockMerge": merge,
    "mockJournal": journal, "mockClearJournal": clear_journal,
    "mockClock": clock, "mockMoveClock": move_clock,
    "mockFaults": faults, "mockAddFault": add_fault, "mockClearFaults": clear_faults,
    "mockFault": fault, "mockDeleteFault": delete_fault,
    "mockNamespaces": namespaces, "mockDeleteNamespace": delete_namespace,
}


# -- the surface: /_mock for the router -----------------------------------------------------------------------

def control_surface(registry: Namespaces, token: str | None = None,
                    more: Mapping[str, ControlHandler] | None = None) -> Surface[ControlHandler]:
    """control-openapi.yaml over the namespaces of `registry` (each call acts on its own): the token guard, a
    request id per call, bodies read by the handlers. `more`: handlers of operations served elsewhere (the web
    inbox's pages), joining the table checked against the document."""

    async def invoke(handler: ControlHandler, request: Request, operation: Operation, parse: Parse) -> Response:
        params = await parse()
        return await handler(ControlCall(plane_of(request), request, params.path, params.query, registry))

    return Surface(document(), _operations(), {**CONTROL_HANDLERS, **(more or {})}, invoke, wrap=with_request_id,
                   guard=functools.partial(refusal, token), refuse_method=refuse_method, parse_body=False)


def plane_of(request: Request) -> ControlPlane:
    """The control plane of the call's namespace (resolved by the router's `NamespacePrefix`)."""
    plane = namespace_of(request)
    assert isinstance(plane, ControlPlane), "the composition root resolves namespaces to control planes"
    return plane


def refusal(token: str | None, request: Request) -> Response | None:
    """403/415 for a call another web site may have sent (`crosssite`); else 401 unless the call carries the
    control token (when one is set)."""
    refused = cross_site_refusal(request)
    if refused is not None or token is None:
        return refused
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode()):
        return None
    wrong = bool(value.strip()) and scheme.lower() == "bearer"
    message = ("Wrong control token: send the one the server printed at start-up (or gave with "
               "--control-token / CONDUCTOR_MOCK_CONTROL_TOKEN)" if wrong else
               "The control API needs the token given at start-up: send `Authorization: Bearer <token>`")
    challenge = 'Bearer realm="conductor-mock control"' + (', error="invalid_token"' if wrong else "")
    return error_response(401, message, headers={"WWW-Authenticate": challenge})


def refuse_method(request: Request, methods: Sequence[str]) -> Response:
    allow = ", ".join(m for m in (m.upper() for m in HTTP_METHODS) if m in methods)
    changes = " (GET never changes anything)" if "GET" not in methods else ""
    return error_response(405, f"Request method '{request.method}' is not supported on {request.url.path}"
                          f"{changes}; allowed: {allow}", headers={"Allow": allow})


# -- the wrappers of every call ---------------------------------------------------------------------------------

def request_id(plane: ControlPlane, request: Request) -> str:
    given = request.headers.get("x-request-id")
    if given and len(given) <= 128 and given.isascii() and given.isprintable():
        return given
    return plane.new_request_id()


async def with_request_id(request: Request, operation_id: str, run: Run) -> Response:
    """Runs the call with its request id (the client's `X-Request-Id`, or a new one) set, and echoes it."""
    rid = request_id(plane_of(request), request)
    token = REQUEST_ID.set(rid)
    try:
        response = await run()
    finally:
        REQUEST_ID.reset(token)
    response.raw_headers.append((b"x-request-id", rid.encode("latin-1")))
    return response


async def with_faults(request: Request, operation_id: str, run: Run) -> Response:
    """The wrapper of every /api call: a request id, and the armed faults of the call's namespace."""
    plane = plane_of(request)
    if plane.shared:  # the faults armed in other processes too
        await plane.ready()
        request.scope[SYNCED] = True
    book = plane.faults

    async def faulty() -> Response:
        return await (run() if not book else _with_faults(book, request, operation_id, run))

    return await with_request_id(request, operation_id, faulty)


async def _with_faults(book: FaultBook, request: Request, operation_id: str, run: Run) -> Response:
    rule = await plane_of(request).take_fault(operation_id, request.path_params.get("taskId"))
    if rule is None:
        return await run()
    if rule.latency_ms:
        await asyncio.sleep(rule.latency_ms / 1000)
    if rule.status is not None:
        return error_response(rule.status, rule.reply_message())
    if rule.drop:
        await run()  # the state changes; the client never hears of it
        return DroppedResponse()
    return await run()


def operation_ids() -> list[str]:
    return [op.operation_id for op in _operations()]


def paths_and_methods() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for op in _operations():
        out.setdefault(op.path, set()).add(op.method)
    return out
