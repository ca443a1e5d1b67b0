"""Fault and abuse: schemathesis throws negative (and positive) data at every operation of both specs.

openapi.yaml and control-openapi.yaml, over one in-process app (ASGI, no sockets) on the world of
tests/fixtures/contract_world.yaml. The control API runs over the same app: the ASGI client's server is
`testserver`, not a loopback name, so the loopback Host guard stands aside, and the app has no control token, so
every control call is allowed (as on a loopback server). A control call may load a scenario, reset the world,
move the clock or add a fault: the whole plane (world, clock, faults) is reset before every example, so no
result depends on what ran before it. Every check of schemathesis runs on every response; the ones this test is
for are `not_a_server_error` (a 5xx is a bug), `response_schema_conformance` and `status_code_conformance`.

Bounded: a few fuzzing examples per operation (MAX_EXAMPLES) and no coverage phase, seeded and deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final

import pytest
import schemathesis
import yaml
from schemathesis import BaseSchema, Case
from schemathesis.core import deserialization, media_types

from mockserver import resources
from mockserver.app import build_app
from mockserver.control import api as control_api
from mockserver.control.plane import ControlPlane
from tests import test_self_contract as contract

plain_text_bodies: Final = contract.plain_text_bodies  # its fixture, for this module too

MAX_EXAMPLES: Final = 10
CHECKED: Final = ("not_a_server_error", "response_schema_conformance", "status_code_conformance")
# A control call with valid data may still be refused by the world's state: 400 a scenario that does not load,
# 404 an unknown fault or namespace, 409 a conflict, 413 a body over the limit, 415 a foreign content type, 422 a
# scenario with problems (a schema-valid YAML string is rarely a valid scenario); 307 /_mock/ui to /_mock/ui/.
ACCEPTED_VALID_CONTROL_DATA: Final = ["2xx", "307", "400", "404", "409", "413", "415", "422"]

APP: Final = build_app(contract.WORLD_FILE)  # as `serve --scenario` builds it: with the control plane's scenario loader

UI_PAGES: Final = ("mockUiRedirect", "mockUiPage")

AnyCase = Case[Any]
TestFunction = Callable[[AnyCase], None]


@pytest.fixture(scope="module", autouse=True)
def yaml_bodies_as_text() -> Iterator[None]:
    """Read `application/yaml` replies as the text they are, for this module's tests only.

    The control spec describes its YAML replies (its own document, an export) as `{type: string}`: the text of
    the document. schemathesis would parse them into a mapping, which that schema never matches."""
    registry = deserialization._DESERIALIZERS  # no public way to unregister: restore what was there
    previous = dict(registry)
    deserialization.register_deserializer(contract._read_plain_text, *media_types.YAML_MEDIA_TYPES)
    try:
        yield
    finally:
        registry.clear()
        registry.update(previous)


def reset_plane() -> None:
    """The default namespace back to its scenario: world, clock and faults."""
    plane: ControlPlane = APP.state.control
    plane.reset()


def _config(extra: dict[str, Any]) -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "seed": contract.SEED,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {"examples": {"enabled": False}, "coverage": {"enabled": False},
                   "fuzzing": {"enabled": True}, "stateful": {"enabled": False}},
    } | extra)


def _api_schema() -> BaseSchema:
    config = _config({
        "checks": {"positive_data_acceptance": {"expected-statuses": contract.ACCEPTED_VALID_DATA}},
        "operations": [{
            "include-operation-id": contract.TOKEN_OPERATION,
            "checks": {"positive_data_acceptance": {"expected-statuses": contract.ACCEPTED_VALID_CREDENTIALS}},
        }, {
            "include-operation-id": "batchPoll",  # POST /tasks/{workflowId}/{taskRefName}/{status}: a 400 there
            "checks": {"unsupported_method": {"enabled": False}},
        }],
        "auth": {"auto-signup": False, "dynamic": {"openapi": {"api_key": {
            "path": "/api/token", "payload": contract.ADMIN_KEY, "extract_from": "body", "extract_selector": "/token",
            "retry_on": [],
        }}}},
    })
    document = yaml.safe_load(resources.openapi_path().read_text(encoding="utf-8"))
    schema = schemathesis.openapi.from_dict(contract._inline_example_refs(document), config=config)
    schema.app = APP
    return schema


def _control_schema() -> BaseSchema:
    config = _config({
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED_VALID_CONTROL_DATA}},
        # The inbox page and its redirect read `?token=` only when the server has a control token; this one has
        # none, so a bad token (an empty one) is ignored, not refused: no negative data to reject there.
        "operations": [{"include-operation-id": operation_id, "checks": {"negative_data_rejection": {"enabled": False}}}
                       for operation_id in UI_PAGES],
    })
    schema = schemathesis.openapi.from_dict(yaml.safe_load(control_api.document_text()), config=config)
    schema.app = APP
    return schema


def _parametrize(schema: BaseSchema) -> Callable[[TestFunction], TestFunction]:
    decorator: Callable[[TestFunction], TestFunction] = schema.parametrize()
    return decorator


API_SCHEMA: Final = _api_schema()
CONTROL_SCHEMA: Final = _control_schema()


def test_both_specs_are_covered_and_every_checked_check_is_on() -> None:
    for schema, spec in ((API_SCHEMA, resources.openapi_document()), (CONTROL_SCHEMA, control_api.document())):
        operations = sum(isinstance(op, dict) for item in spec["paths"].values() for op in item.values())
        assert schema.statistic.operations.total == operations
        disabled = [name for name in CHECKED if not schema.config.checks.get_by_name(name=name).enabled]
        assert not disabled, f"checks disabled: {disabled}"


@_parametrize(API_SCHEMA)
def test_api_abuse(case: AnyCase) -> None:
    reset_plane()
    case.call_and_validate()


@_parametrize(CONTROL_SCHEMA)
def test_control_abuse(case: AnyCase) -> None:
    reset_plane()
    case.call_and_validate()
