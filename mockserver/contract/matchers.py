"""Expectations on JSON values, as written in conformance scenarios.

A literal matches an equal value (numbers by value: 1 == 1.0). A mapping matches an object that has at least
its keys, each matching. A list matches a list of the same length, element by element. A mapping whose keys
all start with `$` is an operator:

    {$absent: true}     the key is missing (or null)       {$present: true}  the key is there, not null
    {$contains: text}   a string containing `text`          {$matches: regex} a string matching `regex`
    {$in: [a, b]}       one of the values                   {$not: m}         does not match `m`
    {$some: m}          a list with an element matching m   {$none: m}        a list with no element matching m
    {$len: n}           a list, object or string of size n  {$type: string}   string, integer, number, boolean,
                                                                              object, array or null

`mismatches(expected, actual)` returns where and how `actual` differs, as `path: expected …, got …` lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

OPERATORS = ("$absent", "$present", "$contains", "$matches", "$in", "$not", "$some", "$none", "$len", "$type")
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "object": (dict,),
    "array": (list,), "null": (type(None),),
}


class MatcherError(ValueError):
    """A matcher that is not well-formed (an unknown operator, a bad regex)."""


def is_operator(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value) and all(str(k).startswith("$") for k in value)


def validate(expected: Any, where: str) -> None:
    """Raise `MatcherError` for an unknown operator or a bad argument anywhere inside `expected`."""
    if is_operator(expected):
        for op, arg in expected.items():
            if op not in OPERATORS:
                raise MatcherError(f"{where}: unknown matcher '{op}'; known: {', '.join(OPERATORS)}")
            if op == "$matches":
                try:
                    re.compile(str(arg))
                except re.error as error:
                    raise MatcherError(f"{where}.$matches: not a regular expression: {error}") from None
            if op == "$type" and arg not in _TYPES:
                raise MatcherError(f"{where}.$type: '{arg}' is not one of {', '.join(_TYPES)}")
            if op in ("$not", "$some", "$none"):
                validate(arg, f"{where}.{op}")
    elif isinstance(expected, Mapping):
        for key, value in expected.items():
            validate(value, f"{where}.{key}")
    elif isinstance(expected, list):
        for index, value in enumerate(expected):
            validate(value, f"{where}[{index}]")


def matches(expected: Any, actual: Any) -> bool:
    return not mismatches(expected, actual)


def mismatches(expected: Any, actual: Any, path: str = "", *, present: bool = True) -> list[str]:
    """Where `actual` fails `expected`; `present` is False when the key holding `actual` is missing."""
    where = path or "(body)"
    if is_operator(expected):
        return [problem for op, arg in expected.items() for problem in _operator(op, arg, actual, where, present)]
    if not present:
        return [f"{where}: expected {_show(expected)}, got nothing (the field is missing)"]
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return [f"{where}: expected an object, got {_show(actual)}"]
        found = []
        for key, value in expected.items():
            sub = f"{path}.{key}" if path else str(key)
            found += mismatches(value, actual.get(key), sub, present=key in actual)
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {_show(expected)}, got {_show(actual)}"]
        pairs = enumerate(zip(expected, actual, strict=True))
        return [p for i, (e, a) in pairs for p in mismatches(e, a, f"{where}[{i}]")]
    if _equal(expected, actual):
        return []
    return [f"{where}: expected {_show(expected)}, got {_show(actual)}"]


def _operator(op: str, arg: Any, actual: Any, where: str, present: bool) -> list[str]:
    missing = not present or actual is None
    if op == "$absent":
        return [] if missing == bool(arg) else [f"{where}: expected {'no value' if arg else 'a value'}, "
                                                f"got {_show(actual) if present else 'nothing'}"]
    if op == "$present":
        return [] if (not missing) == bool(arg) else [f"{where}: expected {'a value' if arg else 'no value'}, "
                                                      f"got {_show(actual) if present else 'nothing'}"]
    ok: bool
    if op == "$contains":
        ok = isinstance(actual, str) and str(arg) in actual
        want = f"text containing {str(arg)!r}"
    elif op == "$matches":
        ok = isinstance(actual, str) and re.search(str(arg), actual) is not None
        want = f"text matching /{arg}/"
    elif op == "$in":
        ok = any(_equal(option, actual) for option in arg)
        want = f"one of {_show(arg)}"
    elif op == "$not":
        ok = present and bool(mismatches(arg, actual, where))
        want = f"anything but {_show(arg)}"
    elif op == "$some":
        ok = isinstance(actual, list) and any(matches(arg, item) for item in actual)
        want = f"a list with an element like {_show(arg)}"
    elif op == "$none":
        ok = isinstance(actual, list) and not any(matches(arg, item) for item in actual)
        want = f"a list with no element like {_show(arg)}"
    elif op == "$len":
        ok = isinstance(actual, list | dict | str) and len(actual) == arg
        want = f"size {arg}"
    elif op == "$type":
        kinds = _TYPES.get(str(arg), ())
        ok = isinstance(actual, kinds) and not (arg in ("integer", "number") and isinstance(actual, bool))
        want = f"a value of type {arg}"
    else:
        raise MatcherError(f"{where}: unknown matcher '{op}'")
    if ok:
        return []
    return [f"{where}: expected {want}, got {_show(actual) if present else 'nothing (the field is missing)'}"]


def _equal(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(expected) == float(actual)
    return bool(expected == actual)


def _show(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[:limit] + "…"
