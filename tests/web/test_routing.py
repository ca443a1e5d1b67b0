"""The spec and the handler table agree in both directions, and routes come from the spec."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.responses import Response

from mockserver import resources
from mockserver.domain import Principal, World
from mockserver.web.calls import Handler
from mockserver.web.handlers import HANDLERS, api_surface
from mockserver.web.routing import SpecMismatch, Surface, routes_from_spec
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
