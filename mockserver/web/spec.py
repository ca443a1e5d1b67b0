"""openapi.yaml compiled, once, into what the HTTP layer needs per operation: how to parse and validate
its path, query and body, and whether it needs a token.

Request validation is driven entirely by the spec: a parameter's schema type decides how its text is
parsed, and jsonschema checks the result. Parsing is as tolerant as Spring (the real server): booleans
`true/false/1/0/yes/no/on/off` in any case, an empty boolean (`?complete=`) is the default, and the first of
repeated scalar parameters wins. In a body, a JSON `null` where the spec allows it on an optional member means
"not given", as Jackson reads it: `absent_nulls` leaves such members out after validation, so a handler never
tells the two apart. JSON itself is strict (`strict_json`): no lone surrogates, no non-finite numbers, bounded
nesting.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Final, Protocol, TypeGuard, runtime_checkable

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockserver.web.fastcheck import Check, compile_check

_ANY = Draft202012Validator({})

# jsonschema ignores OpenAPI's integer formats; a Java server refuses what does not fit, and so do we.
_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("int32")
def _int32(value: object) -> bool:
    return not isinstance(value, int) or isinstance(value, bool) or -(2**31) <= value < 2**31


@_FORMATS.checks("int64")
def _int64(value: object) -> bool:
    return not isinstance(value, int) or isinstance(value, bool) or -(2**63) <= value < 2**63


@runtime_checkable
class _MultiValues(Protocol):
    def getlist(self, key: str) -> list[str]: ...


MAX_JSON_DEPTH: Final = 64  # arrays and objects nested in one another; Orkes bodies need fewer than 10
_TRIM: Final = "".join(map(chr, range(0x21)))  # what Java's String.trim drops
_TRUE: Final = frozenset({"true", "1", "yes", "on"})
_FALSE: Final = frozenset({"false", "0", "no", "off"})
# where a lone surrogate can hide: a \\uD800-\\uDFFF escape, or the raw bytes of one (json decodes bytes leniently)
_MAYBE_SURROGATE: Final = re.compile(rb"\\[uU][dD][89a-fA-F]|\xed[\xa0-\xbf]")

HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
SPEC_URI = "urn:conductor-mock:openapi"


class RequestInvalid(Exception):
    """A request that does not match the spec. `parameter` names the offending part."""

    def __init__(self, parameter: str, message: str, invalid_value: Any = None) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message
        self.invalid_value = invalid_value


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    location: str
    required: bool
    kind: str
    default: Any
    validator: Draft202012Validator
    item_kind: str = "string"
    plain: bool = False
    min_length: int = 0  # of a plain string: checked here, jsonschema only words the refusal
    check: Check | None = None  # `validator` compiled to a predicate (`fastcheck`): a quick yes, else jsonschema

    def parse_all(self, raws: list[str]) -> Any:
        """An array parameter (`?iteration=1&iteration=2`): each item parsed by `items.type`."""
        item = Parameter(self.name, self.location, False, self.item_kind, None, _ANY)
        value = [item.parse(raw) for raw in raws]
        error = best_match(self.validator.iter_errors(value))
        if error is not None:
            raise RequestInvalid(self.name, f"Invalid value for {self.location} parameter '{self.name}': "
                                 f"{error.message}", raws)
        return value

    def parse(self, raw: str) -> Any:
        value: Any = raw
        if self.kind == "boolean":
            lowered = raw.strip(_TRIM).lower()
            if lowered not in _TRUE | _FALSE:
                raise RequestInvalid(self.name, f"Invalid value '{raw}' for {self.location} parameter '{self.name}': "
                                     "expected true/false, 1/0, yes/no or on/off", raw)
            value = lowered in _TRUE
        elif self.kind == "integer":
            try:
                value = int(raw.strip())
            except ValueError:
                raise RequestInvalid(self.name, f"Invalid value '{raw}' for {self.location} parameter "
                                     f"'{self.name}': expected an integer", raw) from None
        if self.plain and len(value) >= self.min_length:
            return value  # a string with no other constraint: nothing for jsonschema to check
        if self.check is not None and self.check(value):
            return value
        error = best_match(self.validator.iter_errors(value))
        if error is not None:
            raise RequestInvalid(self.name, f"Invalid value '{raw}' for {self.location} parameter "
                                 f"'{self.name}': {error.message}", raw)
        return value


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str
    path: str
    parameters: tuple[Parameter, ...]
    body: Draft202012Validator | None
    body_required: bool
    secured: bool
    tidy_body: Callable[[Any], Any]  # after validation: `absent_nulls` over the body's schema
    body_check: Check | None = None  # `body` compiled to a predicate (`fastcheck`): a quick yes, else jsonschema

    def parse_params(self, location: str, values: Mapping[str, str]) -> dict[str, Any]:
        parsed: dict[str, Any] = {}
        for param in self.parameters:
            if param.location != location:
                continue
            if param.kind == "array":
                raws = values.getlist(param.name) if _is_multi(values) else []
                parsed[param.name] = param.parse_all(raws) if raws else param.default
                continue
            raw = _first(values, param.name)
            if raw is not None and param.kind == "boolean" and not raw.strip(_TRIM):
                raw = None  # Spring: an empty value is no value, so the default (or a missing required one)
            if raw is None:
                if param.required:
                    raise RequestInvalid(param.name, f"Missing required {location} parameter '{param.name}'")
                parsed[param.name] = param.default
            else:
                parsed[param.name] = param.parse(raw)
        return parsed

    def parse_body(self, raw: bytes) -> Any:
        if self.body is None:
            return None  # the operation takes no body: SDKs send `{}` or nothing, both are fine
        if not raw.strip():
            if self.body_required:
                raise RequestInvalid("body", "Request body is required")
            return None
        value = strict_json(raw)
        quick = self.body_check is not None and self.body_check(value)  # valid: no need for jsonschema
        error = None if quick else best_match(self.body.iter_errors(value))
        if error is not None:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            raise RequestInvalid(f"body{where}", f"Invalid request body at 'body{where}': {error.message}",
                                 error.instance)
        # a JSON null is the literal `null` (it has no escaped spelling): a body without one has no null to drop
        return self.tidy_body(value) if b"null" in raw else value


def _is_multi(values: Mapping[str, str]) -> TypeGuard[_MultiValues]:
    """A multi-dict (query parameters); not a plain dict (path parameters). Cheaper than isinstance of a Protocol,
    which walks the protocol's attributes on every call."""
    return type(values) is not dict and callable(getattr(values, "getlist", None))


def _first(values: Mapping[str, str], name: str) -> str | None:
    """The first value of a repeated parameter, as Spring binds a scalar (starlette's `get` gives the last)."""
    if _is_multi(values):
        found = values.getlist(name)
        return found[0] if found else None
    return values.get(name)


# -- JSON at the door -------------------------------------------------------------------------------------------------

def strict_json(raw: bytes | str) -> Any:
    """`raw` parsed as JSON, refusing what a Java server refuses and what no JSON reply could carry: lone
    surrogates, NaN/Infinity (and numbers too large for a double), nesting deeper than MAX_JSON_DEPTH.
    Raises `RequestInvalid` (400 with the Orkes error body). The one parser of /api and /_mock bodies."""
    try:
        value = _decode(raw)
    except RecursionError:
        raise _not_json(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise _not_json(str(exc)) from None
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if data.count(b"[") + data.count(b"{") > MAX_JSON_DEPTH and _depth(value) > MAX_JSON_DEPTH:
        raise _not_json(f"nested deeper than {MAX_JSON_DEPTH} levels")
    if _MAYBE_SURROGATE.search(data) and _has_lone_surrogate(value):
        raise _not_json("a string holds a lone surrogate (\\ud800-\\udfff without its pair), which is not Unicode")
    return value


class _Rejected(ValueError):
    pass


def _not_json(detail: str) -> RequestInvalid:
    return RequestInvalid("body", f"Request body is not valid JSON: {detail}")


def _non_finite(name: str) -> Any:
    raise _Rejected(f"{name} is not a JSON number (non-finite numbers are refused)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Rejected(f"{text} is too large for a number (non-finite numbers are refused)")
    return value


# One decoder for every body (no per-call state: its scanner's memo is cleared by each call, under the GIL).
# json.loads with these hooks would make a decoder and a scanner per call.
_DECODER: Final = json.JSONDecoder(parse_constant=_non_finite, parse_float=_finite_float)


def _decode(raw: bytes | str) -> Any:
    """`json.loads(raw, parse_constant=_non_finite, parse_float=_finite_float)`, its decoder made once: the same
    text (the encoding of bytes detected as json.loads detects it), the same refusal of a BOM in a str."""
    if isinstance(raw, str):
        if raw.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", raw, 0)
        return _DECODER.decode(raw)
    return _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if deepest > MAX_JSON_DEPTH:
                return deepest
            stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def _has_lone_surrogate(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def compile_operations(document: Mapping[str, Any]) -> list[Operation]:
    """Every operation of the spec, with validators compiled once."""
    registry: Registry[Any] = Registry().with_resource(
        SPEC_URI, Resource.from_contents(dict(document), default_specification=DRAFT202012))
    default_security = document.get("security", [])

    def validator(schema: Mapping[str, Any]) -> Draft202012Validator:
        return Draft202012Validator(_inline(document, schema), registry=registry, format_checker=_FORMATS)

    operations = []
    for path, item in document.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            params = tuple(_parameter(_deref(document, p), validator, document)
                           for p in [*shared, *op.get("parameters", [])])
            body_spec = _deref(document, op["requestBody"]) if "requestBody" in op else None
            body, schema = None, {}
            if body_spec is not None:
                schema = body_spec.get("content", {}).get("application/json", {}).get("schema", {})
                body = validator(schema)
            operations.append(Operation(
                operation_id=op["operationId"], method=method.upper(), path=path, parameters=params, body=body,
                body_required=bool(body_spec and body_spec.get("required")),
                secured=bool(op.get("security", default_security)),
                tidy_body=partial(absent_nulls, schema=schema, document=document),
                body_check=compile_check(body.schema) if body is not None else None,
            ))
    return operations


def _parameter(spec: Mapping[str, Any], validator: Any, document: Mapping[str, Any]) -> Parameter:
    given = spec.get("schema", {})
    schema = {**_deref(document, given), **{key: value for key, value in given.items() if key != "$ref"}}
    compiled = validator(given)
    return Parameter(
        name=spec["name"], location=spec["in"], required=bool(spec.get("required")), kind=_kind(schema),
        default=schema.get("default"), validator=compiled, check=compile_check(compiled.schema),
        item_kind=_kind(schema["items"]) if isinstance(schema.get("items"), dict) else "string",
        plain=_kind(schema) == "string" and set(schema) <= {"type", "description", "minLength"}
        and isinstance(schema.get("minLength", 0), int),
        min_length=schema.get("minLength", 0),
    )


def _kind(schema: Mapping[str, Any]) -> str:
    """How a parameter's text is parsed: by its schema's type; of several, the first that is not a string (a
    query flag, `[boolean, string]`, is a boolean that the spec also lets be spelled as Spring spells it)."""
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        return next((k for k in kind if k not in ("string", "null")), "string")
    return kind if isinstance(kind, str) else "string"


def _deref(document: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


# keywords that do not validate: a ref with only these beside it is inlined (a parameter's `default` is read from
# the parameter's own schema, `_parameter`)
_ANNOTATIONS: Final = frozenset({"$ref", "description", "title", "default", "example", "examples", "deprecated"})


def _inline(document: Mapping[str, Any], schema: Any, chain: tuple[str, ...] = ()) -> Any:
    """`schema` with its local refs replaced by what they point at, once, at start-up: validating then walks plain
    dicts instead of looking every `$ref` up in the registry on every call. A ref with keywords beside it other
    than annotations, or one that recurses, stays a ref (`_rebase`)."""
    if isinstance(schema, list):
        return [_inline(document, v, chain) for v in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and ref not in chain and set(schema) <= _ANNOTATIONS:
        return _inline(document, _deref(document, {"$ref": ref}), (*chain, ref))
    if isinstance(ref, str):
        return _rebase(schema)
    return {k: _inline(document, v, chain) for k, v in schema.items()}


def absent_nulls(value: Any, schema: Mapping[str, Any], document: Mapping[str, Any]) -> Any:
    """`value` (valid against `schema`) without the nulls that mean "not given": the members that a schema of
    it declares in `properties` but not in `required`, whose value is null, at every depth the schema describes
    (properties, array items, `allOf`/`anyOf`/`oneOf` branches, through `$ref`s). A null anywhere else (in a
    free-form map such as a form's output or a workflow's input) is data, and stays."""
    branches = _branches(schema, document)
    if isinstance(value, dict):
        optional = {name for branch in branches for name in branch.get("properties", {})
                    if name not in branch.get("required", ())}
        return {key: _tidy(member, [b["properties"][key] for b in branches if key in b.get("properties", {})],
                           document)
                for key, member in value.items() if member is not None or key not in optional}
    if isinstance(value, list):
        items = [branch["items"] for branch in branches if isinstance(branch.get("items"), dict)]
        return [_tidy(item, items, document) for item in value]
    return value


def _tidy(value: Any, schemas: list[Mapping[str, Any]], document: Mapping[str, Any]) -> Any:
    if not isinstance(value, dict | list):
        return value
    for schema in schemas:
        value = absent_nulls(value, schema, document)
    return value


def _branches(schema: Mapping[str, Any], document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """`schema` (dereferenced) and, recursively, the branches of its `allOf`, `anyOf` and `oneOf`."""
    schema = _deref(document, schema)
    found = [schema]
    for keyword in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(keyword, ()):
            found.extend(_branches(branch, document))
    return found


def _rebase(schema: Any) -> Any:
    """Point local `#/...` refs at the spec resource, so a sub-schema validates with the whole document."""
    if isinstance(schema, dict):
        return {k: (SPEC_URI + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else _rebase(v))
                for k, v in schema.items()}
    if isinstance(schema, list):
        return [_rebase(v) for v in schema]
    return schema


def operation_ids(document: Mapping[str, Any]) -> Iterator[str]:
    for item in document.get("paths", {}).values():
        for method, op in item.items():
            if method in HTTP_METHODS:
                yield op["operationId"]
