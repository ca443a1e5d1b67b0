#!/usr/bin/env python3
"""Merge scripts/spec_additions.yaml into openapi.yaml.

    .venv/bin/python scripts/merge_spec_additions.py                # merge into openapi.yaml (in place)
    .venv/bin/python scripts/merge_spec_additions.py --check        # merge and check, write nothing
    .venv/bin/python scripts/merge_spec_additions.py --spec /tmp/openapi.yaml --output /tmp/merged.yaml

What merges where:
* `paths`: by path, then by method. A new path is appended; a new method joins an existing path.
* `components`: by section (`schemas`, `responses`, ...), then by name. A new section or name is appended.
* `tags` (top level): by tag `name`; new tags are appended.

Anything else in the additions is refused. A name that exists on both sides is a collision, and fails the
merge unless both definitions are identical (so re-running the merge changes nothing). The merged document
must also have unique operationIds, no two paths that differ only in their parameter names
(`/workflow/{name}` vs `/workflow/{workflowId}`), local `$ref`s and link `operationId`s that resolve, and
(unless `--no-validate`) examples and parameter defaults that match their schemas, checked with jsonschema's
Draft 2020-12 validator and a registry holding the whole document, plus openapi-spec-validator when it is
installed. On any problem every problem is printed and nothing is written.

The output keeps the original key order (additions come after the existing entries of each mapping) and is
written in block style, without aliases, wrapped at 120 columns (PyYAML's soft limit: a line may run one
word past it), with multi-line text as literal blocks, and with blank lines before `paths` and `components`
and between paths, component sections and schemas. Flow-style bits of the original (`tags: [token]`) and
folded `>-` text come out as block lists and plain scalars: same content, different spelling.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

ROOT = Path(__file__).resolve().parent.parent
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SPEC_URI = "urn:conductor-mock:openapi"


class MergeError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# -- loading ---------------------------------------------------------------------------------------------

class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping with the same key twice (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, f"found duplicate key {key!r}", key_node.start_mark)
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: safe
    if not isinstance(document, dict):
        raise MergeError([f"{path}: expected a YAML mapping at the top level"])
    return document


# -- merging ---------------------------------------------------------------------------------------------

def merge(spec: dict[str, Any], additions: dict[str, Any]) -> dict[str, Any]:
    """A merged copy of `spec`; raises MergeError listing every collision."""
    merged = copy.deepcopy(spec)
    problems: list[str] = []
    unknown = sorted(set(additions) - {"paths", "components", "tags"})
    if unknown:
        problems.append(f"additions: unsupported top-level keys {unknown} (only paths, components, tags)")

    for path, item in (additions.get("paths") or {}).items():
        _merge_entries(merged.setdefault("paths", {}), path, item, f"paths.{path}", problems)

    for section, entries in (additions.get("components") or {}).items():
        if not isinstance(entries, dict):
            problems.append(f"components.{section}: expected a mapping of names to definitions")
            continue
        target = merged.setdefault("components", {}).setdefault(section, {})
        for name, definition in entries.items():
            _merge_definition(target, name, definition, f"components.{section}.{name}", problems)

    tags = merged.setdefault("tags", []) if additions.get("tags") else merged.get("tags", [])
    by_name = {tag.get("name"): tag for tag in tags}
    for tag in additions.get("tags") or []:
        name = tag.get("name")
        if name not in by_name:
            tags.append(copy.deepcopy(tag))
            by_name[name] = tag
        elif by_name[name] != tag:
            problems.append(f"tags.{name}: collides with a different existing tag:\n"
                            f"    existing: {by_name[name]}\n    addition: {tag}")

    if problems:
        raise MergeError(problems)
    return merged


def _merge_entries(paths: dict[str, Any], path: str, item: Any, where: str, problems: list[str]) -> None:
    """A path item merges method by method (and path-level field by field) into an existing one."""
    if path not in paths:
        paths[path] = copy.deepcopy(item)
        return
    if not isinstance(item, dict) or not isinstance(paths[path], dict):
        _merge_definition(paths, path, item, where, problems)
        return
    for key, value in item.items():
        _merge_definition(paths[path], key, value, f"{where}.{key}", problems)


def _merge_definition(target: dict[str, Any], name: str, definition: Any, where: str, problems: list[str]) -> None:
    if name not in target:
        target[name] = copy.deepcopy(definition)
    elif target[name] != definition:
        problems.append(f"{where}: collides with a different existing definition (identical ones are fine); "
                        f"first difference at {_first_difference(target[name], definition) or '(top)'}")


def _first_difference(a: Any, b: Any, at: str = "") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            if key not in a or key not in b:
                return f"{at}.{key}"
            found = _first_difference(a[key], b[key], f"{at}.{key}")
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, f"{at}[{n}]")
            if found is not None:
                return found
        return None
    return None if a == b else at


# -- checks of the merged document -----------------------------------------------------------------------

def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in (document.get("paths") or {}).items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def check_structure(document: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    seen_ids: dict[str, str] = {}
    for path, method, operation in operations(document):
        op_id = str(operation.get("operationId"))
        if op_id in seen_ids:
            problems.append(f"operationId {op_id} is used by both {seen_ids[op_id]} and {method.upper()} {path}")
        seen_ids[op_id] = f"{method.upper()} {path}"

    shapes: dict[str, str] = {}
    for path in document.get("paths") or {}:
        shape = re.sub(r"\{[^}/]+\}", "{}", path)
        if shape in shapes:
            problems.append(f"paths {shapes[shape]} and {path} differ only in parameter names: OpenAPI forbids it, "
                            "and the mock's router would send every request to whichever comes first; use one path")
        shapes[shape] = path

    for where, ref in _refs(document, ""):
        if ref.startswith("#") and _resolve(document, ref) is None:
            problems.append(f"{where}: $ref {ref} does not resolve")

    links = [(f"components.links.{name}", link) for name, link in
             ((document.get("components") or {}).get("links") or {}).items()]
    for path, method, operation in operations(document):
        for status, response in (operation.get("responses") or {}).items():
            for name, link in (response.get("links") or {}).items():
                links.append((f"{method.upper()} {path} {status} links.{name}", link))
    for where, link in links:
        if "$ref" in link:
            continue
        target = next((op for _, _, op in operations(document) if op.get("operationId") == link.get("operationId")),
                      None)
        if target is None:
            problems.append(f"{where}: operationId {link.get('operationId')} does not exist")
            continue
        names = {_deref(document, p).get("name") for p in target.get("parameters", [])}
        for parameter in link.get("parameters") or {}:
            if parameter.split(".")[-1] not in names:
                problems.append(f"{where}: {link['operationId']} has no parameter {parameter}")
    return problems


def _refs(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield where or "(root)", value
            elif key in ("example", "value", "default", "enum", "const"):
                continue  # example data, not part of the document's structure
            elif key != "examples" or isinstance(value, dict):  # a schema's `examples` list is data too
                yield from _refs(value, f"{where}.{key}" if where else str(key))
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _refs(value, f"{where}[{n}]")


def _resolve(document: dict[str, Any], ref: str) -> Any:
    target: Any = document
    for part in ref.removeprefix("#/").split("/") if ref != "#" else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(target, dict) or part not in target:
            return None
        target = target[part]
    return target


def _deref(document: dict[str, Any], node: Any) -> Any:
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 50:
        node, seen = _resolve(document, node["$ref"]), seen + 1
    return node if node is not None else {}


def _pointer(parts: list[str]) -> str:
    return "#/" + "/".join(quote(p.replace("~", "~0").replace("/", "~1"), safe="") for p in parts)


def check_examples(document: dict[str, Any]) -> tuple[list[str], int]:
    """Every example (media type `example`/`examples`, parameter examples and defaults, schema `examples`)
    against its schema. Returns (problems, number of values checked)."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry: Registry[Any] = Registry().with_resource(
        SPEC_URI, Resource.from_contents(document, default_specification=DRAFT202012))
    problems: list[str] = []
    done: set[tuple[str, int]] = set()

    def validate(value: Any, schema_pointer: list[str], where: str) -> None:
        pointer = _pointer(schema_pointer)
        if (pointer, id(value)) in done:  # a shared response or parameter, already checked
            return
        done.add((pointer, id(value)))
        validator = Draft202012Validator({"$ref": SPEC_URI + pointer}, registry=registry)
        for error in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path)):
            at = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            problems.append(f"{where}{at}: {error.message}")

    def media(content_pointer: list[str], content: dict[str, Any], where: str) -> None:
        for media_type, media_object in (content or {}).items():
            if "schema" not in media_object:
                continue
            schema_at = [*content_pointer, media_type, "schema"]
            if "example" in media_object:
                validate(media_object["example"], schema_at, f"{where} {media_type} example")
            for name, example in (media_object.get("examples") or {}).items():
                resolved = _deref(document, example)
                if "value" in resolved:
                    validate(resolved["value"], schema_at, f"{where} {media_type} examples.{name}")

    def parameter(pointer: list[str], spec: Any, where: str) -> None:
        target = _deref(document, spec)
        if "$ref" in spec:
            pointer = _ref_parts(spec["$ref"])
        if "schema" not in target:
            return
        schema_at = [*pointer, "schema"]
        where = f"{where} parameter {target.get('name')}"
        if "default" in target["schema"]:
            validate(target["schema"]["default"], schema_at, f"{where} default")
        if "example" in target:
            validate(target["example"], schema_at, f"{where} example")
        for name, example in (target.get("examples") or {}).items():
            resolved = _deref(document, example)
            if "value" in resolved:
                validate(resolved["value"], schema_at, f"{where} examples.{name}")

    def response(pointer: list[str], spec: Any, where: str) -> None:
        if "$ref" in spec:
            pointer = _ref_parts(spec["$ref"])
        target = _deref(document, spec)
        media([*pointer, "content"], target.get("content") or {}, where)

    for path, item in (document.get("paths") or {}).items():
        for n, spec in enumerate(item.get("parameters") or []):
            parameter(["paths", path, "parameters", str(n)], spec, path)
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            at = ["paths", path, method]
            where = f"{method.upper()} {path}"
            for n, spec in enumerate(operation.get("parameters") or []):
                parameter([*at, "parameters", str(n)], spec, where)
            if "requestBody" in operation:
                response([*at, "requestBody"], operation["requestBody"], f"{where} requestBody")
            for status, spec in (operation.get("responses") or {}).items():
                response([*at, "responses", str(status)], spec, f"{where} {status}")

    components = document.get("components") or {}
    for name in components.get("responses") or {}:
        response(["components", "responses", name], components["responses"][name], f"components.responses.{name}")
    for name in components.get("parameters") or {}:
        parameter(["components", "parameters", name], components["parameters"][name], "components.parameters")
    for name, schema in (components.get("schemas") or {}).items():
        for n, example in enumerate(schema.get("examples") or [] if isinstance(schema, dict) else []):
            validate(example, ["components", "schemas", name], f"components.schemas.{name} examples[{n}]")
    return problems, len(done)


def _ref_parts(ref: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in ref.removeprefix("#/").split("/")]


def check_openapi(document: dict[str, Any]) -> list[str]:
    try:
        from openapi_spec_validator import validate
    except ImportError:  # a dev dependency: skip when absent, and say so
        print("merge_spec_additions: openapi-spec-validator not installed; skipping the OpenAPI check",
              file=sys.stderr)
        return []
    try:
        validate(copy.deepcopy(document))
    except Exception as error:  # its errors share no public base class worth naming
        return [f"openapi-spec-validator: {error}"]
    return []


# -- writing ---------------------------------------------------------------------------------------------

class _Dumper(yaml.SafeDumper):
    """Block style, no aliases, sequences indented under their key, multi-line text as literal blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def dump(document: dict[str, Any]) -> str:
    text = yaml.dump(document, Dumper=_Dumper, default_flow_style=False, sort_keys=False, width=120,
                     allow_unicode=True, indent=2)
    spaced = _add_blank_lines(text)
    if yaml.safe_load(spaced) != document:  # the blank lines must never change the content
        raise MergeError(["internal error: the written YAML does not read back as the merged document"])
    return spaced


def _add_blank_lines(text: str) -> str:
    """A blank line before `paths` and `components`, each path, each components section and each schema."""
    out: list[str] = []
    top = section = None
    first_in: set[tuple[str | None, str | None, int]] = set()
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        is_key = bool(re.match(r"[^\s#-][^:]*:( |$)|'[^']*':( |$)|\"[^\"]*\":( |$)", line.lstrip(" ")))
        blank = False
        if indent == 0 and is_key:
            top, section = line.split(":")[0], None
            blank = top in ("paths", "components", "webhooks")
        elif indent == 2 and is_key and top in ("paths", "components"):
            section = line.strip().split(":")[0] if top == "components" else None
            blank = (top, None, 2) in first_in
            first_in.add((top, None, 2))
        elif indent == 4 and is_key and top == "components" and section == "schemas":
            blank = (top, section, 4) in first_in
            first_in.add((top, section, 4))
        if blank and out and out[-1] != "":
            out.append("")
        out.append(line)
    return "\n".join(out) + "\n"


def write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# -- main --------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spec", type=Path, default=ROOT / "openapi.yaml", help="the OpenAPI document to extend")
    parser.add_argument("--additions", type=Path, default=ROOT / "scripts" / "spec_additions.yaml")
    parser.add_argument("--output", type=Path, help="where to write the result (default: --spec, in place)")
    parser.add_argument("--check", action="store_true", help="merge and check only; write nothing")
    parser.add_argument("--no-validate", action="store_true",
                        help="skip the example and openapi-spec-validator checks (the structural ones still run)")
    args = parser.parse_args(argv)

    try:
        spec, additions = load(args.spec), load(args.additions)
        merged = merge(spec, additions)
        problems = check_structure(merged)
        checked = 0
        if not args.no_validate:
            example_problems, checked = check_examples(merged)
            problems += example_problems + check_openapi(merged)
        if problems:
            raise MergeError(problems)
        text = dump(merged)
    except MergeError as error:
        print(f"merge_spec_additions: FAILED, nothing written ({len(error.problems)} problem(s)):", file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    except (OSError, yaml.YAMLError) as error:
        print(f"merge_spec_additions: FAILED, nothing written: {error}", file=sys.stderr)
        return 1

    before = {(p, m) for p, m, _ in operations(spec)}
    added = [f"{m.upper()} {p} ({op['operationId']})" for p, m, op in operations(merged) if (p, m) not in before]
    output = args.output or args.spec
    summary = f"{len(added)} operation(s) added" + (f", {checked} example(s)/default(s) validated" if checked else "")
    if args.check:
        print(f"merge_spec_additions: OK (check only, nothing written): {summary}")
    else:
        write_atomically(output, text)
        print(f"merge_spec_additions: wrote {output}: {summary}")
    for line in added:
        print(f"  + {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
