"""The fast first parse of a scenario text: JSON with `json`, YAML with libyaml (`yaml.CSafeLoader`) where it is
installed, and one iterative walk that checks what the line-aware parse of `document.py` checks.

It answers the data, or `None` whenever anything is unusual (a syntax error, a duplicate or non-string key, a value
JSON cannot hold, an alias that expands too far or contains itself, nesting deeper than `MAX_DEPTH`, an integer
too long for Python): then the slow, line-aware parse runs and reports the problem with its line. A text that
parses here is parsed once, without lines; `load_scenario` re-parses it with lines only if a later pass finds a
problem to report.
"""

from __future__ import annotations

import json
from typing import Any, Final

import yaml

MAX_DEPTH: Final = 100  # levels of nested lists/mappings in a scenario (a task's input 90 levels deep is fine)
MAX_EXPANSION: Final = 200_000  # values an alias may add by repeating what it names (a YAML "billion laughs")
_SCALARS: Final = (str, int, float, bool, type(None))
_BASE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Unusual(Exception):
    """Something the line-aware parse must look at."""


class _FastLoader(_BASE):  # type: ignore[valid-type,misc]
    """libyaml's parser with the safe constructor, timestamps kept as written (like `document._Loader`), and
    refusing (to the slow path) duplicate and non-string keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge"]
        if len(set(keys)) != len(keys) or any(not isinstance(k, yaml.ScalarNode) for k, _ in node.value):
            raise _Unusual("duplicate or complex key")
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


_FastLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def fast_parse(text: str) -> Any | None:
    """The data of `text`, or None if the line-aware parse must look at it (see the module's doc)."""
    try:
        data = _json(text) if text.lstrip().startswith(("{", "[")) else None
        if data is None:
            data = yaml.load(text, Loader=_FastLoader)  # a SafeLoader (libyaml's)
        return data if data is not None and _plain(data) else None
    except (_Unusual, yaml.YAMLError, ValueError, RecursionError, TypeError):
        return None


def _json(text: str) -> Any | None:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except _Unusual:
        raise
    except ValueError:
        return None  # not JSON (or a number JSON reads but Python refuses): YAML may still read it


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Unusual("duplicate key")
    return out


def _no_constant(name: str) -> Any:
    raise _Unusual(f"{name} is not JSON")


def _plain(data: Any) -> bool:
    """True if `data` holds only JSON values, nests at most MAX_DEPTH levels, contains no container within itself,
    and its shared containers (aliases) add at most MAX_EXPANSION values. Iterative: no recursion limit."""
    sizes: dict[int, int] = {}  # container id → values in it, expanded
    on_path: set[int] = set()
    expansion = 0
    stack: list[tuple[Any, int, bool]] = [(data, 1, False)]
    while stack:
        value, depth, done = stack.pop()
        if isinstance(value, _SCALARS):
            continue
        if not isinstance(value, dict | list) or depth > MAX_DEPTH:
            return False
        if isinstance(value, dict) and not all(isinstance(k, str) for k in value):
            return False
        key = id(value)
        children = list(value.values()) if isinstance(value, dict) else value
        if done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes.get(id(c), 1) for c in children)
            continue
        if key in on_path:
            return False  # contains itself
        if key in sizes:  # seen before: an alias repeats it
            expansion += sizes[key]
            if expansion > MAX_EXPANSION:
                return False
            continue
        on_path.add(key)
        stack.append((value, depth, True))
        stack.extend((child, depth + 1, False) for child in children)
    return True
