"""JSON Schema compiled, once, into plain predicates: `compile_check(schema)` is a function that says whether a value
is valid, for the keywords openapi.yaml uses, or None when the schema uses any other keyword.

A quick yes for the valid calls (nearly all of them) that jsonschema reaches by building a validator per
sub-schema on every call. It only ever answers for jsonschema: a `False` sends the value to jsonschema, which
finds and words the error; a `True` must mean jsonschema finds none (tests/web/test_fastcheck.py compares them).
Semantics are jsonschema's (Draft 2020-12 with the checker of spec.py: int32/int64 the only formats checked):
booleans are not numbers, 1.0 is an integer, each keyword applies only to values of its type.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

Check = Callable[[Any], bool]

_ANNOTATIONS: Final = frozenset({"description", "title", "default", "example", "examples", "deprecated",
                                 "readOnly", "writeOnly"})
_RANGES: Final = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float)
                                                                        and value.is_integer())


_TYPES: Final[dict[str, Check]] = {
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": _is_integer,
}


def compile_check(schema: Any) -> Check | None:
    """A predicate equal to jsonschema's `is_valid` for `schema`, or None if `schema` holds a keyword (or a `$ref`)
    this module does not compile."""
    if schema is True or schema == {}:
        return lambda value: True
    if not isinstance(schema, Mapping):
        return None
    checks: list[Check] = []
    for keyword, argument in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        check = _keyword(keyword, argument, schema)
        if check is None:
            return None
        checks.append(check)
    return _every(checks)


def _every(checks: list[Check]) -> Check:
    """Valid when each of `checks` says so (a schema's keywords, `allOf`'s branches)."""
    if len(checks) == 1:
        return checks[0]

    def every(value: Any) -> bool:
        for check in checks:  # noqa: SIM110 (a loop: no generator made per call on the hot path)
            if not check(value):
                return False
        return True

    return every


def _keyword(keyword: str, argument: Any, schema: Mapping[str, Any]) -> Check | None:
    maker = _KEYWORDS.get(keyword)
    return maker(argument, schema) if maker is not None else None


def _type(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    names = [argument] if isinstance(argument, str) else argument
    if not isinstance(names, list) or not all(isinstance(n, str) and n in _TYPES for n in names):
        return None
    tests = [_TYPES[n] for n in names]
    return tests[0] if len(tests) == 1 else (lambda value: any(test(value) for test in tests))


def _format(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    bounds = _RANGES.get(argument) if isinstance(argument, str) else None
    if bounds is None:
        return lambda value: True  # spec.py's checker checks no other format
    low, high = bounds
    return lambda value: not isinstance(value, int) or isinstance(value, bool) or low <= value <= high


def _minimum(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    if not _is_number(argument):
        return None
    return lambda value: not _is_number(value) or value >= argument


def _maximum(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    if not _is_number(argument):
        return None
    return lambda value: not _is_number(value) or value <= argument


def _min_length(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    if not isinstance(argument, int) or isinstance(argument, bool):
        return None
    return lambda value: not isinstance(value, str) or len(value) >= argument


def _min_items(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    if not isinstance(argument, int) or isinstance(argument, bool):
        return None
    return lambda value: not isinstance(value, list) or len(value) >= argument


def _enum(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    if not isinstance(argument, list) or not all(e is None or isinstance(e, str) for e in argument):
        return None  # strings and null only: jsonschema's equality of other values (1 vs 1.0 vs True) is subtler
    allowed = frozenset(argument)
    return lambda value: (value is None or isinstance(value, str)) and value in allowed


def _pattern(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    if not isinstance(argument, str):
        return None
    try:
        search = re.compile(argument).search  # jsonschema's: `re.search`, unanchored
    except re.error:
        return None
    return lambda value: not isinstance(value, str) or search(value) is not None


def _required(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    if not isinstance(argument, list) or not all(isinstance(n, str) for n in argument):
        return None
    names = tuple(argument)
    return lambda value: not isinstance(value, dict) or all(n in value for n in names)


def _properties(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    if not isinstance(argument, Mapping):
        return None
    compiled: dict[str, Check] = {}
    for name, sub in argument.items():
        check = compile_check(sub)
        if check is None:
            return None
        compiled[name] = check

    def properties(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        for name, check in compiled.items():  # noqa: SIM110 (as above)
            if name in value and not check(value[name]):
                return False
        return True

    return properties


def _additional(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    if argument is True or argument == {}:
        return lambda value: True
    if "patternProperties" in schema:
        return None
    known = frozenset(schema.get("properties", {}))
    check = compile_check(argument) if argument is not False else (lambda value: False)
    if check is None:
        return None
    return lambda value: not isinstance(value, dict) or all(check(v) for k, v in value.items() if k not in known)


def _items(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    if "prefixItems" in schema:
        return None
    check = compile_check(argument)
    if check is None:
        return None
    return lambda value: not isinstance(value, list) or all(check(item) for item in value)


def _not(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    check = compile_check(argument)
    return None if check is None else (lambda value: not check(value))


def _branches(argument: Any) -> list[Check] | None:
    if not isinstance(argument, list) or not argument:
        return None
    checks: list[Check] = []
    for branch in argument:
        check = compile_check(branch)
        if check is None:
            return None
        checks.append(check)
    return checks


def _any_of(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    checks = _branches(argument)
    if checks is None:
        return None

    def any_of(value: Any) -> bool:
        for check in checks:  # noqa: SIM110 (as above)
            if check(value):
                return True
        return False

    return any_of


def _all_of(argument: Any, schema: Mapping[str, Any]) -> Check | None:
    checks = _branches(argument)
    return None if checks is None else _every(checks)


_KEYWORDS: Final[dict[str, Callable[[Any, Mapping[str, Any]], Check | None]]] = {
    "type": _type, "format": _format, "minimum": _minimum, "maximum": _maximum, "minLength": _min_length,
    "minItems": _min_items, "enum": _enum, "pattern": _pattern, "required": _required, "properties": _properties,
    "additionalProperties": _additional, "items": _items, "not": _not, "anyOf": _any_of, "allOf": _all_of,
}
