"""The request parsing compiled from openapi.yaml: strict JSON, and Spring/Jackson's tolerance."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from starlette.datastructures import QueryParams

from mockserver.domain import TaskUser, UserType
from mockserver.web import wire
from mockserver.web.spec import MAX_JSON_DEPTH, Operation, RequestInvalid, compile_operations, strict_json


@pytest.fixture(scope="module")
def operations(spec: dict[str, Any]) -> dict[str, Operation]:
    return {op.operation_id: op for op in compile_operations(spec)}


def nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


# -- strict JSON ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "problem"), [
    (b'{"s": "\\ud800"}', "lone surrogate"),
    (b'{"s": "\\uDFFF tail"}', "lone surrogate"),
    (b'{"s": "\xed\xa0\x80"}', "lone surrogate"),
    (b'{"n": NaN}', "NaN is not a JSON number"),
    (b'{"n": Infinity}', "Infinity is not a JSON number"),
    (b'[-Infinity]', "-Infinity is not a JSON number"),
    (b'{"n": 1e999}', "too large for a number"),
    (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), f"nested deeper than {MAX_JSON_DEPTH} levels"),
    (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, f"nested deeper than {MAX_JSON_DEPTH} levels"),
])
def test_strict_json_refuses_what_no_json_reply_could_carry(raw: bytes, problem: str) -> None:
    with pytest.raises(RequestInvalid) as refused:
        strict_json(raw)
    assert refused.value.parameter == "body"
    assert refused.value.message.startswith("Request body is not valid JSON: ")
    assert problem in refused.value.message


@pytest.mark.parametrize(("raw", "value"), [
    (b'{"s": "\\ud83d\\ude00"}', {"s": "\U0001f600"}),  # a pair is one character
    ("{\"s\": \"\U0001f600\"}".encode(), {"s": "\U0001f600"}),
    (b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH, nested(MAX_JSON_DEPTH)),
    (b'[' + b'[],' * 500 + b'[]]', [[]] * 501),  # many brackets, shallow
    (b'{"n": 1.5e300}', {"n": 1.5e300}),
])
def test_strict_json_takes_valid_json(raw: bytes, value: Any) -> None:
    assert strict_json(raw) == value


# -- query parameters as Spring binds them ----------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "value"), [
    ("true", True), ("TRUE", True), ("1", True), ("yes", True), ("On", True),
    ("false", False), ("False", False), ("0", False), ("NO", False), ("off", False),
])
def test_boolean_query_values_as_spring_reads_them(operations: dict[str, Operation], raw: str, value: bool) -> None:
    parsed = operations["claimTask"].parse_params("query", QueryParams({"overrideAssignment": raw}))
    assert parsed["overrideAssignment"] is value


def test_a_boolean_spring_does_not_know_is_refused(operations: dict[str, Operation]) -> None:
    with pytest.raises(RequestInvalid) as refused:
        operations["claimTask"].parse_params("query", QueryParams({"overrideAssignment": "maybe"}))
    assert refused.value.parameter == "overrideAssignment"
    assert "expected true/false, 1/0, yes/no or on/off" in refused.value.message


@pytest.mark.parametrize(("operation", "name"), [("claimTask", "overrideAssignment"), ("updateTaskOutput", "complete"),
                                                ("saveTemplate", "newVersion"), ("registerWorkflowDef", "overwrite")])
def test_an_empty_boolean_is_the_default_as_spring_reads_it(operations: dict[str, Operation], operation: str,
                                                             name: str) -> None:
    parsed = operations[operation].parse_params("query", QueryParams(f"{name}="))
    default = next(p.default for p in operations[operation].parameters if p.name == name)
    assert parsed[name] is default is not None


FLAG_SAMPLES = ["", " ", "\t", "true", " TRUE\n", "\x00on\x1f", "Off", "yes", "nO", "1", "0", "maybe", "tru", "2",
                "truee", "yes no", "\u00a0true", "t", "ja", "10"]


@pytest.mark.parametrize("raw", FLAG_SAMPLES)
def test_the_specs_query_flag_is_what_the_parser_takes(spec: dict[str, Any], operations: dict[str, Operation],
                                                       raw: str) -> None:
    """openapi.yaml's `QueryFlag` pattern says which spellings a server takes; the mock takes exactly those."""
    pattern = spec["components"]["schemas"]["QueryFlag"]["pattern"]
    try:
        operations["claimTask"].parse_params("query", QueryParams({"overrideAssignment": raw}))
        taken = True
    except RequestInvalid:
        taken = False
    assert taken is (re.fullmatch(pattern, raw) is not None)


def test_every_boolean_query_parameter_is_a_query_flag(spec: dict[str, Any]) -> None:
    flags = {p.name for op in compile_operations(spec) for p in op.parameters if p.kind == "boolean"}
    assert flags == {"withTemplate", "overrideAssignment", "complete", "newVersion", "overwrite", "includeTasks"}
    parameters = [p for item in spec["paths"].values() for op in item.values() if isinstance(op, dict)
                  for p in op.get("parameters", [])]
    shared = spec["components"]["parameters"]
    schemas = [shared[p["$ref"].rsplit("/", 1)[1]]["schema"] if "$ref" in p else p["schema"] for p in parameters]
    assert [s for s in schemas if s.get("type") == "boolean"] == []
    assert sum(s.get("$ref") == "#/components/schemas/QueryFlag" for s in schemas) >= len(flags)


def test_the_first_of_repeated_scalar_parameters_wins(operations: dict[str, Operation]) -> None:
    parsed = operations["claimTask"].parse_params("query", QueryParams("overrideAssignment=true&overrideAssignment=0"))
    assert parsed["overrideAssignment"] is True


def test_a_bad_later_repeat_of_a_scalar_is_ignored(operations: dict[str, Operation]) -> None:
    parsed = operations["claimTask"].parse_params("query", QueryParams("overrideAssignment=no&overrideAssignment=x"))
    assert parsed["overrideAssignment"] is False


# -- bodies -------------------------------------------------------------------------------

def test_an_assignee_with_only_a_user_is_accepted(operations: dict[str, Operation]) -> None:
    body = operations["search"].parse_body(b'{"assignees": [{"user": "alice@example.com"}]}')
    assert wire.parse_search(body).assignees == (TaskUser("alice@example.com", UserType.EXTERNAL_USER),)


def test_an_assignee_without_a_user_is_still_refused(operations: dict[str, Operation]) -> None:
    with pytest.raises(RequestInvalid) as refused:
        operations["search"].parse_body(b'{"assignees": [{"userType": "EXTERNAL_USER"}]}')
    assert refused.value.parameter == "body.assignees[0]"
    assert "'user' is a required property" in refused.value.message


def test_a_wrongly_typed_field_is_still_refused(operations: dict[str, Operation]) -> None:
    with pytest.raises(RequestInvalid) as refused:
        operations["search"].parse_body(b'{"size": "ten"}')
    assert refused.value.parameter == "body.size"


@pytest.mark.parametrize("raw", [
    b'{"a": [1, 2.5, "x", null, true]}', '{"a": 1}', b"\xef\xbb\xbf{}", '{"s": "é"}'.encode("utf-16"),
    '{"s": "é"}'.encode("utf-32-le"), "\ufeff{}", b"{bad", b"", b"\xff\xfe\x00", b'"\xff"',
])
def test_strict_json_reads_what_json_loads_reads_and_refuses_what_it_refuses(raw: bytes | str) -> None:
    """Its decoder is made once; the text it decodes is json.loads's (bytes in UTF-8, -16 or -32, with or without
    a BOM; a str with a BOM refused)."""
    try:
        expected: Any = json.loads(raw, parse_float=float)
    except ValueError:
        with pytest.raises(RequestInvalid) as refused:
            strict_json(raw)
        assert refused.value.message.startswith("Request body is not valid JSON: ")
    else:
        assert strict_json(raw) == expected
