"""The web inbox at `/_mock/ui/`: static files shipped in the package (no build step, nothing fetched from
outside), served under the control API's access rules.

Every UI path is declared in control-openapi.yaml, one path per file (so there is no path parameter and no path
traversal), and its operation is registered with the `ControlApi` like any control operation. GETs are served by
the routes of `WebInbox.routes()`, placed before the control API's: they accept the control token as the control
API does (`Authorization: Bearer`) and also as `?token=` (a browser cannot send a header when it opens a page) or
as the cookie the page sets when it was opened with `?token=`; other methods fall through to the control API's
405. Their query parameters are checked against the document first, as the control API checks its own: an empty
`?token=` (`minLength: 1`) is a 400 with the Orkes error body, with or without a control token configured.
The page itself sends `Authorization: Bearer <token>` on its `/_mock` calls, and each identity's token in
`X-Authorization` on `/api`.

Under a namespace (`/ns/NAME/_mock/ui/`, `NamespacePrefix` moves `/ns/NAME` to the scope's `root_path`) the page
calls that namespace's `/ns/NAME/_mock` and `/ns/NAME/api` (its scripts take the prefix from the address), and the
redirect, the cookie's path and the 401's hint keep the prefix (`mount_of`).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Match, Route
from starlette.types import Scope

from mockserver.control.api import ControlCall, document, plane_of, refusal
from mockserver.control.crosssite import cross_site_refusal
from mockserver.control.namespaces import Namespaces
from mockserver.web.errors import error_reply, error_response
from mockserver.web.spec import Operation, RequestInvalid, compile_operations

PREFIX = "/_mock/ui"
STATIC = Path(__file__).resolve().parent / "static"
COOKIE = "conductor_mock_ui"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
PAGE_HEADERS = {**HEADERS, "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
                "X-Frame-Options": "DENY"}

Handler = Callable[[ControlCall], Awaitable[Response]]


def ui_paths() -> dict[str, str]:
    """operationId → path of every UI path of control-openapi.yaml."""
    return {op["operationId"]: path for path, item in document()["paths"].items()
            if path == PREFIX or path.startswith(PREFIX + "/") for op in item.values() if isinstance(op, dict)
            and "operationId" in op}


def file_of(path: str) -> str | None:
    """The static file a UI path serves (`index.html` for the page), or None for the bare prefix (a redirect)."""
    if path == PREFIX:
        return None
    return path.removeprefix(PREFIX + "/") or "index.html"


def mount_of(request: Request) -> str:
    """Where the UI is mounted for this request: `/_mock/ui`, or `/ns/NAME/_mock/ui` under a namespace (the
    prefix `NamespacePrefix` moved to `root_path`, with any root path the server was given)."""
    return str(request.scope.get("root_path", "")).rstrip("/") + PREFIX


def content_type(name: str) -> str:
    return CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")


class _PageRoute(Route):
    """A GET/HEAD route that does not match other methods at all, so they reach the control API's route of the
    same path (its JSON 405 with `Allow`) instead of Starlette's plain-text one."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        return (Match.NONE, {}) if match is Match.PARTIAL else (match, child)


def query_token(request: Request) -> str | None:
    """`?token=`, its first value when repeated (as the control API binds a repeated parameter)."""
    values = request.query_params.getlist("token")
    return values[0] if values else None


def invalid_query(operation: Operation, request: Request) -> Response | None:
    """The 400 of a query parameter that does not fit the UI operation's declaration (an empty `?token=`), else
    None. Before the token check: a malformed `?token=` is not a credential to judge."""
    try:
        operation.parse_params("query", request.query_params)
    except RequestInvalid as invalid:
        return error_reply(invalid, operation.operation_id)
    return None


class WebInbox:
    """The UI's routes and handlers, under the control API's token and 401 (`handlers` join the control API's
    table: the UI's operations are declared in control-openapi.yaml like the others)."""

    def __init__(self, token: str | None, registry: Namespaces, static: Path = STATIC) -> None:
        self._token, self._registry = token, registry
        self._paths = ui_paths()
        self._operations = {op.operation_id: op for op in compile_operations(document())
                            if op.operation_id in self._paths}
        self.handlers: dict[str, Handler] = {}
        for operation_id, path in self._paths.items():
            name = file_of(path)
            if name is not None and not (static / name).is_file():
                raise FileNotFoundError(f"control-openapi.yaml declares {path}, but {static / name} is missing")
            self.handlers[operation_id] = self._redirect if name is None else self._file(static / name)

    def routes(self) -> list[Route]:
        return [_PageRoute(path, self._endpoint(self._operations[op], self.handlers[op]), methods=["GET", "HEAD"])
                for op, path in self._paths.items()]

    # -- access -------------------------------------------------------------------------------------------------

    def _given_token(self, request: Request) -> str | None:
        """The control token the request carries as `?token=` or as the page's cookie, if it is the right one."""
        expected = self._token
        if expected is None:
            return None
        for value in (query_token(request), request.cookies.get(COOKIE)):
            if value and hmac.compare_digest(value.encode(), expected.encode()):
                return value
        return None

    def refusal(self, request: Request) -> Response | None:
        """None when the control API would let the request in, or it carries the token as `?token=`/cookie; else
        the control API's 403/415 (`crosssite`), or a 401 with the page's hint."""
        refused = refusal(self._token, request)
        if refused is not None and refused.status_code != 401:
            return refused  # another site's call (403/415): no token makes it welcome
        if refused is None or self._given_token(request) is not None:
            return None
        wrong, mount = bool(query_token(request)), mount_of(request)
        message = ("Wrong control token: open the page with the one the server printed at start-up "
                   f"({mount}/?token=<token>)" if wrong else
                   f"The web inbox needs the control token given at start-up: open {mount}/?token=<token>")
        return error_response(401, message, headers={"WWW-Authenticate": refused.headers["www-authenticate"]})

    def _endpoint(self, operation: Operation, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            refused = cross_site_refusal(request) or invalid_query(operation, request) or self.refusal(request)
            if refused is not None:
                return refused
            call = ControlCall(plane_of(request), request, {}, dict(request.query_params), self._registry)
            response = await handler(call)
            token = query_token(request)
            if token and self._given_token(request) == token:  # so the page's scripts and styles load too
                response.set_cookie(COOKIE, token, path=mount_of(request), httponly=True, samesite="strict")
            return response

        return endpoint

    # -- handlers -------------------------------------------------------------------------------------------------

    async def _redirect(self, call: ControlCall) -> Response:
        query = call.request.url.query
        target = f"{mount_of(call.request)}/" + (f"?{query}" if query else "")
        return RedirectResponse(target, status_code=307, headers=HEADERS)

    def _file(self, path: Path) -> Handler:
        media_type = content_type(path.name)
        headers = PAGE_HEADERS if path.suffix == ".html" else HEADERS

        async def serve(call: ControlCall) -> Response:
            return Response(path.read_bytes(), media_type=media_type, headers=headers)

        return serve
