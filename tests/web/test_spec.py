"""The spec compiled into per-operation parsing and validation: parameters, bodies and the RequestInvalid reply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.datastructures import QueryParams

from mockserver.web.spec import Operation, RequestInvalid, absent_nulls, compile_operations, operation_ids

ROOT = Path(__file__).resolve().parents[2]

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "security": [{"api_key": []}],
    "components": {
        "parameters": {"TaskId": {"name": "taskId", "in": "path", "required": True, "schema": {"type": "string"}}},
        "schemas": {
            "Thing": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string"},
                "count": {"type": "integer", "format": "int32"},
                "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}},
                "note": {"type": ["string", "null"]},
                "free": {"type": "object", "additionalProperties": True},
            }},
            "Tag": {"type": "object", "required": ["key"], "properties": {"key": {"type": "string"},
                                                                          "value": {"type": ["string", "null"]}}},
        },
    },
    "paths": {
        "/things/{taskId}": {
            "parameters": [{"$ref": "#/components/parameters/TaskId"}],
            "get": {"operationId": "getThing", "parameters": [
                {"name": "withTemplate", "in": "query", "schema": {"type": "boolean", "default": False}},
                {"name": "start", "in": "query", "schema": {"type": "integer", "format": "int32", "minimum": 0}},
                {"name": "big", "in": "query", "schema": {"type": "integer", "format": "int64"}},
                {"name": "mode", "in": "query", "required": True, "schema": {"type": "string",
                                                                             "enum": ["a", "b"]}},
                {"name": "note", "in": "query", "schema": {"type": "string", "description": "free text"}},
                {"name": "iteration", "in": "query", "schema": {"type": "array", "items": {"type": "integer"},
                                                                "maxItems": 2}},
            ]},
            "post": {"operationId": "saveThing", "security": [],
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": {"$ref": "#/components/schemas/Thing"}}}}},
            "put": {"operationId": "touchThing",
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}},
            "delete": {"operationId": "dropThing"},
            "summary": "not a method",
        },
    },
}


@pytest.fixture(scope="module")
def ops() -> dict[str, Operation]:
    return {op.operation_id: op for op in compile_operations(DOCUMENT)}


def refused(call: Any) -> RequestInvalid:
    with pytest.raises(RequestInvalid) as caught:
        call()
    return caught.value


def query(op: Operation, **values: str) -> dict[str, Any]:
    return op.parse_params("query", {"mode": "a", **values})


def test_every_method_becomes_an_operation(ops: dict[str, Operation]) -> None:
    assert sorted((o.method, o.path, o.operation_id) for o in ops.values()) == [
        ("DELETE", "/things/{taskId}", "dropThing"), ("GET", "/things/{taskId}", "getThing"),
        ("POST", "/things/{taskId}", "saveThing"), ("PUT", "/things/{taskId}", "touchThing")]
    assert list(operation_ids(DOCUMENT)) == ["getThing", "saveThing", "touchThing", "dropThing"]


def test_security_defaults_to_the_documents_and_an_operation_may_drop_it(ops: dict[str, Operation]) -> None:
    assert ops["getThing"].secured
    assert not ops["saveThing"].secured


def test_shared_and_referenced_parameters_are_compiled(ops: dict[str, Operation]) -> None:
    names = [(p.name, p.location, p.required, p.kind) for p in ops["getThing"].parameters]
    assert names[0] == ("taskId", "path", True, "string")
    assert ops["dropThing"].parse_params("path", {"taskId": "t-1"}) == {"taskId": "t-1"}


def test_defaults_fill_what_is_not_sent(ops: dict[str, Operation]) -> None:
    assert query(ops["getThing"]) == {"withTemplate": False, "start": None, "big": None, "mode": "a", "note": None,
                                      "iteration": None}


@pytest.mark.parametrize(("raw", "value"), [("true", True), ("True", True), ("FALSE", False), (" false ", False)])
def test_booleans_parse_case_insensitively(ops: dict[str, Operation], raw: str, value: bool) -> None:
    assert query(ops["getThing"], withTemplate=raw)["withTemplate"] is value


@pytest.mark.parametrize("raw", ["", " "])
def test_an_empty_boolean_is_its_default(ops: dict[str, Operation], raw: str) -> None:
    assert query(ops["getThing"], withTemplate=raw)["withTemplate"] is False  # Spring: empty = not given


@pytest.mark.parametrize("raw", ["maybe", "2", "t"])
def test_a_bad_boolean_is_refused(ops: dict[str, Operation], raw: str) -> None:
    error = refused(lambda: query(ops["getThing"], withTemplate=raw))
    assert error.parameter == "withTemplate"
    assert error.invalid_value == raw
    assert error.message == (f"Invalid value '{raw}' for query parameter 'withTemplate': "
                             "expected true/false, 1/0, yes/no or on/off")
    assert str(error) == error.message


@pytest.mark.parametrize(("raw", "value"), [("0", 0), ("42", 42), (" 7 ", 7), ("2147483647", 2**31 - 1)])
def test_integers_parse(ops: dict[str, Operation], raw: str, value: int) -> None:
    assert query(ops["getThing"], start=raw)["start"] == value


@pytest.mark.parametrize("raw", ["x", "1.5", "", "1e3"])
def test_a_non_integer_is_refused(ops: dict[str, Operation], raw: str) -> None:
    error = refused(lambda: query(ops["getThing"], start=raw))
    assert (error.parameter, error.invalid_value) == ("start", raw)
    assert error.message == f"Invalid value '{raw}' for query parameter 'start': expected an integer"


def test_an_integer_outside_its_schema_is_refused(ops: dict[str, Operation]) -> None:
    error = refused(lambda: query(ops["getThing"], start="-1"))
    assert error.message == "Invalid value '-1' for query parameter 'start': -1 is less than the minimum of 0"


@pytest.mark.parametrize(("name", "raw", "fmt"), [("start", "2147483648", "int32"), ("start", "-2147483649", "int32"),
                                                  ("big", "9223372036854775808", "int64")])
def test_integer_formats_are_enforced(ops: dict[str, Operation], name: str, raw: str, fmt: str) -> None:
    error = refused(lambda: query(ops["getThing"], **{name: raw}))
    assert error.parameter == name
    assert error.message == f"Invalid value '{raw}' for query parameter '{name}': {raw} is not a '{fmt}'"


def test_int64_takes_what_fits(ops: dict[str, Operation]) -> None:
    assert query(ops["getThing"], big="9223372036854775807")["big"] == 2**63 - 1


def test_a_missing_required_parameter_is_refused(ops: dict[str, Operation]) -> None:
    error = refused(lambda: ops["getThing"].parse_params("query", {}))
    assert (error.parameter, error.message) == ("mode", "Missing required query parameter 'mode'")
    error = refused(lambda: ops["dropThing"].parse_params("path", {}))
    assert (error.parameter, error.message) == ("taskId", "Missing required path parameter 'taskId'")


def test_a_string_outside_its_enum_is_refused(ops: dict[str, Operation]) -> None:
    error = refused(lambda: query(ops["getThing"], mode="c"))
    assert error.parameter == "mode"
    assert error.message == "Invalid value 'c' for query parameter 'mode': 'c' is not one of ['a', 'b']"


def test_a_plain_string_is_taken_as_sent(ops: dict[str, Operation]) -> None:
    assert query(ops["getThing"], note=" anything 1 ")["note"] == " anything 1 "


def test_array_parameters_take_every_repeated_value(ops: dict[str, Operation]) -> None:
    values = QueryParams("mode=a&iteration=1&iteration=2")
    assert ops["getThing"].parse_params("query", values)["iteration"] == [1, 2]


def test_an_array_item_is_parsed_by_its_type(ops: dict[str, Operation]) -> None:
    error = refused(lambda: ops["getThing"].parse_params("query", QueryParams("mode=a&iteration=x")))
    assert (error.parameter, error.message) == (
        "iteration", "Invalid value 'x' for query parameter 'iteration': expected an integer")


def test_an_array_is_checked_whole(ops: dict[str, Operation]) -> None:
    error = refused(lambda: ops["getThing"].parse_params("query", QueryParams("mode=a&iteration=1&iteration=2"
                                                                              "&iteration=3")))
    assert error.parameter == "iteration"
    assert error.invalid_value == ["1", "2", "3"]
    assert error.message == "Invalid value for query parameter 'iteration': [1, 2, 3] is too long"


def test_an_array_from_a_plain_mapping_is_its_default(ops: dict[str, Operation]) -> None:
    assert query(ops["getThing"], iteration="1")["iteration"] is None


def test_a_valid_body_is_parsed(ops: dict[str, Operation]) -> None:
    body = b'{"name": "x", "count": 3, "tags": [{"key": "k"}]}'
    assert ops["saveThing"].parse_body(body) == {"name": "x", "count": 3, "tags": [{"key": "k"}]}


@pytest.mark.parametrize("raw", [b"", b"  \n"])
def test_a_required_body_must_be_sent(ops: dict[str, Operation], raw: bytes) -> None:
    error = refused(lambda: ops["saveThing"].parse_body(raw))
    assert (error.parameter, error.message) == ("body", "Request body is required")


def test_an_optional_body_may_be_left_out(ops: dict[str, Operation]) -> None:
    assert ops["touchThing"].parse_body(b"") is None


def test_an_operation_without_a_body_ignores_what_is_sent(ops: dict[str, Operation]) -> None:
    assert ops["dropThing"].parse_body(b"{not json") is None
    assert ops["dropThing"].body is None


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b"[" * 100_000])
def test_a_body_that_is_not_json_is_refused(ops: dict[str, Operation], raw: bytes) -> None:
    error = refused(lambda: ops["touchThing"].parse_body(raw))
    assert error.parameter == "body"
    assert error.message.startswith("Request body is not valid JSON: ")


@pytest.mark.parametrize(("raw", "parameter", "message", "value"), [
    (b"[]", "body", "Invalid request body at 'body': [] is not of type 'object'", []),
    (b"{}", "body", "Invalid request body at 'body': 'name' is a required property", {}),
    (b'{"name": 1}', "body.name", "Invalid request body at 'body.name': 1 is not of type 'string'", 1),
    (b'{"name": "x", "count": 2147483648}', "body.count",
     "Invalid request body at 'body.count': 2147483648 is not a 'int32'", 2147483648),
    (b'{"name": "x", "tags": [{"key": "k"}, {}]}', "body.tags[1]",
     "Invalid request body at 'body.tags[1]': 'key' is a required property", {}),
])
def test_a_body_against_its_schema(ops: dict[str, Operation], raw: bytes, parameter: str, message: str,
                                   value: Any) -> None:
    error = refused(lambda: ops["saveThing"].parse_body(raw))
    assert (error.parameter, error.message, error.invalid_value) == (parameter, message, value)


def test_a_null_optional_member_is_left_out_at_every_depth(ops: dict[str, Operation]) -> None:
    body = b'{"name": "x", "note": null, "tags": [{"key": "k", "value": null}], "free": {"a": null}}'
    assert ops["saveThing"].parse_body(body) == {"name": "x", "tags": [{"key": "k"}], "free": {"a": None}}


@pytest.mark.parametrize(("raw", "parameter", "message"), [
    (b'{"name": "x", "count": null}', "body.count", "None is not of type 'integer'"),  # the spec does not allow it
    (b'{"name": null}', "body.name", "None is not of type 'string'"),  # required: never null
    (b'{"name": "x", "tags": [null]}', "body.tags[0]", "None is not of type 'object'"),  # an item, not a member
])
def test_a_null_the_schema_does_not_allow_is_refused(ops: dict[str, Operation], raw: bytes, parameter: str,
                                                      message: str) -> None:
    error = refused(lambda: ops["saveThing"].parse_body(raw))
    assert (error.parameter, error.message) == (parameter, f"Invalid request body at '{parameter}': {message}")


def test_absent_nulls_follows_refs_and_branches() -> None:
    document = {"components": {"schemas": {"Inner": {"type": "object", "properties": {"a": {}, "b": {}},
                                                     "required": ["b"]}}}}
    schema = {"type": "object", "properties": {"inner": {"anyOf": [{"$ref": "#/components/schemas/Inner"},
                                                                   {"type": "null"}]}}}
    assert absent_nulls({"inner": {"a": None, "b": None, "c": None}}, schema, document) == {
        "inner": {"b": None, "c": None}}  # b is required, c is not declared: both stay
    assert absent_nulls({"inner": None}, schema, document) == {}


def request_schemas(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every object schema a request body of `document` reaches, with where it is, each once."""
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any, where: str) -> None:
        if not isinstance(node, dict):
            return
        if isinstance(node.get("$ref"), str):
            if node["$ref"] in found:
                return
            where, target = node["$ref"], document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            found[where] = node = target
        elif "properties" in node:
            found[where] = node
        for name, member in node.get("properties", {}).items():
            walk(member, f"{where}.{name}")
        for keyword in ("anyOf", "oneOf", "allOf"):
            for index, branch in enumerate(node.get(keyword, ())):
                walk(branch, f"{where}.{keyword}[{index}]")
        walk(node.get("items"), f"{where}[]")

    for path, item in document["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if body is not None:
                walk(body["content"]["application/json"]["schema"], f"{method.upper()} {path}")
    return [(where, schema) for where, schema in found.items() if "properties" in schema]


def admits_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return (kind == "null" or (isinstance(kind, list) and "null" in kind) or schema == {}
            or any(admits_null(branch) for branch in schema.get("anyOf", ())))


def test_every_optional_member_of_a_request_body_admits_null() -> None:
    """Jackson reads a `null` optional member as "not given"; the spec says so wherever a client may send one
    (so the contract's negative checks do not count an accepted null as a bug), and the mock then drops it."""
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    schemas = request_schemas(document)
    assert len(schemas) >= 10, "the walk lost the request schemas"
    strict = [f"{where}.{name}" for where, schema in schemas for name, member in schema["properties"].items()
              if name not in schema.get("required", ()) and not admits_null(member)]
    assert strict == []
    enums = [f"{where}.{name}" for where, schema in schemas for name, member in schema["properties"].items()
             if "enum" in member and admits_null(member) and None not in member["enum"]]
    assert enums == []
    required = [f"{where}.{name}" for where, schema in schemas for name in schema.get("required", ())
                if admits_null(schema["properties"].get(name, {"type": "string"}))]
    assert required == []


def test_the_real_spec_compiles_every_operation() -> None:
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    compiled = compile_operations(document)
    assert sorted(op.operation_id for op in compiled) == sorted(operation_ids(document))
    assert len({op.operation_id for op in compiled}) == len(compiled)
    by_id = {op.operation_id: op for op in compiled}
    assert by_id["getTask"].method == "GET"
    assert by_id["getTask"].secured
