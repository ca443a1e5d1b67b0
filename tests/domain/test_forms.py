"""The form validator: each keyword it knows, accepted and refused, and where a problem is reported."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.domain.forms import FormProblem, validate


def problems(schema: dict[str, Any], value: Any, *, required: bool = True) -> list[tuple[str, str, Any]]:
    return [(p.path, p.message, p.invalid_value) for p in validate(schema, value, required=required)]


@pytest.mark.parametrize(("kind", "good", "bad"), [
    ("string", "yes", 1),
    ("integer", 3, 3.5),
    ("integer", 3.0, "3"),
    ("number", 2.5, "2.5"),
    ("number", 7, True),
    ("boolean", False, "true"),
    ("boolean", True, 1),
    ("object", {}, []),
    ("array", [], {}),
    ("null", None, 0),
])
def test_type(kind: str, good: Any, bad: Any) -> None:
    assert validate({"type": kind}, good) == []
    [problem] = validate({"type": kind}, bad)
    assert problem.message.startswith(f"must be {kind}, not ")
    assert problem.invalid_value == bad


def test_a_list_of_types() -> None:
    schema = {"type": ["string", "null"]}
    assert validate(schema, None) == [] and validate(schema, "x") == []
    assert problems(schema, 1) == [("(output)", "must be string or null, not integer 1", 1)]


def test_required_only_when_asked() -> None:
    schema = {"type": "object", "properties": {"approved": {"type": "boolean"}}, "required": ["approved"]}
    assert problems(schema, {}) == [("approved", "is required", None)]
    assert validate(schema, {}, required=False) == []
    assert validate(schema, {"approved": True}) == []


def test_nested_properties_report_their_path() -> None:
    schema = {"type": "object", "properties": {"address": {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
    assert problems(schema, {"address": {"city": 5}}) == [("address.city", "must be string, not integer 5", 5)]
    assert problems(schema, {"address": {}}) == [("address.city", "is required", None)]
    assert validate(schema, {"address": {}}, required=False) == []
    assert validate(schema, {"other": 1}) == []  # a property the form does not name is allowed


def test_items() -> None:
    schema = {"type": "array", "items": {"type": "integer", "minimum": 1}}
    assert validate(schema, [1, 2]) == []
    assert problems(schema, [1, "two", 0]) == [("[1]", "must be integer, not string 'two'", "two"),
                                               ("[2]", "must be at least 1", 0)]


def test_enum() -> None:
    schema = {"enum": ["refund", "reject", 1]}
    assert validate(schema, "refund") == [] and validate(schema, 1) == []
    assert problems(schema, "replace") == [("(output)", "must be one of 'refund', 'reject', 1", "replace")]
    assert len(validate(schema, True)) == 1  # true is not 1


@pytest.mark.parametrize(("schema", "good", "bad", "message"), [
    ({"minimum": 0}, 0, -0.5, "must be at least 0"),
    ({"maximum": 10}, 10, 11, "must be at most 10"),
    ({"minLength": 2}, "ab", "a", "must be at least 2 characters long"),
    ({"maxLength": 3}, "abc", "abcd", "must be at most 3 characters long"),
    ({"pattern": "^INV-[0-9]+$"}, "INV-12", "inv-12", "must match the pattern ^INV-[0-9]+$"),
    ({"pattern": "[0-9]"}, "a1b", "ab", "must match the pattern [0-9]"),  # searched, not anchored
    ({"format": "date"}, "2026-01-15", "2026-02-30", "must be a date (YYYY-MM-DD)"),
    ({"format": "date"}, "2026-01-15", "15/01/2026", "must be a date (YYYY-MM-DD)"),
])
def test_bounds_lengths_pattern_and_date(schema: dict[str, Any], good: Any, bad: Any, message: str) -> None:
    assert validate(schema, good) == []
    assert validate(schema, bad) == [FormProblem("(output)", message, bad)]


def test_keywords_apply_to_their_own_types_only() -> None:
    assert validate({"minimum": 5, "minLength": 5, "format": "date", "pattern": "x"}, True) == []


def test_a_wrong_type_is_one_problem() -> None:
    assert len(validate({"type": "string", "minLength": 3, "enum": ["abc"]}, 5)) == 1


def test_unknown_keywords_and_unreadable_patterns_are_ignored() -> None:
    assert validate({"additionalProperties": False, "title": "x", "pattern": "("}, "anything") == []


def test_every_problem_is_reported() -> None:
    schema = {"type": "object", "required": ["approved"],
              "properties": {"approved": {"type": "boolean"}, "comment": {"type": "string", "maxLength": 2}}}
    assert problems(schema, {"comment": "long"}) == [("comment", "must be at most 2 characters long", "long"),
                                                     ("approved", "is required", None)]
