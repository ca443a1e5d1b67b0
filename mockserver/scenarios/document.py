"""Pass 1: the text of a scenario → its data, where each value came from, and the problems found on the way.

YAML syntax, an empty file, a top level that is not a mapping, duplicate or non-string keys, values YAML can
hold but JSON cannot, and alias bombs are reported here. `Document` also collects the problems of the later
passes, each with the line of the value it is about.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import yaml

from mockserver.domain.errors import show_value
from mockserver.scenarios.fast import MAX_DEPTH, MAX_EXPANSION, fast_parse

JsonPath = tuple[str | int, ...]

_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_YAML_HINTS: Final = {"mapping values are not allowed here": "quote a value that contains ': ' "
                      "(displayName: \"Approve: invoice\")",
                      "found character '\\t' that cannot start any token": "indent with spaces, not tabs"}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a scenario. `str()` gives `file:line: path: message`, then the hint indented."""

    file: str
    line: int | None
    path: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        head = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return head if self.hint is None else f"{head}\n  {self.hint}"


class ScenarioError(Exception):
    """A scenario that cannot be loaded. `str()` lists every problem, in file order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def render_path(path: JsonPath) -> str:
    """`("tasks", 1, "state")` → `tasks[1].state`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as the strings the author wrote: `clock.start` is parsed by us, and a date
    in a task's input stays a string, as it would arrive in JSON."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class Document:
    """The parsed scenario, where each value came from, and the problems found so far."""

    file: str
    lines: dict[JsonPath, int] = field(default_factory=dict)  # value path → line of its node
    key_lines: dict[JsonPath, int] = field(default_factory=dict)  # value path → line of its key
    problems: list[Problem] = field(default_factory=list)
    precise: bool = False  # False: try the fast parse first (no lines); True: the line-aware parse only
    _expanded: int = 0  # values repeated by aliases so far
    _seen: set[int] = field(default_factory=set)  # ids of the nodes constructed so far

    def report(self, path: JsonPath, message: str, hint: str | None = None, *, at_key: bool = False) -> None:
        line = self.key_lines.get(path) if at_key else None
        self.problems.append(Problem(self.file, line or self.line(path), render_path(path), message, hint))

    def line(self, path: JsonPath) -> int | None:
        """The line of `path`, or of its nearest ancestor that is in the file (a missing key has no line)."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def sorted_problems(self) -> list[Problem]:
        return sorted(self.problems, key=lambda p: (p.line is None, p.line or 0))

    def parse(self, text: str | bytes) -> dict[str, Any] | None:
        """The document's top-level mapping, or `None` (with the problem reported) if there is none."""
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as error:
                self.report((), f"the file is not UTF-8 text (byte {error.start})")
                return None
        if not self.precise:
            fast = fast_parse(text)
            if fast is not None:
                return self._top_level(fast, empty=False)
            self.precise = True
        return self._parse_precisely(text)

    def _parse_precisely(self, text: str) -> dict[str, Any] | None:
        if "\t" in text and _is_json(text):
            text = text.replace("\t", " ")  # PyYAML refuses tab indentation; in valid JSON a raw tab is only space
        try:
            loader = _Loader(text)
        except yaml.reader.ReaderError as error:  # a NUL byte or another character YAML does not allow
            line = text[:error.position].count("\n") + 1
            self.problems.append(Problem(self.file, line, "", f"invalid YAML: character {_code(error.character)} is "
                                         "not allowed", "remove the control character (a scenario is text)"))
            return None
        try:
            node = loader.get_single_node()
            data = None if node is None else self._construct(loader, node, (), ())
        except yaml.MarkedYAMLError as error:
            self.problems.append(_syntax_problem(self.file, error))
            return None
        except yaml.YAMLError as error:
            self.report((), f"invalid YAML: {_one_line(error)}")
            return None
        except RecursionError:
            self.report((), f"the document nests too deeply (at most {MAX_DEPTH} levels of lists and mappings)")
            return None
        finally:
            loader.dispose()
        return self._top_level(data, empty=node is None)

    def _top_level(self, data: Any, *, empty: bool) -> dict[str, Any] | None:
        if empty:
            self.report((), "the file is empty", "a scenario is a mapping: start with `description: ...`")
            return None
        if not isinstance(data, dict):
            self.report((), f"the top level must be a mapping of keys (description, users, tasks, ...), got "
                        f"{show_value(data)}", "see docs/scenarios.md for the format")
            return None
        return data

    def _construct(self, loader: _Loader, node: yaml.Node, path: JsonPath, stack: tuple[yaml.Node, ...]) -> Any:
        self.lines[path] = node.start_mark.line + 1
        if id(node) in self._seen:  # an alias: count what it repeats, not the values written out once
            self._expanded += 1
            if self._expanded > MAX_EXPANSION:
                if self._expanded == MAX_EXPANSION + 1:
                    self.report(path, f"aliases expand too far (more than {MAX_EXPANSION} repeated values)")
                return None
        if any(n is node for n in stack):
            self.report(path, "an alias refers to a value that contains it (a recursive structure)")
            return None
        if len(stack) >= MAX_DEPTH and isinstance(node, yaml.CollectionNode):
            self.report(path, f"nested too deeply (at most {MAX_DEPTH} levels of lists and mappings)")
            return None
        self._seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            return self._construct_mapping(loader, node, path, (*stack, node))
        if isinstance(node, yaml.SequenceNode):
            return [self._construct(loader, item, (*path, i), (*stack, node)) for i, item in enumerate(node.value)]
        try:
            value = loader.construct_object(node)
        except ValueError:  # an integer longer than Python converts (4300 digits)
            self.report(path, f"the number has {len(node.value)} digits, too many to be read",
                        "quote it to keep it as a string")
            return None
        if value is not None and not isinstance(value, str | int | float | bool):
            self.report(path, f"unsupported value of type {type(value).__name__} (tag {node.tag})",
                        "use a string, a number, true/false, null, a list or a mapping")
            return None
        return value

    def _construct_mapping(self, loader: _Loader, node: yaml.MappingNode, path: JsonPath,
                           stack: tuple[yaml.Node, ...]) -> dict[str, Any]:
        self._check_duplicate_keys(loader, node, path)
        loader.flatten_mapping(node)  # resolve `<<: *anchor` merges; own keys come last and win
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                self.problems.append(Problem(self.file, key_node.start_mark.line + 1, render_path(path),
                                             f"key {show_value(key)} is not a string",
                                             f"quote it: '{getattr(key_node, 'value', '')}': ..."))
                continue
            self.key_lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = self._construct(loader, value_node, (*path, key), stack)
        return out

    def _check_duplicate_keys(self, loader: _Loader, node: yaml.MappingNode, path: JsonPath) -> None:
        """YAML silently keeps the last of two equal keys: catch it before the mapping is built."""
        first_seen: dict[tuple[type, Any], int] = {}  # by type too: `1` and `true` are different keys
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key, line = loader.construct_object(key_node), key_node.start_mark.line + 1
                if (type(key), key) in first_seen:
                    self.problems.append(Problem(self.file, line, render_path((*path, str(key))),
                                                 f"duplicate key {key!r} (first at line {first_seen[type(key), key]})",
                                                 "YAML keeps only the last value: remove one of them"))
                first_seen.setdefault((type(key), key), line)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _code(character: int | str) -> str:
    return f"U+{character if isinstance(character, int) else ord(character):04X}"


def _one_line(error: yaml.YAMLError) -> str:
    return " ".join(str(error).split())


def _syntax_problem(file: str, error: yaml.MarkedYAMLError) -> Problem:
    mark, problem = error.problem_mark or error.context_mark, error.problem or str(error)
    hint = _YAML_HINTS.get(problem)
    if hint is None and error.context:
        hint = error.context + (f" started at line {error.context_mark.line + 1}" if error.context_mark else "")
    if mark is not None:
        hint = f"column {mark.column + 1}" + (f": {hint}" if hint else "")
    return Problem(file, mark.line + 1 if mark else None, "", f"invalid YAML: {problem}", hint)
