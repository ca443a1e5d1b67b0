"""Form validation: a task's output checked against its user form's `jsonSchema`, in pure Python.

The subset the forms of the docs and the scenarios use: `type` (string, integer, number, boolean, object, array,
null, or a list of them; an integer is a number with no fraction, a boolean is neither), `required`, `properties`
(nested objects), `items`, `enum`, `minimum`/`maximum`, `minLength`/`maxLength`, `pattern` (searched, as JSON
Schema does) and `format: date` (YYYY-MM-DD). Any other keyword is accepted and ignored.

`required=False` checks everything but `required` (an update saves a form half filled in); a completion checks all.
A problem's `path` names the value in the output: `approved`, `address.city`, `lines[0].qty`.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.domain.errors import show_value

__all__ = ["FormProblem", "validate"]

Schema = Mapping[str, Any]

_PYTHON: dict[str, type | tuple[type, ...]] = {
    "string": str, "number": (int, float), "object": dict, "array": list, "null": type(None)}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class FormProblem:
    """One value that breaks the form: where it is, why, and the value (None when it is missing)."""

    path: str
    message: str
    invalid_value: Any = None


def validate(schema: Schema, value: Any, *, required: bool = True) -> list[FormProblem]:
    """Every problem of `value` against `schema` (empty: it is valid). With `required` False, missing
    properties are not problems."""
    problems: list[FormProblem] = []
    _check(schema, value, "", required, problems)
    return problems


def _check(schema: Schema, value: Any, path: str, required: bool, problems: list[FormProblem]) -> None:
    kinds = _types(schema)
    if kinds and not any(_is(kind, value) for kind in kinds):
        problems.append(FormProblem(_shown(path), f"must be {' or '.join(kinds)}, not {_kind_of(value)}", value))
        return  # the other keywords do not apply to a value of the wrong type
    for check in _CHECKS:
        message = check(schema, value)
        if message is not None:
            problems.append(FormProblem(_shown(path), message, value))
    if isinstance(value, dict):
        _check_object(schema, value, path, required, problems)
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            _check(schema["items"], item, f"{path}[{index}]", required, problems)


def _check_object(schema: Schema, value: dict[str, Any], path: str, required: bool,
                  problems: list[FormProblem]) -> None:
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        for name, sub in properties.items():
            if name in value and isinstance(sub, Mapping):
                _check(sub, value[name], _join(path, name), required, problems)
    if required:
        for name in schema.get("required") or ():
            if name not in value:
                problems.append(FormProblem(_join(path, str(name)), "is required", None))


def _types(schema: Schema) -> tuple[str, ...]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return (kind,)
    return tuple(str(k) for k in kind) if isinstance(kind, list) else ()


def _is(kind: str, value: Any) -> bool:
    if isinstance(value, bool):
        return kind == "boolean"
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    python = _PYTHON.get(kind)
    return python is not None and isinstance(value, python)


def _kind_of(value: Any) -> str:
    for kind in ("boolean", "integer", "number", "string", "object", "array", "null"):
        if _is(kind, value):
            return f"{kind} {show_value(value)}" if kind in ("boolean", "integer", "number", "string") else kind
    return type(value).__name__


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _enum(schema: Schema, value: Any) -> str | None:
    allowed = schema.get("enum")
    if not isinstance(allowed, list) or any(_same(value, a) for a in allowed):
        return None
    return f"must be one of {', '.join(show_value(a) for a in allowed)}"


def _same(left: Any, right: Any) -> bool:
    """JSON equality: `true` is not `1`."""
    return isinstance(left, bool) == isinstance(right, bool) and left == right


def _minimum(schema: Schema, value: Any) -> str | None:
    low = schema.get("minimum")
    return f"must be at least {low}" if _number(value) and _number(low) and value < low else None


def _maximum(schema: Schema, value: Any) -> str | None:
    high = schema.get("maximum")
    return f"must be at most {high}" if _number(value) and _number(high) and value > high else None


def _min_length(schema: Schema, value: Any) -> str | None:
    low = schema.get("minLength")
    too_short = isinstance(value, str) and isinstance(low, int) and len(value) < low
    return f"must be at least {low} characters long" if too_short else None


def _max_length(schema: Schema, value: Any) -> str | None:
    high = schema.get("maxLength")
    too_long = isinstance(value, str) and isinstance(high, int) and len(value) > high
    return f"must be at most {high} characters long" if too_long else None


def _pattern(schema: Schema, value: Any) -> str | None:
    pattern = schema.get("pattern")
    if not isinstance(value, str) or not isinstance(pattern, str):
        return None
    try:
        matches = re.search(pattern, value) is not None
    except re.error:
        return None  # a pattern Python cannot read: not the caller's fault
    return None if matches else f"must match the pattern {pattern}"


def _format(schema: Schema, value: Any) -> str | None:
    if schema.get("format") != "date" or not isinstance(value, str):
        return None
    try:
        valid = _DATE.fullmatch(value) is not None and datetime.date.fromisoformat(value) is not None
    except ValueError:
        valid = False
    return None if valid else "must be a date (YYYY-MM-DD)"


_CHECKS: tuple[Callable[[Schema, Any], str | None], ...] = (
    _enum, _minimum, _maximum, _min_length, _max_length, _pattern, _format)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _shown(path: str) -> str:
    return path or "(output)"
