"""Scenario files: YAML (or JSON) → a validated `Scenario`: the `Seed` of a world, its clock and its faults.

    document.py  pass 1, parse: line-aware YAML → data + where each value came from; the `Problem`s
    shape.py     pass 2, shape: the JSON Schema shipped as mockserver/scenario.schema.json, in plain words
    faults.py    the `faults:` block: operationIds checked against openapi.yaml (with pass 2), rules built
    meaning.py   pass 3, meaning: unique ids, references to what is declared, claimants against states
    clock.py     the `clock:` block → `ClockSettings`
    build.py     the data of a valid scenario → a `Seed`, with the defaults a real server fills in

Each pass reports every problem it finds before loading gives up; the meaning pass runs only on a well-shaped
document. Every problem names the file, the line, the path in the document (`tasks[1].state`) and, where one
helps, a did-you-mean and a hint. The format is described in docs/scenarios.md.

Layering: imports the domain (and `mockserver.resources` for openapi.yaml's operations) plus yaml and
jsonschema; never the web layer or the control plane (which imports this package).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockserver.domain.faults import FaultRule, Operations
from mockserver.domain.ids import IdGenerator, SequentialIds
from mockserver.domain.world import Seed
from mockserver.scenarios.build import build_seed
from mockserver.scenarios.clock import ClockSettings
from mockserver.scenarios.document import Document, Problem, ScenarioError
from mockserver.scenarios.faults import check_faults, read_faults
from mockserver.scenarios.meaning import check_meaning
from mockserver.scenarios.shape import SCHEMA_PATH, check_shape
from mockserver.scenarios.snapshot import MAX_SCENARIO_BYTES, check_snapshot, too_large

__all__ = ["MAX_SCENARIO_BYTES", "SCHEMA_PATH", "ClockSettings", "Problem", "Scenario", "ScenarioError",
           "check_scenario",
           "load_scenario"]


@dataclass(frozen=True, slots=True)
class Scenario:
    path: Path | None
    seed: Seed
    clock: ClockSettings
    faults: tuple[FaultRule, ...] = ()  # armed by the control plane at every load and reset; not part of the world


def load_scenario(source: Path | str, *, ids: IdGenerator, now_ms: int, text: str | None = None,
                  operations: Operations | None = None) -> Scenario:
    """Load and validate a scenario, raising `ScenarioError` with every problem found.

    `source` names the file in messages; `text`, when given, is parsed instead of reading it. `now_ms` is the
    default createdOn/updatedOn when the scenario has no `clock.start`. `ids` makes the generated ids
    (workflow ids, action log ids): the same text and the same `SequentialIds` seed give the same `Seed`.
    `operations`: what a `faults:` rule may name (default: the operations of the shipped openapi.yaml).
    """
    raw = Path(source).read_bytes() if text is None else text
    doc, data, clock, faults = _check(Document(str(source)), raw, operations)
    if doc.problems and not doc.precise:  # the fast parse has no lines: parse again, with them, to report
        doc, data, clock, faults = _check(Document(str(source), precise=True), raw, operations)
    if data is None or clock is None or doc.problems:
        raise ScenarioError(doc.sorted_problems())
    now = clock.start_ms if clock.start_ms is not None else now_ms
    name = str(data.get("name") or Path(str(source)).stem)
    path = Path(source) if isinstance(source, Path) or text is None else None
    return Scenario(path, build_seed(data, name=name, ids=ids, now=now), clock, faults)


def _check(doc: Document, raw: str | bytes, operations: Operations | None) -> tuple[
        Document, dict[str, Any] | None, ClockSettings | None, tuple[FaultRule, ...]]:
    """Every pass over `raw`, the problems in `doc`."""
    if too_large(doc, raw):
        return doc, None, None, ()
    data = doc.parse(raw)
    if data is not None:
        check_snapshot(doc, raw, data)
        check_shape(doc, data)
        check_faults(doc, data, operations)
    clock = check_meaning(doc, data) if data is not None and not doc.problems else None
    faults = read_faults(doc, data, operations) if data is not None and not doc.problems else ()
    return doc, data, clock, faults


def check_scenario(path: Path) -> list[Problem]:
    """Every problem of the scenario at `path` (`[]` when it loads), its `faults:` included. Raises `OSError` if
    it cannot be read."""
    try:
        load_scenario(path, ids=SequentialIds(), now_ms=0)
    except ScenarioError as error:
        return error.problems
    return []
