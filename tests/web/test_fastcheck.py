"""The compiled predicates of `fastcheck` agree with jsonschema, value for value, on every schema openapi.yaml
validates (bodies and parameters): a valid value built from each schema, and many values one change away."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mockserver import resources
from mockserver.web.fastcheck import compile_check
from mockserver.web.spec import _FORMATS, compile_operations

ODD_VALUES: list[Any] = [None, True, False, 0, 1, -1, 1.0, 1.5, -0.5, 2**31 - 1, 2**31, -(2**31) - 1, 2**63,
                         -(2**63) - 1, 1e300, "", "x", "ADMIN", "ASSIGNED", [], [1], ["x"], {}, {"a": 1}]


def _validators() -> list[tuple[str, Draft202012Validator]]:
    found = []
    for op in compile_operations(resources.openapi_document()):
        if op.body is not None:
            found.append((f"{op.operation_id} body", op.body))
        found += [(f"{op.operation_id} {p.name}", p.validator) for p in op.parameters]
    return found


VALIDATORS = _validators()


def sample(schema: Any, depth: int = 0) -> Any:
    """A value the schema accepts, with every property filled in (when that is easy to make)."""
    if not isinstance(schema, dict) or depth > 6:
        return None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    kind = next((k for k in kind if k != "null"), "null") if isinstance(kind, list) else kind
    if kind == "object":
        return {name: sample(sub, depth + 1) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [sample(schema.get("items", {}), depth + 1)] * max(1, schema.get("minItems", 1))
    return {"string": "x" * max(1, schema.get("minLength", 1)), "integer": max(0, schema.get("minimum", 0)),
            "number": 0.5, "boolean": True, "null": None}.get(kind)


def one_change_away(value: Any) -> Iterator[Any]:
    """`value` itself, each odd value instead of it, and (inside) each key dropped, added or replaced."""
    yield value
    yield from ODD_VALUES
    if isinstance(value, dict):
        yield {**value, "unexpectedKey": 1}
        for key in value:
            yield {k: v for k, v in value.items() if k != key}
            for changed in one_change_away(value[key]):
                yield {**value, key: changed}
    if isinstance(value, list) and value:
        for changed in one_change_away(value[0]):
            yield [changed, *value[1:]]
            yield [*value, changed]


@pytest.mark.parametrize(("name", "validator"), VALIDATORS, ids=[n for n, _ in VALIDATORS])
def test_the_predicate_says_what_jsonschema_says(name: str, validator: Draft202012Validator) -> None:
    check = compile_check(validator.schema)
    if check is None:
        pytest.skip("a schema fastcheck does not compile (jsonschema alone validates it)")
    seen = 0
    for value in one_change_away(sample(validator.schema)):
        assert check(value) == validator.is_valid(value), value
        seen += 1
    assert seen > len(ODD_VALUES)


def test_the_valid_sample_is_valid_and_takes_the_quick_path() -> None:
    """The comparison above is not between two functions that refuse everything."""
    quick = 0
    for _, validator in VALIDATORS:
        check = compile_check(validator.schema)
        value = sample(validator.schema)
        if check is not None and validator.is_valid(value):
            assert check(value)
            quick += 1
    assert quick >= len(VALIDATORS) * 3 // 4


@pytest.mark.parametrize(("schema", "value", "valid"), [
    ({"type": "integer"}, True, False),  # a boolean is not a number
    ({"type": "integer"}, 1.0, True),
    ({"type": "integer", "format": "int32"}, 2**31, False),
    ({"type": "integer", "format": "int64"}, 2**63 - 1, True),
    ({"type": "integer", "format": "date-time"}, 2**70, True),  # spec.py checks no other format
    ({"type": "string", "enum": ["A"]}, "B", False),
    ({"type": ["string", "null"]}, None, True),
    ({"properties": {"a": {"type": "string"}}, "additionalProperties": False}, {"a": "x", "b": 1}, False),
    ({"properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "integer"}}, {"b": 1}, True),
    ({"required": ["a"]}, {"b": 1}, False),
    ({"not": {"type": "string"}}, "x", False),
    ({"items": {"minimum": 2}, "minItems": 2}, [2, 3], True),
    ({"minLength": 2}, "é", False),
    ({"pattern": "b+"}, "abba", True),  # unanchored, as jsonschema's re.search
    ({"pattern": "^b+$"}, "abba", False),
    ({"pattern": "^b+$"}, 7, True),  # applies to strings only
    ({"enum": ["a", None]}, None, True),
    ({"enum": ["a", None]}, "b", False),
    ({"enum": ["a"]}, None, False),
    ({"type": ["string", "null"], "enum": ["a", None]}, None, True),
    ({"anyOf": [{"type": "object", "required": ["a"]}, {"type": "null"}]}, None, True),
    ({"anyOf": [{"type": "object", "required": ["a"]}, {"type": "null"}]}, {}, False),
    ({"anyOf": [{"type": "object", "required": ["a"]}, {"type": "null"}]}, {"a": 1}, True),
    ({"allOf": [{"minimum": 1}, {"maximum": 3}]}, 4, False),
    ({"allOf": [{"minimum": 1}, {"maximum": 3}]}, 2, True),
])
def test_keywords_as_jsonschema_reads_them(schema: dict[str, Any], value: Any, valid: bool) -> None:
    check = compile_check(schema)
    assert check is not None
    assert check(value) is valid
    assert Draft202012Validator(schema, format_checker=_FORMATS).is_valid(value) is valid


@pytest.mark.parametrize("schema", [{"$ref": "#/x"}, {"maxLength": 3}, {"pattern": "("}, {"enum": [1, True]},
                                    {"oneOf": []}, {"properties": {"a": {"anyOf": []}}}])
def test_what_it_does_not_compile_is_left_to_jsonschema(schema: dict[str, Any]) -> None:
    assert compile_check(schema) is None
