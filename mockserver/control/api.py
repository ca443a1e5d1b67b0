"""The HTTP side of the control plane: the `/_mock/*` endpoints, routed from control-openapi.yaml (whose query
and path parameters are parsed and checked by the same code as openapi.yaml's), the bearer-token check, and the
hook every `/api` call goes through (request id, faults).
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from mockserver import __version__
from mockserver.control.drop import DroppedResponse
from mockserver.control.faults import FaultBook, FaultInvalid, did_you_mean, parse_rule
from mockserver.control.plane import REQUEST_ID, ControlPlane, LoadingDisabled, UnknownScenarioFile
from mockserver.control.timeparse import parse_duration_ms, parse_instant_ms
from mockserver.domain.errors import ClockNotManual, DomainError, InvalidRequest
from mockserver.scenarios import Problem, ScenarioError
from mockserver.web import wire
from mockserver.web.errors import INSTANCE, error_response
from mockserver.web.spec import HTTP_METHODS, Operation, RequestInvalid, compile_operations

DOCUMENT = "control-openapi.yaml"
MAX_SCENARIO_BYTES = 16 * 1024 * 1024
DEFAULT_JOURNAL_LIMIT = 1000
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


class Refused(Exception):
    """A control call refused with `status` and an Orkes error body (`extra` adds fields to it)."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


@dataclass(frozen=True, slots=True)
class ControlCall:
    request: Request
    path: dict[str, Any]
    query: dict[str, Any]


ControlHandler = Callable[[ControlCall], Awaitable[Response]]


class ControlApi:
    def __init__(self, plane: ControlPlane) -> None:
        self.plane = plane
        self.token = plane.settings.token
        self.handlers: dict[str, ControlHandler] = {
            "mockHealth": self.health, "mockVersion": self.version, "mockOpenapi": self.openapi,
            "mockReset": self.reset, "mockExport": self.export, "mockLoad": self.load, "mockMerge": self.merge,
            "mockJournal": self.journal, "mockClearJournal": self.clear_journal,
            "mockClock": self.clock, "mockMoveClock": self.move_clock,
            "mockFaults": self.faults, "mockAddFault": self.add_fault, "mockClearFaults": self.clear_faults,
            "mockFault": self.fault, "mockDeleteFault": self.delete_fault,
        }

    def routes(self) -> list[Route]:
        by_path: dict[str, list[tuple[Operation, ControlHandler]]] = {}
        for op in _operations():
            by_path.setdefault(op.path, []).append((op, self.handlers[op.operation_id]))
        return [Route(path, ControlEndpoint(self, entries)) for path, entries in by_path.items()]

    # -- the hook of every /api call ------------------------------------------------------------------------

    def request_id(self, request: Request) -> str:
        given = request.headers.get("x-request-id")
        if given and len(given) <= 128 and given.isascii() and given.isprintable():
            return given
        return self.plane.new_request_id()

    async def intercept(self, request: Request, operation_id: str, run: Callable[[], Awaitable[Response]]) -> Response:
        request_id = self.request_id(request)
        token = REQUEST_ID.set(request_id)
        try:
            faults = self.plane.faults
            response = await (run() if not faults else _with_faults(faults, request, operation_id, run))
        finally:
            REQUEST_ID.reset(token)
        response.raw_headers.append((b"x-request-id", request_id.encode("latin-1")))
        return response

    # -- access ---------------------------------------------------------------------------------------------

    def refusal(self, request: Request) -> Response | None:
        """401 unless the call carries the control token (when one is set)."""
        if self.token is None:
            return None
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), self.token.encode()):
            return None
        wrong = bool(value.strip()) and scheme.lower() == "bearer"
        message = ("Wrong control token: send the one the server printed at start-up (or gave with "
                   "--control-token / CONDUCTOR_MOCK_CONTROL_TOKEN)" if wrong else
                   "The control API needs the token given at start-up: send `Authorization: Bearer <token>`")
        challenge = 'Bearer realm="conductor-mock control"' + (', error="invalid_token"' if wrong else "")
        return error_response(401, message, headers={"WWW-Authenticate": challenge})

    # -- status -----------------------------------------------------------------------------------------------

    async def health(self, call: ControlCall) -> Response:
        world = self.plane.world
        return JSONResponse({"status": "ok", "scenario": world.name, "tasks": len(world.tasks)})

    async def version(self, call: ControlCall) -> Response:
        return JSONResponse({"version": __version__, "openapi": self.plane.openapi_version,
                             "controlApi": str(document().get("info", {}).get("version", ""))})

    async def openapi(self, call: ControlCall) -> Response:
        return Response(document_text(), media_type="application/yaml")

    # -- the world ----------------------------------------------------------------------------------------------

    async def reset(self, call: ControlCall) -> Response:
        return JSONResponse(self.plane.reset())

    async def export(self, call: ControlCall) -> Response:
        fmt = call.query["format"]
        text, problems = self.plane.export(fmt, verify=call.query["verify"])
        return Response(text, media_type=f"application/{fmt}", headers={"X-Export-Problems": str(len(problems))})

    async def load(self, call: ControlCall) -> Response:
        source, text = await self._scenario(call)
        return JSONResponse(self.plane.load(source, text))

    async def merge(self, call: ControlCall) -> Response:
        source, text = await self._scenario(call)
        return JSONResponse(self.plane.merge(source, text))

    async def _scenario(self, call: ControlCall) -> tuple[Path, str]:
        request, name = call.request, call.query.get("file")
        size = request.headers.get("content-length", "0")
        if size.isdigit() and int(size) > MAX_SCENARIO_BYTES:
            raise Refused(413, f"The scenario is larger than {MAX_SCENARIO_BYTES // (1024 * 1024)} MiB")
        body = await request.body()
        if len(body) > MAX_SCENARIO_BYTES:
            raise Refused(413, f"The scenario is larger than {MAX_SCENARIO_BYTES // (1024 * 1024)} MiB")
        if name is not None:
            if body.strip():
                raise Refused(400, "Send the scenario either as the body or as ?file=NAME, not both")
            return self.plane.read_shipped(name)
        if not body.strip():
            raise Refused(400, "Send a scenario as the body (YAML or JSON), or name one of the mock's scenarios "
                          "folder with ?file=NAME")
        try:
            return Path(call.query["source"]), body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise Refused(400, f"The scenario is not UTF-8 text (byte {error.start})") from None

    # -- journal --------------------------------------------------------------------------------------------------

    async def journal(self, call: ControlCall) -> Response:
        journal, query = self.plane.journal, call.query
        entries = journal.entries(task_id=query.get("taskId"), since=query["since"], limit=query["limit"])
        return JSONResponse({"entries": [e.to_json() for e in entries], "capacity": journal.capacity,
                             "size": len(journal), "lastSeq": journal.last_seq, "oldestSeq": journal.oldest_seq()})

    async def clear_journal(self, call: ControlCall) -> Response:
        cleared = self.plane.journal.clear()
        return JSONResponse({"cleared": cleared, "lastSeq": self.plane.journal.last_seq})

    # -- clock ----------------------------------------------------------------------------------------------------

    async def clock(self, call: ControlCall) -> Response:
        return JSONResponse(self.plane.clock())

    async def move_clock(self, call: ControlCall) -> Response:
        body = await _json_object(call.request)
        unknown = [k for k in body if k not in CLOCK_MOVES]
        if unknown or len(body) != 1:
            hint = did_you_mean(unknown[0], CLOCK_MOVES) if unknown else ""
            raise Refused(400, f"Send exactly one of {', '.join(CLOCK_MOVES)}: {{\"advance\": \"PT30M\"}}, "
                          f"{{\"advanceMs\": 1800000}} or {{\"set\": \"2026-01-01T10:00:00Z\"}}"
                          + (f" (got {', '.join(map(repr, body))}).{hint}" if body else ""))
        (key, value), = body.items()
        try:
            if key == "advanceMs":
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"advanceMs must be a whole number of milliseconds, 0 or more; got {value!r}")
                return JSONResponse(self.plane.advance_clock(value))
            if key == "advance":
                if not isinstance(value, str):
                    raise ValueError(f"advance must be an ISO-8601 duration such as PT30M; got {value!r}")
                return JSONResponse(self.plane.advance_clock(parse_duration_ms(value)))
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise ValueError(f"set must be an ISO-8601 date-time or epoch milliseconds; got {value!r}")
            return JSONResponse(self.plane.set_clock(parse_instant_ms(value)))
        except ValueError as error:
            if "backwards" in str(error):  # the clock's own refusal
                raise Refused(409, f"The clock cannot go backwards (it is {self.plane.clock()['now']})") from None
            raise Refused(400, str(error), validation_errors=[{"path": f"body.{key}", "message": str(error),
                                                               "invalidValue": value}]) from None

    # -- faults ---------------------------------------------------------------------------------------------------

    async def faults(self, call: ControlCall) -> Response:
        return JSONResponse({"faults": [f.to_json() for f in self.plane.faults.all()]})

    async def add_fault(self, call: ControlCall) -> Response:
        body = await _json_object(call.request)
        try:
            rule = parse_rule(body, self.plane.faults.operations)
        except FaultInvalid as invalid:
            first = invalid.problems[0]
            raise Refused(400, f"Invalid fault: {first.message}", validation_errors=[
                {"path": ".".join(map(str, p.path)) or "body", "message": p.message, "hint": p.hint}
                for p in invalid.problems]) from None
        fault = self.plane.faults.add(rule)
        return JSONResponse(fault.to_json(), status_code=201, headers={"Location": f"/_mock/faults/{fault.id}"})

    async def clear_faults(self, call: ControlCall) -> Response:
        return JSONResponse({"cleared": self.plane.faults.clear()})

    async def fault(self, call: ControlCall) -> Response:
        fault = self.plane.faults.get(call.path["faultId"])
        if fault is None:
            raise self._no_fault(call.path["faultId"])
        return JSONResponse(fault.to_json())

    async def delete_fault(self, call: ControlCall) -> Response:
        fault = self.plane.faults.remove(call.path["faultId"])
        if fault is None:
            raise self._no_fault(call.path["faultId"])
        return JSONResponse(fault.to_json())

    def _no_fault(self, fault_id: str) -> Refused:
        ids = self.plane.faults.ids()
        return Refused(404, f"No fault {fault_id!r}.{did_you_mean(fault_id, ids)}".rstrip(".")
                       + f" Armed: {', '.join(ids) if ids else 'none'}", available=ids)


class ControlEndpoint:
    """The ASGI app of one control path: token check, 405 with Allow, params from the spec, errors."""

    def __init__(self, api: ControlApi, operations: Sequence[tuple[Operation, ControlHandler]]) -> None:
        self._api = api
        self._by_method = {op.method: (op, handler) for op, handler in operations}
        self._allow = ", ".join(m for m in (m.upper() for m in HTTP_METHODS) if m in self._by_method)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self.dispatch(request)
        await response(scope, receive, send)

    async def dispatch(self, request: Request) -> Response:
        refusal = self._api.refusal(request)
        if refusal is not None:
            return refusal
        entry = self._by_method.get(request.method)
        if entry is None and request.method == "HEAD":
            entry = self._by_method.get("GET")  # the server drops the body of a HEAD reply
        if entry is None:
            changes = " (GET never changes anything)" if "GET" not in self._by_method else ""
            return error_response(405, f"Request method '{request.method}' is not supported on {request.url.path}"
                                  f"{changes}; allowed: {self._allow}", headers={"Allow": self._allow})
        operation, handler = entry
        request_id = self._api.request_id(request)
        token = REQUEST_ID.set(request_id)
        try:
            response = await self._run(request, operation, handler)
        finally:
            REQUEST_ID.reset(token)
        response.headers["X-Request-Id"] = request_id
        return response

    async def _run(self, request: Request, operation: Operation, handler: ControlHandler) -> Response:
        try:
            path = operation.parse_params("path", request.path_params)
            query = operation.parse_params("query", request.query_params)
            return await handler(ControlCall(request, path, query))
        except Refused as refused:
            return _error(refused.status, refused.message, **refused.extra)
        except RequestInvalid as invalid:
            return _error(400, invalid.message, validation_errors=[
                {"path": invalid.parameter, "message": invalid.message, "invalidValue": invalid.invalid_value}])
        except ScenarioError as error:
            count = len(error.problems)
            return _error(422, f"The scenario has {count} problem{'s' if count != 1 else ''}; nothing was changed:\n"
                          f"{error}", problems=[_problem(p) for p in error.problems])
        except ClockNotManual as error:
            return _error(409, error.message)
        except InvalidRequest as error:  # the clock going backwards, a workflow that cannot start (merge)
            status = 409 if "backwards" in error.message else 422
            return _error(status, error.message)
        except UnknownScenarioFile as unknown:
            hint = did_you_mean(unknown.name, [a.rsplit(".", 1)[0] for a in unknown.available])
            return _error(404, f"{unknown}.{hint}".rstrip(".") + f" Available: {', '.join(unknown.available)}",
                          available=unknown.available)
        except LoadingDisabled:
            return _error(501, "This app was built without a scenario loader (ControlSettings.prepare)")
        except DomainError as error:  # building the new world failed (a workflow that cannot start): nothing changed
            return _error(422, f"The scenario cannot be loaded; nothing was changed: {error.message}")


def _error(status: int, message: str, *, validation_errors: list[dict[str, Any]] | None = None,
           **extra: Any) -> JSONResponse:
    body = wire.error_body(status, message, instance=INSTANCE, validation_errors=validation_errors)
    return JSONResponse({**body, **extra}, status_code=status)


def _problem(problem: Problem) -> dict[str, Any]:
    return {"file": problem.file, "line": problem.line, "path": problem.path, "message": problem.message,
            "hint": problem.hint}


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        raise Refused(400, "Request body is required (a JSON object)")
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise Refused(400, f"Request body is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise Refused(400, f"Request body must be a JSON object, got {type(value).__name__}")
    return value


async def _with_faults(faults: FaultBook, request: Request, operation_id: str,
                       run: Callable[[], Awaitable[Response]]) -> Response:
    rule = faults.on_call(operation_id, request.path_params.get("taskId"))
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


def paths_and_methods() -> Mapping[str, set[str]]:
    out: dict[str, set[str]] = {}
    for op in _operations():
        out.setdefault(op.path, set()).add(op.method)
    return out
