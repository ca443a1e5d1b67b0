"""The `faults:` block of a scenario file.

The scenario loader does not know faults (they are the control plane's, not the world's), so before the text
goes to `load_scenario` the block is cut out: its characters are blanked, newlines kept, so every problem the
loader reports still names the right line. The block itself is parsed here, with the same `file:line: path:
message` problems. Shape, one rule per item (see docs/control.md):

    faults:
      - {operationId: claimTask, taskId: invoice-approval-1001, nth: 2, times: 1, status: 503, message: busy}
      - {operationId: updateTaskOutput, drop: true}
      - {operationId: search, latencyMs: 1500, times: 0}
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from mockserver import resources
from mockserver.control.faults import FaultInvalid, FaultRule, Operations, operations_of, parse_rule
from mockserver.domain import SequentialIds
from mockserver.scenarios import Problem, ScenarioError, load_scenario

KEY = "faults"


class _Loader(yaml.SafeLoader):
    """Keeps timestamps as strings, as the scenario loader does."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@functools.cache
def shipped_operations() -> Operations:
    """The operations of the shipped openapi.yaml (read once: faults in a scenario name them)."""
    return operations_of(resources.openapi_document())


def split_faults(source: Path | str, text: str,
                 operations: Operations | None = None) -> tuple[str, tuple[FaultRule, ...]]:
    """`text` without its top-level `faults:` block, and the rules the block declares.

    Raises `ScenarioError` if the block has problems, listing the rest of the scenario's problems too. Text that
    is not a YAML mapping comes back unchanged, for `load_scenario` to report.
    """
    if KEY not in text:
        return text, ()
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if not isinstance(root, yaml.MappingNode):
            return text, ()
        pairs = [(k, v) for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == KEY
                 and k.tag == "tag:yaml.org,2002:str"]
        if not pairs:
            return text, ()
        key, value = pairs[-1]
        data = loader.construct_object(value, deep=True)
    except yaml.YAMLError:
        return text, ()  # the scenario loader reports the syntax error, with its line
    finally:
        loader.dispose()
    stripped = _blank(text, key, value, root) if len(root.value) > 1 else "{}" + "\n" * text.count("\n")
    file = str(source)
    rules: list[FaultRule] = []
    problems: list[Problem] = []
    lines = _lines(key, value)
    if not isinstance(data, list):
        problems.append(Problem(file, lines[(KEY,)], KEY, "expected a list of faults",
                                "faults:\n    - {operationId: claimTask, status: 503}"))
    else:
        for i, item in enumerate(data):
            try:
                rules.append(parse_rule(item, operations or shipped_operations(), (KEY, i)))
            except FaultInvalid as invalid:
                problems += [Problem(file, _line(lines, p.path), _render(p.path), p.message, p.hint)
                             for p in invalid.problems]
    if problems:
        try:
            load_scenario(source, ids=SequentialIds(), now_ms=0, text=stripped)
        except ScenarioError as error:
            problems += error.problems
        raise ScenarioError(sorted(problems, key=lambda p: (p.line is None, p.line or 0)))
    return stripped, tuple(rules)


def _blank(text: str, key: yaml.Node, value: yaml.Node, root: yaml.MappingNode) -> str:
    start, end = key.start_mark.index, value.end_mark.index
    if root.flow_style:  # `{"faults": [...], "name": ...}`: take the comma too
        rest = len(text[end:]) - len(text[end:].lstrip())
        if text[end + rest:end + rest + 1] == ",":
            end += rest + 1
    return text[:start] + "".join(c if c in "\r\n" else " " for c in text[start:end]) + text[end:]


def _lines(key: yaml.Node, value: yaml.Node) -> dict[tuple[str | int, ...], int]:
    lines: dict[tuple[str | int, ...], int] = {(KEY,): key.start_mark.line + 1}
    if isinstance(value, yaml.SequenceNode):
        for i, item in enumerate(value.value):
            lines[(KEY, i)] = item.start_mark.line + 1
            if isinstance(item, yaml.MappingNode):
                for k, v in item.value:
                    lines[(KEY, i, str(k.value))] = v.start_mark.line + 1
    return lines


def _line(lines: dict[tuple[str | int, ...], int], path: tuple[str | int, ...]) -> int:
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return lines[(KEY,)]


def _render(path: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path))
