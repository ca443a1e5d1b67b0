"""The spec and the handler table agree in both directions, and routes come from the spec."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.responses import Response

from mockserver import resources
from mockserver.domain import Principal, World
from mockserver.web.calls import Handler
from mockserver.web.handlers import HANDLERS, api_surface
from mockserver.web.routing import ROUTE, SpecMismatch, Surface, SurfaceRoutes, routes_from_spec
from mockserver.web.spec import compile_operations, operation_ids


class NoWorld:
    """Routes are built without touching the world."""

    shared = False

    @property
    def world(self) -> World:
        raise AssertionError("building routes read the world")

    async def ready(self) -> None:
        raise AssertionError("building routes read the world")

    async def submit(self, operation_id: str, principal: Principal | None, path: dict[str, Any],
                     query: dict[str, Any], body: Any) -> Response:
        raise AssertionError("building routes changed the world")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return resources.openapi_document()


def surface(spec: dict[str, Any], handlers: dict[str, Handler]) -> Surface[Handler]:
    base = api_surface(spec, compile_operations(spec), lambda request: NoWorld())
    return Surface(base.document, base.operations, handlers, base.invoke)


def test_every_operation_has_a_handler_and_every_handler_an_operation(spec: dict[str, Any]) -> None:
    assert set(operation_ids(spec)) == set(HANDLERS)


def test_a_missing_handler_is_refused_at_start_up(spec: dict[str, Any]) -> None:
    handlers = dict(HANDLERS)
    handlers.pop("claimTask")
    with pytest.raises(SpecMismatch, match="claimTask"):
        routes_from_spec(surface(spec, handlers))


def test_a_handler_without_an_operation_is_refused_at_start_up(spec: dict[str, Any]) -> None:
    handlers = {**HANDLERS, "launchRockets": HANDLERS["getTask"]}
    with pytest.raises(SpecMismatch, match="launchRockets"):
        routes_from_spec(surface(spec, handlers))


def test_routes_are_the_spec_paths_literal_first(spec: dict[str, Any]) -> None:
    routes = routes_from_spec(api_surface(spec, compile_operations(spec), lambda request: NoWorld()))
    paths = [route.path for route in routes]
    assert sorted(paths) == sorted("/api" + p for p in spec["paths"])
    assert paths.index("/api/human/tasks/search") < paths.index("/api/human/tasks/{taskId}")


def test_every_operation_is_secured_except_the_token(spec: dict[str, Any]) -> None:
    unsecured = {op.operation_id for op in compile_operations(spec) if not op.secured}
    assert unsecured == {"generateToken"}


@pytest.mark.parametrize(("literal", "templated"), [
    ("/human/tasks/getTaskDisplayNames", "/human/tasks/{taskId}"),
    ("/human/tasks/backPopulateFullTextIndex", "/human/tasks/{taskId}"),
    ("/human/template/bulk", "/human/template/{name}"),
    ("/human/template/{name}/tags", "/human/template/{name}/{version}"),
])
def test_literal_segments_are_routed_before_templated_ones(spec: dict[str, Any], literal: str, templated: str) -> None:
    surface = api_surface(spec, compile_operations(spec), lambda request: NoWorld())
    paths = [route.path for route in routes_from_spec(surface)]
    assert paths.index("/api" + literal) < paths.index("/api" + templated)


def _starlette_answer(routes: list[Any], scope: dict[str, Any]) -> tuple[str, str] | None:
    """What Starlette's router picks (its loop: the first FULL match, else the first PARTIAL), with each route
    matched on its own by Route.matches, as without the index."""
    from starlette.routing import Match, Route

    partial = None
    for route in routes:
        match, _ = Route.matches(route, dict(scope))
        if match is Match.FULL:
            return route.path, "FULL"
        if match is Match.PARTIAL and partial is None:
            partial = route.path
    return (partial, "PARTIAL") if partial is not None else None


def _indexed_answer(routes: list[Any], scope: dict[str, Any]) -> tuple[str, str] | None:
    from starlette.routing import Match

    shared, partial = dict(scope), None
    for route in routes:
        match, _ = route.matches(shared)
        if match is Match.FULL:
            return route.path, "FULL"
        if match is Match.PARTIAL and partial is None:
            partial = route.path
    return (partial, "PARTIAL") if partial is not None else None


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize(("path", "root_path"), [
    ("/api/human/tasks/t-1", ""), ("/api/human/tasks/search", ""), ("/api/human/tasks/t-1/claim", ""),
    ("/api/human/tasks/t-1/externalUser/u-1", ""), ("/api/human/template/f/2", ""), ("/api/human/template/bulk", ""),
    ("/api/human/template/f/tags", ""), ("/api/workflow/w-1", ""), ("/api/token", ""), ("/api/nothing/here", ""),
    ("/api/human/tasks/a/b/c/d/e", ""), ("/api/human/tasks/", ""), ("/api", ""), ("/", ""),
    ("/ns/team/api/human/tasks/t-1", "/ns/team"), ("/ns/team/api/token", "/ns/team"),
])
def test_the_route_index_picks_what_starlette_picks(spec: dict[str, Any], method: str, path: str,
                                                     root_path: str) -> None:
    routes = routes_from_spec(api_surface(spec, compile_operations(spec), lambda request: NoWorld()))
    scope = {"type": "http", "method": method, "path": path, "root_path": root_path}
    assert _indexed_answer(routes, scope) == _starlette_answer(routes, scope)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
@pytest.mark.parametrize(("path", "root_path"), [
    ("/api/human/tasks/t-1", ""), ("/api/human/tasks/search", ""), ("/api/human/tasks/t-1/externalUser/u-1", ""),
    ("/api/human/template/bulk", ""), ("/api/human/template/f/tags", ""), ("/api/token", ""),
    ("/api/nothing/here", ""), ("/api", ""), ("/ns/team/api/human/tasks/t-1", "/ns/team"),
])
def test_the_surface_as_one_router_entry_picks_what_starlette_picks(spec: dict[str, Any], method: str, path: str,
                                                                    root_path: str) -> None:
    """`SurfaceRoutes` answers for all the surface's routes at once: the route, the match and the path parameters
    that Starlette's loop over them finds."""
    from starlette.routing import Match, Route

    routes = routes_from_spec(api_surface(spec, compile_operations(spec), lambda request: NoWorld()))
    scope = {"type": "http", "method": method, "path": path, "root_path": root_path}
    match, child = SurfaceRoutes(routes).matches(dict(scope))
    expected = _starlette_answer(routes, scope)
    if expected is None:
        assert (match, child) == (Match.NONE, {})
        return
    assert (child[ROUTE].path, match.name) == expected
    _, own = Route.matches(child[ROUTE], dict(scope))
    assert child["path_params"] == own["path_params"]


def test_a_route_asked_on_its_own_still_matches(spec: dict[str, Any]) -> None:
    """Without the first route's lookup in the scope (a copied scope, a route asked directly), a route matches by
    itself."""
    from starlette.routing import Match

    routes = routes_from_spec(api_surface(spec, compile_operations(spec), lambda request: NoWorld()))
    task = next(r for r in routes if r.path == "/api/human/tasks/{taskId}")
    match, child = task.matches({"type": "http", "method": "GET", "path": "/api/human/tasks/t-1", "root_path": ""})
    assert match is Match.FULL and child["path_params"] == {"taskId": "t-1"}
    stale = {"type": "http", "method": "GET", "path": "/api/human/tasks/t-2", "root_path": ""}
    routes[0].matches(stale)
    stale["path"] = "/api/token"  # the lookup in the scope was for another path: not used
    assert task.matches(stale)[0] is Match.NONE
