"""The control plane's operations on a running mock, with no HTTP in them: reset, load (replace or merge),
export, the clock, and the journal and fault book that live across worlds.

`api.py` maps these to `/_mock/*` endpoints; tests may call them directly. The refusals it raises
(`LoadingDisabled`, `UnknownScenarioFile`) are rows of the one error table, `web/errors.py`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from anyio import to_thread

from mockserver import resources
from mockserver.control.export import dump, export_world
from mockserver.control.faults import FaultBook, FaultRule, did_you_mean, operations_of, parse_rule
from mockserver.control.journal import DEFAULT_CAPACITY, Journal
from mockserver.control.timeparse import format_instant
from mockserver.domain import (
    HumanTask,
    ManualClock,
    SequentialIds,
    World,
)
from mockserver.domain.weak import weak_method
from mockserver.domain.world import Seed
from mockserver.scenarios import Problem, Scenario, ScenarioError, load_scenario
from mockserver.scenarios.fast import MAX_DEPTH
from mockserver.web.errors import LoadingDisabled, UnknownScenarioFile
from mockserver.web.state import MockState

# The request a change belongs to. Set per request by the control API's wrappers (of /api and /_mock calls);
# the journal reads it when the store reports a change.
REQUEST_ID: ContextVar[str | None] = ContextVar("conductor_mock_request_id", default=None)
CONTROL_ACTOR = "control"


class Prepared(Protocol):
    """A validated scenario and how to build its world (what the composition root's loader returns)."""

    @property
    def scenario(self) -> Scenario: ...

    @property
    def build(self) -> Callable[[], World]: ...

    @property
    def faults(self) -> tuple[FaultRule, ...]: ...


class ScenarioLoader(Protocol):
    """Validates a scenario text (raising `ScenarioError`) and makes its world: given by the composition root
    (`mockserver.app`), with the server's id seed."""

    def load(self, source: Path, text: str) -> Prepared: ...


class ExportTooDeep(Exception):
    """A value of the world (a task's input or output) nests too deeply to be written as a scenario."""

    message = ("The world cannot be exported: a task's input or output nests too deeply to be written "
               f"(more than {MAX_DEPTH} levels); update or delete that task, then export again")


@dataclass(frozen=True)
class ControlSettings:
    """`loader`: loads a scenario sent to `PUT /_mock/scenario`; without it, loading answers 501. `faults`: the start
    scenario's, armed at start and on every reset. `token`: if set, every /_mock call needs
    `Authorization: Bearer <token>`."""

    journal_size: int = DEFAULT_CAPACITY
    token: str | None = None
    faults: tuple[FaultRule, ...] = ()
    loader: ScenarioLoader | None = None
    settle: Callable[[], None] | None = None  # after each new world is in (serve: the collector's, see web/collector)


@dataclass
class Merged:
    added: dict[str, int] = field(default_factory=dict)
    replaced: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, existing: Mapping[Any, Any], incoming: list[Any], key: Callable[[Any], Any]) -> None:
        replaced = sum(1 for item in incoming if key(item) in existing)
        self.added[kind], self.replaced[kind] = len(incoming) - replaced, replaced


class ControlPlane:
    """Owns the journal and the fault book (which outlive any one world) and swaps worlds in `state`."""

    def __init__(self, state: MockState, spec: Mapping[str, Any], settings: ControlSettings | None = None) -> None:
        self.state = state
        self.settings = settings or ControlSettings()
        self.journal = Journal(self.settings.journal_size)
        self.faults = FaultBook(operations_of(spec))
        self.faults.replace(self.settings.faults)
        self.openapi_version = str(spec.get("info", {}).get("version", ""))
        self._request_ids = itertools.count(1)  # next() on a count is atomic in CPython
        state.on_new_world(weak_method(self._attach))  # no cycle plane -> state -> plane: see domain/weak
        self._attach(state.world)
        if self.settings.settle is not None:
            state.after_new_world(self.settings.settle)
            self.settings.settle()  # this plane's first world (a new namespace's)

    # -- per request -------------------------------------------------------------------------------------

    def new_request_id(self) -> str:
        """UUID-shaped like the world's ids (`SequentialIds`), with `ffff` where they have the seed: never equal
        to one of them, and never repeated, since the counter outlives resets."""
        return f"00000000-0000-4000-8000-ffff{next(self._request_ids):08x}"

    def _attach(self, world: World) -> None:
        journal, clock = self.journal, world.clock

        def record(before: HumanTask, after: HumanTask) -> None:
            journal.record_change(before, after, now_ms=clock.now_ms(), request_id=REQUEST_ID.get())

        world.tasks.subscribe(record)

    # -- the world -----------------------------------------------------------------------------------------

    @property
    def world(self) -> World:
        return self.state.world

    def summary(self) -> dict[str, Any]:
        world = self.world
        return {"scenario": world.name, "tasks": len(world.tasks), "principals": len(world.directory.principals),
                "templates": len(world.templates.all()), "faults": len(self.faults), "clock": self.clock(),
                "journalSeq": self.journal.last_seq}

    # -- the seam of a shared backend (mockserver/replica): changes by name ----------------------------------
    # In memory every change is applied here at once; a shared backend's plane (`ReplicatedPlane`) overrides the
    # async methods so that each change goes through its log and is applied, by `execute`, in every process.

    shared = False  # True for a plane whose changes go through a shared log
    store_name = "memory"  # where its world lives (the shared store's URL, without its password)

    async def ready(self) -> None:
        """Make the world current before a call reads it (a shared backend catches up with its log)."""

    async def change(self, command: str, args: Mapping[str, Any]) -> Any:
        """Apply the named change (see `execute`) and return its result."""
        return self.execute(command, args)

    async def load_text(self, source: Path, text: str) -> dict[str, Any]:
        """`load`, with the slow half (parse, validate, build) in a worker thread."""
        return self.commit_load(await to_thread.run_sync(self.prepare_load, source, text))

    async def merge_text(self, source: Path, text: str) -> dict[str, Any]:
        """`merge`, with the slow half (parse, validate) in a worker thread."""
        parsed = await to_thread.run_sync(self.prepare_merge, source, text)
        return self.commit_merge(parsed, source, text)

    async def take_fault(self, operation_id: str, task_id: str | None) -> FaultRule | None:
        """Count a call against the armed faults (`FaultBook.on_call`)."""
        return self.faults.on_call(operation_id, task_id)

    def execute(self, command: str, args: Mapping[str, Any]) -> Any:
        """Apply one change by name: the vocabulary a shared log replays. Raises what the change raises (nothing
        changed then)."""
        if command == "reset":
            return self.reset()
        if command == "load":
            return self.load(Path(args["source"]), args["text"])
        if command == "merge":
            return self.merge(Path(args["source"]), args["text"])
        if command == "advanceClock":
            return self.advance_clock(int(args["ms"]))
        if command == "setClock":
            return self.set_clock(int(args["nowMs"]))
        if command == "addFault":
            return self.faults.add(parse_rule(args["rule"], self.faults.operations)).to_json()
        if command == "clearFaults":
            return self.faults.clear()
        if command == "deleteFault":
            removed = self.faults.remove(args["id"])
            return removed.to_json() if removed is not None else None
        if command == "clearJournal":
            return self.journal.clear()
        if command == "takeFault":
            return self.faults.on_call(args["operation"], args.get("taskId"))
        raise ValueError(f"unknown control change {command!r}")

    def restart(self, world: World, faults: tuple[FaultRule, ...]) -> None:
        """Start over on `world` as a new namespace would: an empty journal, `faults` armed."""
        self.journal = Journal(self.settings.journal_size)
        self.state.replace(world)
        self.faults.replace(faults)

    def reset(self) -> dict[str, Any]:
        """Back to the scenario the server started with (its world, clock and faults), whatever was loaded since."""
        world = self.state.reset()
        self.faults.replace(self.settings.faults)
        self._mark("RESET", world)
        return self.summary()

    def read_shipped(self, name: str) -> tuple[Path, str]:
        """A scenario of the shipped scenarios folder, by file name (`claimed` or `claimed.yaml`)."""
        folder = resources.scenarios_dir()
        available = sorted(p.name for p in folder.glob("*.yaml"))
        wanted = name if name.endswith((".yaml", ".yml", ".json")) else f"{name}.yaml"
        if "/" in name or "\\" in name or wanted not in available:
            hint = did_you_mean(name, [a.rsplit(".", 1)[0] for a in available])
            raise UnknownScenarioFile(name, available, f"No scenario file {name!r} in the scenarios folder.{hint}"
                                      .rstrip(".") + f" Available: {', '.join(available)}")
        path = folder / wanted
        return path, path.read_text(encoding="utf-8")

    def load(self, source: Path, text: str) -> dict[str, Any]:
        """Replace the world (and the armed faults) with the scenario in `text`. Raises `ScenarioError`, and
        leaves everything as it was, if the scenario has problems."""
        return self.commit_load(self.prepare_load(source, text))

    def prepare_load(self, source: Path, text: str) -> tuple[World, tuple[FaultRule, ...]]:
        """The slow half of `load` (parse, validate, build the world), touching nothing: safe in a worker thread."""
        if self.settings.loader is None:
            raise LoadingDisabled()
        prepared = self.settings.loader.load(source, text)
        return prepared.build(), prepared.faults

    def commit_load(self, prepared: tuple[World, tuple[FaultRule, ...]]) -> dict[str, Any]:
        """The quick half of `load`, on the event loop."""
        world, rules = prepared
        self.state.replace(world)
        self.faults.replace(rules)
        self._mark("LOAD", world)
        return {"load": "replace", **self.summary()}

    def merge(self, source: Path, text: str) -> dict[str, Any]:
        """Add the scenario's principals, keys, templates, workflow definitions and tasks to the world (replacing
        those with the same id), add its groups' members to the groups, start its workflows, and arm its faults
        next to the current ones.
        The world keeps its name, auth settings and clock. Raises `ScenarioError` (world untouched)."""
        return self.commit_merge(self.prepare_merge(source, text), source, text)

    def prepare_merge(self, source: Path, text: str) -> tuple[World, Scenario]:
        """The slow half of `merge` (parse and validate against the current world): safe in a worker thread."""
        current = self.world
        return current, load_scenario(source, ids=current.ids, now_ms=current.clock.now_ms(), text=text,
                                      operations=self.faults.operations)

    def commit_merge(self, parsed: tuple[World, Scenario], source: Path, text: str) -> dict[str, Any]:
        """The quick half of `merge`, on the event loop: merges into the world as it is now (parsed again if the
        world was replaced meanwhile, so its ids come from the world they land in)."""
        current, scenario = parsed
        if current is not self.world:
            current, scenario = self.prepare_merge(source, text)
        incoming, rules = scenario.seed, scenario.faults
        seed, merged = _merged_seed(current, incoming)
        world = World(seed, clock=current.clock, ids=current.ids, token_secret=current.tokens.successor_secret())
        if _identities(seed) == _identities(current.seed):
            world.tokens = current.tokens  # same principals and keys: tokens already issued stay valid
        self.state.replace(world)
        for rule in rules:
            self.faults.add(rule, origin="scenario")
        self._mark("MERGE", world)
        return {"load": "merge", **self.summary(), "added": merged.added, "replaced": merged.replaced}

    def export(self, fmt: str, *, verify: bool = True) -> tuple[str, list[Problem]]:
        """The world as a scenario text (`yaml` or `json`), and, with `verify`, the problems loading it back
        would report (none, unless the world holds something the scenario format cannot express)."""
        return self.write_export(self.export_document(), fmt, verify=verify)

    def export_document(self) -> dict[str, Any]:
        """The quick half of `export`, on the event loop: the world's scenario document, as it is now."""
        return export_world(self.world)

    @staticmethod
    def write_export(document: dict[str, Any], fmt: str, *, verify: bool = True) -> tuple[str, list[Problem]]:
        """The slow half of `export`: the document of `export_world` as text, checked. Safe in a worker thread.
        Raises `ExportTooDeep` when a value nests too deeply to be written."""
        try:
            text = dump(document, fmt)
        except RecursionError:
            raise ExportTooDeep() from None
        if not verify:
            return text, []
        try:
            load_scenario(Path(f"export.{fmt}"), ids=SequentialIds(), now_ms=0, text=text)
        except ScenarioError as error:
            note = "WARNING: this export does not load back as it is:\n" + "\n".join(str(p) for p in error.problems)
            return (dump(document, fmt, notes=[note]) if fmt == "yaml" else text), error.problems
        return text, []

    # -- the clock -------------------------------------------------------------------------------------------

    def clock(self) -> dict[str, Any]:
        clock = self.world.clock
        now = clock.now_ms()
        mode = "manual" if isinstance(clock, ManualClock) else "system"
        return {"nowMs": now, "now": format_instant(now), "mode": mode}

    def advance_clock(self, ms: int) -> dict[str, Any]:
        """Raises `ClockNotManual` (a clock that cannot be moved) or `ClockBackwards`."""
        fired = self.world.advance_clock(ms)
        return {**self.clock(), "fired": fired}

    def set_clock(self, now_ms: int) -> dict[str, Any]:
        fired = self.world.set_clock(now_ms)
        return {**self.clock(), "fired": fired}

    # -- internals -------------------------------------------------------------------------------------------

    def _mark(self, action: str, world: World) -> None:
        self.journal.record_event(action, now_ms=world.clock.now_ms(), actor=CONTROL_ACTOR,
                                  request_id=REQUEST_ID.get())


def _identities(seed: Seed) -> tuple[Any, ...]:
    return (frozenset(seed.principals), frozenset((g, frozenset(m)) for g, m in seed.groups), frozenset(seed.keys),
            seed.auth, frozenset(seed.permissions))


def _merged_seed(current: World, incoming: Seed) -> tuple[Seed, Merged]:
    seed, merged = current.seed, Merged()
    principals = {p.id: p for p in seed.principals}
    merged.count("principals", principals, list(incoming.principals), lambda p: p.id)
    principals |= {p.id: p for p in incoming.principals}
    groups = {group: list(members) for group, members in seed.groups}
    merged.count("groups", groups, list(incoming.groups), lambda g: g[0])
    for group, members in incoming.groups:  # a group gains members; a merge takes no one out
        groups[group] = list(dict.fromkeys([*groups.get(group, []), *members]))
    keys = {k.key_id: k for k in seed.keys} | {k.key_id: k for k in incoming.keys}
    templates = {(t.name, t.version): t for t in current.templates.all()}
    merged.count("templates", templates, list(incoming.templates), lambda t: (t.name, t.version))
    templates |= {(t.name, t.version): t for t in incoming.templates}
    tasks = {t.task_id: t for t in current.tasks.all()}
    merged.count("tasks", tasks, list(incoming.tasks), lambda t: t.task_id)
    tasks |= {t.task_id: t for t in incoming.tasks}
    definitions = {(d.name, d.version): d.raw for d in current.workflows.definitions()}
    definitions |= {(d["name"], d.get("version") or 1): d for d in incoming.workflow_defs}
    return Seed(name=seed.name, description=seed.description, auth=seed.auth, principals=tuple(principals.values()),
                groups=tuple((g, tuple(m)) for g, m in groups.items()), keys=tuple(keys.values()),
                templates=tuple(templates.values()),
                tasks=tuple(tasks.values()), workflow_defs=tuple(definitions.values()),
                workflows=incoming.workflows,
                permissions=tuple(dict.fromkeys([*seed.permissions, *incoming.permissions]))), merged
