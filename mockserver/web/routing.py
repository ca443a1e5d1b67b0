"""The one spec-driven router, for openapi.yaml (`/api`) and control-openapi.yaml (`/_mock`) alike: one Route per
spec path, dispatching on the method to the handler named by the operation's operationId.

Literal paths are matched before templated ones, so `POST /human/tasks/search` is never read as a task id (while
`GET /human/tasks/search` still reaches `getTask`, as on the real server). HEAD runs GET. A known path with an
unknown method answers 405 with `Allow`. Path, query and (when the surface asks) body are parsed and checked
against the spec; every error is answered through the one table of `web/errors.py`.

What differs between the two surfaces is data given to `routes_from_spec`: how a handler is called (`invoke`),
what wraps every call (`wrap`: request ids, faults), what may refuse a call before dispatch (`guard`), the 405
wording. Imports nothing of the control plane.

Namespaces: `NamespacePrefix` (ASGI middleware around the routes) maps `/ns/{name}/api/...` and
`/ns/{name}/_mock/...` onto the same routes, and resolves the namespace of every call once, through the one
object it is given (`resolve(name)`); handlers find it with `namespace_of(request)`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from starlette._utils import get_route_path
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.web.errors import error_reply, error_response
from mockserver.web.spec import Operation

log = logging.getLogger("conductor_mock")

H = TypeVar("H")


class _NoAnswer(Response):
    """For a client that went away mid-body: nothing to answer, nothing to log (the server drops the call)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        return None


class SpecMismatch(Exception):
    """A spec and its handler table disagree."""


@dataclass(frozen=True, slots=True)
class Params:
    """A call's path, query and body, parsed and checked against the spec."""

    path: dict[str, Any]
    query: dict[str, Any]
    body: Any


Run = Callable[[], Awaitable[Response]]
Parse = Callable[[], Awaitable[Params]]
# `wrap(request, operationId, run)`: around every call of a surface; `run()` runs it (errors already answered).
Wrap = Callable[[Request, str, Run], Awaitable[Response]]
# `guard(request)`: a reply that refuses the call before dispatch, or None.
Guard = Callable[[Request], Response | None]
# `refuse_method(request, methods)`: the 405 reply for a method the path does not have.
MethodRefusal = Callable[[Request, Sequence[str]], Response]


def refuse_method(request: Request, methods: Sequence[str]) -> Response:
    allow = ", ".join(sorted(methods))
    return error_response(405, f"Request method '{request.method}' is not supported; allowed: {allow}",
                          headers={"Allow": allow})


@dataclass(frozen=True)
class Surface(Generic[H]):
    """One spec served by the router. `invoke(handler, request, operation, parse)` calls a handler; it calls
    `parse()` when the handler's arguments should be parsed (after, say, authenticating the caller)."""

    document: Mapping[str, Any]
    operations: Sequence[Operation]
    handlers: Mapping[str, H]
    invoke: Callable[[H, Request, Operation, Parse], Awaitable[Response]]
    wrap: Wrap | None = None
    guard: Guard | None = None
    refuse_method: MethodRefusal = field(default=refuse_method)
    parse_body: bool = True


class PathEndpoint(Generic[H]):
    """The ASGI app of one spec path: all its operations, by method."""

    def __init__(self, surface: Surface[H], operations: Sequence[Operation]) -> None:
        self._surface = surface
        self._by_method = {op.method: (op, surface.handlers[op.operation_id]) for op in operations}
        self._methods = [op.method for op in operations]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self.dispatch(request)
        await response(scope, receive, send)

    async def dispatch(self, request: Request) -> Response:
        surface = self._surface
        refusal = surface.guard(request) if surface.guard is not None else None
        if refusal is not None:
            return refusal
        entry = self._by_method.get(request.method)
        if entry is None and request.method == "HEAD":
            entry = self._by_method.get("GET")  # the server drops the body of a HEAD reply
        if entry is None:
            return surface.refuse_method(request, self._methods)
        operation, handler = entry
        run = functools.partial(self._run, request, operation, handler)
        if surface.wrap is None:
            return await run()
        try:
            return await surface.wrap(request, operation.operation_id, run)
        except Exception as error:  # the wrapper's own refusals (a shared store away: 503) get the same table
            reply = error_reply(error, operation.operation_id)
            if reply is None:
                raise
            return reply

    async def _run(self, request: Request, operation: Operation, handler: H) -> Response:
        try:
            parse = functools.partial(self._parse, request, operation)
            return await self._surface.invoke(handler, request, operation, parse)
        except ClientDisconnect:
            return _NoAnswer()
        except Exception as error:
            reply = error_reply(error, operation.operation_id)
            if reply is not None:
                return reply
            log.exception("unexpected error in %s", operation.operation_id)  # a bug: say so in the log
            return error_response(500, f"Internal error in {operation.operation_id}: this is a conductor-mock bug")

    async def _parse(self, request: Request, operation: Operation) -> Params:
        path = operation.parse_params("path", request.path_params)
        # most calls have no query string: skip building (and parsing) an empty QueryParams
        query = operation.parse_params("query", request.query_params if request.scope.get("query_string") else {})
        wants_body = self._surface.parse_body and operation.body is not None
        return Params(path, query, operation.parse_body(await request.body()) if wants_body else None)


# -- namespaces: the `/ns/{name}` prefix ---------------------------------------------------------------------

NAMESPACE = "conductor_mock.namespace"  # scope key: the resolved namespace (what `resolve` returned)
NAMESPACE_NAME = "conductor_mock.namespace_name"
SYNCED = "conductor_mock.synced"  # scope key: the call's namespace has caught up with its shared log already
PREFIX = "/ns/"
SURFACES = ("/api", "/_mock")  # what a namespace prefix may lead to
DEFAULT_NAMESPACE = "default"


class NamespacePrefix:
    """Strips `/ns/{name}` (moving it to `root_path`, so the routes match as without it), and puts
    `resolve(name)` in the scope for calls of /api and /_mock (`default` without a prefix). `resolve` raises
    to refuse (a bad name, too many namespaces): its error is answered through the error table.

    The name is checked on the raw path too: a percent-encoded segment (`/ns/a%2Fb/`, `/ns/%2E%2E/`) is refused
    rather than decoded into another path."""

    def __init__(self, app: ASGIApp, resolve: Callable[[str], object]) -> None:
        self._app, self._resolve = app, resolve

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path, name = scope["path"], DEFAULT_NAMESPACE
        if path.startswith(PREFIX):
            name, _, rest = path[len(PREFIX):].partition("/")
            raw = bytes(scope.get("raw_path") or path.encode()).decode("latin-1")
            if not raw.startswith(PREFIX + name + "/") and raw != PREFIX + name:
                await error_response(400, "Invalid namespace name in the path: percent-encoding is not allowed in "
                                          "/ns/{name}")(scope, receive, send)
                return
            scope = {**scope, "root_path": scope.get("root_path", "") + PREFIX + name, NAMESPACE_NAME: name}
            path = "/" + rest
        if path.startswith(SURFACES):
            try:  # into the call's own scope (uvicorn makes one per request; Starlette's router writes to it too)
                scope[NAMESPACE], scope[NAMESPACE_NAME] = self._resolve(name), name
            except Exception as error:
                reply = error_reply(error, "namespace")
                if reply is None:
                    raise
                await reply(scope, receive, send)
                return
        await self._app(scope, receive, send)


def namespace_of(request: Request) -> Any:
    """The namespace `NamespacePrefix` resolved for this call (typed by the surface that asks)."""
    return request.scope[NAMESPACE]


def check_handlers(operations: Sequence[Operation], handlers: Mapping[str, object]) -> None:
    """Raise `SpecMismatch` unless every operation has a handler and every handler an operation."""
    spec_ids = {op.operation_id for op in operations}
    missing, extra = spec_ids - handlers.keys(), handlers.keys() - spec_ids
    if missing or extra:
        raise SpecMismatch(f"operations without a handler: {sorted(missing)}; handlers without an operation: "
                           f"{sorted(extra)}")


def routes_from_spec(surface: Surface[H]) -> list[SpecRoute]:
    """One Route per path of the spec, mounted under the spec's server base path (`/api`, or `/`)."""
    check_handlers(surface.operations, surface.handlers)
    base = str(surface.document.get("servers", [{}])[0].get("url", "")).rstrip("/")
    by_path: dict[str, list[Operation]] = {}
    for op in surface.operations:
        by_path.setdefault(op.path, []).append(op)
    ordered = sorted(by_path, key=lambda p: (p.count("{"), -p.count("/"), p))
    routes = [SpecRoute(base + path, PathEndpoint(surface, by_path[path]), methods=[op.method for op in by_path[path]])
              for path in ordered]
    if routes:
        index = _RouteIndex(routes)
        for route in routes:
            route.index = index
    return list(routes)


# what `_RouteIndex.find` found for one call: (the path it looked at, the FULL match and its child scope, the first
# PARTIAL match and its child scope)
_Found = tuple[str, "SpecRoute | None", Scope, "SpecRoute | None", Scope]


class _RouteIndex:
    """The routes of one surface by segment count, in the router's order. Starlette's router asks every route in
    turn; the first route of the surface (always asked before the others) finds the match of all of them at once,
    trying only the routes with as many segments and the right literal prefix, and leaves it in the scope, where
    each of the others reads its own answer: one lookup per call instead of one regex per route."""

    def __init__(self, routes: list[SpecRoute]) -> None:
        self.key = f"conductor_mock.route_match.{id(self)}"
        self.leader = routes[0]
        self._by_slashes: dict[int, list[SpecRoute]] = {}
        for route in routes:
            self._by_slashes.setdefault(route.slashes, []).append(route)

    def find(self, scope: Scope) -> _Found:
        path = scope["path"] if not scope.get("root_path") else get_route_path(scope)
        full: SpecRoute | None = None
        partial: SpecRoute | None = None
        full_scope: Scope = {}
        partial_scope: Scope = {}
        for route in self._by_slashes.get(path.count("/"), ()):
            if not path.startswith(route.prefix):
                continue
            match, child = Route.matches(route, scope)
            if match is Match.FULL:
                full, full_scope = route, child
                break
            if match is Match.PARTIAL and partial is None:
                partial, partial_scope = route, child
        return scope["path"], full, full_scope, partial, partial_scope


class SpecRoute(Route):
    """A Route that leaves a wrong method to its PathEndpoint (a JSON 405 with `Allow`).

    With `methods` set, Starlette's router treats a path match with another method as partial and keeps
    looking, so `GET /human/tasks/search` reaches `getTask` (as on a Spring server), while
    `POST /human/tasks/search` never reads "search" as a task id. Only when no route takes the method does
    the first partial match answer, and then with our error body rather than Starlette's plain text.
    Matching goes through the surface's `_RouteIndex` (same answers as Route's, found once per call).
    """

    index: _RouteIndex | None = None

    def __init__(self, path: str, endpoint: Callable[..., Any], *, methods: list[str] | None = None) -> None:
        super().__init__(path, endpoint, methods=methods)
        # what any path this route matches starts with, and how many segments it has (a parameter never holds
        # a "/"): the index tries a route only when both fit
        self.prefix, self.slashes = path.partition("{")[0], path.count("/")

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        index = self.index
        if scope["type"] != "http" or index is None:
            return super().matches(scope)
        if self is index.leader:
            scope[index.key] = index.find(scope)
        found: _Found | None = scope.get(index.key)
        if found is None or found[0] is not scope["path"]:  # asked on its own, or on another scope
            return super().matches(scope)
        _, full, full_scope, partial, partial_scope = found
        if full is self:
            return Match.FULL, full_scope
        if partial is self:
            return Match.PARTIAL, partial_scope
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


ROUTE = "conductor_mock.route"  # scope key: the route of a surface that `SurfaceRoutes` matched


class SurfaceRoutes(BaseRoute):
    """The routes of one surface (`routes_from_spec`) as one entry of Starlette's router, which asks its entries
    in turn: one lookup in the surface's `_RouteIndex` answers for all of them, with the same FULL / PARTIAL
    answer the router would have found asking each in order (tests/web/test_routing.py compares them). Asking
    24 routes in turn was a fifth of the app's work on GET task (bench/perf.py)."""

    def __init__(self, routes: Sequence[SpecRoute]) -> None:
        self.routes = list(routes)
        self._index = _RouteIndex(self.routes) if self.routes else None

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or self._index is None:
            return Match.NONE, {}
        _, full, full_scope, partial, partial_scope = self._index.find(scope)
        if full is not None:
            return Match.FULL, {**full_scope, ROUTE: full}
        if partial is not None:
            return Match.PARTIAL, {**partial_scope, ROUTE: partial}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: SpecRoute = scope[ROUTE]
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                continue
        raise NoMatchFound(name, path_params)
