"""Pass 2: the shape of a scenario, checked against the JSON Schema shipped with the package
(`mockserver/scenario.schema.json`), with a message that reads like a person's for each schema keyword.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from jsonschema import Draft202012Validator, ValidationError

from mockserver.domain.errors import show_value
from mockserver.scenarios.document import Document, JsonPath

SCHEMA_PATH: Final = Path(__file__).resolve().parent.parent / "scenario.schema.json"

_TYPE_NAMES: Final = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
                      "object": "a mapping", "array": "a list", "null": "null"}
# A value of the wrong type where a plainer message helps: (message, hint), by path.
_TYPE_MESSAGES: Final = {
    ("faults",): ("expected a list of faults", "faults:\n    - {operationId: claimTask, status: 503}"),
}
# How an enum's field is called in a message: (singular, plural), by the key that holds the value.
_NOUNS: Final = {"state": ("state", "states"), "userType": ("user type", "user types"), "roles": ("role", "roles"),
                 "mode": ("clock mode", "clock modes"), "triggerType": ("trigger type", "trigger types"),
                 "assignmentCompletionStrategy": ("completion strategy", "completion strategies"),
                 "action": ("log action", "log actions"), "access": ("access type", "access types")}
# Messages for the schema keywords that only `$defs.fault` uses (the same words as the control plane's).
_FAULT_MESSAGES: Final = {
    "anyOf": ("a fault needs an effect: `status` (with an optional `message`), `latencyMs`, or `drop: true`", None),
    "not": ("a fault either replies with a status or drops the connection, not both", "split it into two faults"),
    "dependentRequired": ("a message goes with a status", "add `status: 503` (or another 4xx/5xx)"),
}
_FAULT_FIELD: Final = {"not": "drop", "dependentRequired": "message"}  # the key a fault keyword's problem is at


def check_shape(doc: Document, data: dict[str, Any]) -> None:
    """Report every place where `data` does not fit the schema."""
    errors = list(_validator().iter_errors(data))
    for error in errors:
        path, schema = tuple(error.absolute_path), error.schema
        assert isinstance(schema, dict)
        if error.validator == "additionalProperties":
            _unknown_keys(doc, path, schema, error.instance)
        elif error.validator == "enum":
            _not_in_enum(doc, path, error.instance, error.validator_value)
        elif error.validator == "required":
            for key in error.validator_value:
                if key not in error.instance:
                    described = schema.get("properties", {}).get(key, {}).get("description")
                    doc.report(path, f"missing required key {key!r}", f"{key}: {described}" if described else None)
        elif error.validator in _FAULT_MESSAGES:
            if error.validator == "anyOf" and any(_below(e, path) for e in errors):
                continue  # like the control plane: an effect is missing only once the rest is right
            message, hint = _FAULT_MESSAGES[str(error.validator)]
            where = _FAULT_FIELD.get(str(error.validator))
            doc.report((*path, where) if where else path, message, hint)
        elif error.validator == "type":
            _wrong_type(doc, path, error.instance, error.validator_value, schema.get("description"))
        else:
            doc.report(path, _shape_message(error.validator, error.validator_value, error.instance, error.message),
                       schema.get("description"))


def suggest(value: str, choices: Iterable[str]) -> str:
    """` Did you mean 'X'?` for the closest of `choices` (ignoring case), or `""`."""
    by_upper = {c.upper(): c for c in choices}
    match = difflib.get_close_matches(value.upper(), list(by_upper), n=1, cutoff=0.6)
    return f" Did you mean {by_upper[match[0]]!r}?" if match else ""


def _unknown_keys(doc: Document, path: JsonPath, schema: dict[str, Any], instance: Any) -> None:
    allowed = list(schema.get("properties", {}))
    for key in instance:
        if key not in allowed:
            doc.report((*path, key), f"unknown key {key!r}.{suggest(key, allowed)}".rstrip("."),
                       f"Valid keys here: {', '.join(allowed)}", at_key=True)


def _not_in_enum(doc: Document, path: JsonPath, instance: Any, values: Any) -> None:
    singular, plural = _noun(path)
    choices = [str(c) for c in values]
    did_you_mean = suggest(instance, choices) if isinstance(instance, str) else ""
    doc.report(path, f"{show_value(instance)} is not a valid {singular}.{did_you_mean}",
               f"Valid {plural}: {', '.join(choices)}")


def _wrong_type(doc: Document, path: JsonPath, instance: Any, types: Any, description: str | None) -> None:
    if path in _TYPE_MESSAGES:
        doc.report(path, *_TYPE_MESSAGES[path])
        return
    wanted = " or ".join(_TYPE_NAMES[t] for t in (types if isinstance(types, list) else [types]))
    doc.report(path, f"expected {wanted}, got {show_value(instance)}", description)


def _below(error: ValidationError, path: JsonPath) -> bool:
    inner = tuple(error.absolute_path)
    return len(inner) > len(path) and inner[:len(path)] == path


@functools.cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _shape_message(keyword: object, expected: Any, instance: Any, fallback: str) -> str:
    if keyword == "minimum":
        return f"must be at least {expected}, got {show_value(instance)}"
    if keyword == "maximum":
        return f"must be at most {expected}, got {show_value(instance)}"
    if keyword == "exclusiveMinimum":
        return f"must be greater than {expected}, got {show_value(instance)}"
    if keyword == "minLength":
        return "must not be empty"
    if keyword == "uniqueItems":
        return "lists the same value twice"
    return fallback


def _noun(path: JsonPath) -> tuple[str, str]:
    key = next((p for p in reversed(path) if isinstance(p, str)), "value")
    singular, plural = _NOUNS.get(key, (key, f"{key} values"))
    return (f"claimant {singular}", f"claimant {plural}") if "claimant" in path else (singular, plural)
