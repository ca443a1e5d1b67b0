"""The schemathesis part: every phase of schemathesis's engine (examples, coverage, fuzzing, stateful
sequences through the spec's links) over openapi.yaml, with the business checks of `checks.py`, and the
engine's events turned into progress lines and `Result`s.

The engine is driven through its Python API (`schemathesis.engine.from_schema(schema).execute()`), so a
seed fixes what it sends, and its findings land in the kit's one report (summary and JUnit XML).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockserver.contract import provision, rules
from mockserver.contract.report import Emit, Finding, Result
from mockserver.contract.sessions import Session
from mockserver.contract.target import Target

PART = "schemathesis"
# The contract answers 400 for an unknown task or workflow id, an unknown workflow name, a task in the wrong
# state or an invalid query, so a schema-valid request may rightly be refused with 400, except by these
# operations, where only a request that breaks the schema deserves a 400.
STRICT_VALIDATION = ["generateToken", "getTask", "getAllTemplates", "getTemplateByNameAndVersion", "saveTemplate"]
# schemathesis's default expected statuses for positive data, plus 400.
POSITIVE_STATUSES = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
TOKEN_REFRESH_SECONDS = 300
PHASES = ("examples", "coverage", "fuzzing", "stateful")
# Link sequences are what reaches real tasks (search -> claim -> release/update), and they are cheap next to
# the coverage phase: give the stateful phase at least this many.
STATEFUL_EXAMPLES = 30


@dataclass(frozen=True, slots=True)
class FuzzOptions:
    openapi: Path
    seed: int
    max_examples: int = 10
    checks: Collection[str] | None = None  # business checks to run; None = all of them
    workers: int = 1
    phases: Collection[str] = PHASES
    fresh_tasks: int = 3
    request_timeout: float = 30.0


def config_for(base_url: str, options: FuzzOptions) -> dict[str, Any]:
    """The schemathesis configuration (the `schemathesis.toml` shape) of a run."""
    enabled = set(rules.BUSINESS_CHECKS if options.checks is None else options.checks)
    return {
        "seed": options.seed,
        "base-url": base_url,
        "workers": options.workers,
        "request-timeout": options.request_timeout,
        "generation": {"max-examples": options.max_examples, "database": "none"},
        "checks": {name: {"enabled": name in enabled} for name in rules.BUSINESS_CHECKS},
        "phases": {**{phase: {"enabled": phase in options.phases} for phase in PHASES},
                   "stateful": {"enabled": "stateful" in options.phases,
                                "generation": {"max-examples": max(options.max_examples, STATEFUL_EXAMPLES)}}},
        "operations": [{
            "exclude-operation-id": STRICT_VALIDATION,
            "checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES}},
        }, {
            # POST /tasks/poll/batch/{x} is POST /tasks/{workflowId}/{taskRefName}/{status} with status x on a Spring
            # server (README fidelity note 18): a 400 for a status that is not one, never the 405 this check wants.
            "include-operation-id": "batchPoll",
            "checks": {"unsupported_method": {"enabled": False}},
        }],
    }


def run(target: Target, options: FuzzOptions, emit: Emit) -> list[Result]:
    """Run every schemathesis phase against `target`, authenticated as its owner."""
    import schemathesis
    from schemathesis.config import SchemathesisConfig
    from schemathesis.engine import from_schema

    from mockserver.contract import checks  # registers the business checks

    session = target.owner
    config = SchemathesisConfig.from_dict(config_for(session.base_url, options))
    schema = checks.enable_for(schemathesis.openapi.from_path(options.openapi, config=config))
    schema.auth(refresh_interval=TOKEN_REFRESH_SECONDS, retry_on=[401])(_token_auth(session))
    emit(f"[{PART}] {options.openapi.name} as {session.identity.describe()}, seed {options.seed}, "
         f"max {options.max_examples} examples per operation")
    _fresh_tasks(target, options.fresh_tasks, emit)
    collector = _Collector(emit)
    for event in from_schema(schema).execute():
        collector.on(event)
    collector.applied_summary()
    return collector.results()


def _fresh_tasks(target: Target, count: int, emit: Emit) -> None:
    """Start a few workflows whose human tasks the owner may claim (open to anyone, and one assigned to an
    external group), so that the stateful phase's search -> claim -> release/update links reach real tasks
    and the business checks get something to check. Their names carry the run id."""
    if count <= 0:
        return
    crowd = provision.HumanTaskSpec(assignments=[{"user": f"crowd-{target.run_id}", "userType": "EXTERNAL_GROUP"}],
                                display_name="Contract fuzzing")
    specs = [provision.HumanTaskSpec(display_name="Contract fuzzing")] * (count - 1) + [crowd]
    made = []
    for index, spec in enumerate(specs):
        try:
            made.append(provision.build(target.owner, f"contract_{target.run_id}_fuzz{index}", spec, form=target.form(),
                                    input={"scenario": "fuzz"}, wait_seconds=target.wait_seconds).task_id)
        except provision.SetupFailed as error:
            emit(f"[{PART}] could not start workflows for the stateful phase to find (it will use what the server "
                 f"already has): {error}")
            return
    emit(f"[{PART}] started {len(made)} workflows whose human tasks the stateful phase can find: {', '.join(made)}")


def _token_auth(session: Session) -> type:
    """An auth provider class (schemathesis instantiates it) that sends `session`'s token, raw, in
    `X-Authorization`; schemathesis caches it and asks again after a 401 (then it is fetched anew)."""

    class ConductorToken:
        asked = False

        def get(self, case: Any, context: Any) -> str | None:
            token = session.token(refresh=self.asked)
            self.asked = True
            return token

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "X-Authorization": data}

    return ConductorToken


class _Collector:
    """Turns engine events into progress lines and one `Result` per phase and operation."""

    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        self._results: dict[str, Result] = {}
        self._phase_calls = 0
        self._phase_started = 0.0
        self._digest = hashlib.sha256()
        self._applied: dict[str, int] = dict.fromkeys(rules.BUSINESS_CHECKS, 0)

    def results(self) -> list[Result]:
        return list(self._results.values())

    def on(self, event: Any) -> None:
        from schemathesis.engine import Status, events

        if isinstance(event, events.PhaseStarted):
            self._phase_calls = 0
            self._phase_started = time.monotonic()
            self._digest = hashlib.sha256()
            self._emit(f"[{PART}] phase {event.phase.name.value} …")
        elif isinstance(event, events.PhaseFinished):
            skip = f" (skipped: {event.phase.skip_reason.value})" if event.phase.skip_reason else ""
            sent = f", requests #{self._digest.hexdigest()[:12]}" if self._phase_calls else ""
            self._emit(f"[{PART}] phase {event.phase.name.value}: {event.status.value}{skip}, "
                       f"{self._phase_calls} calls{sent}, {time.monotonic() - self._phase_started:.1f}s")
        elif isinstance(event, events.ScenarioFinished) and event.is_test_scenario:
            if event.status is Status.SKIP:
                return
            self._scenario(event)
        elif isinstance(event, events.NonFatalError):
            name = f"{event.phase.value if event.phase else 'setup'} {event.label}"
            result = self._result(name)
            result.error(f"{event.info.title}: {event.info.message}" if hasattr(event.info, "message")
                         else str(event.value))
            self._emit(f"[{PART}] ERROR {name}: {event.value}")
        elif isinstance(event, events.FatalError):
            result = self._result("engine")
            result.error(f"schemathesis stopped: {type(event.exception).__name__}: {event.exception}")
            self._emit(f"[{PART}] FATAL {event.exception}")

    def applied_summary(self) -> None:
        """Say how often each business check applied: a check that never applied checked nothing."""
        counts = ", ".join(f"{name} ×{count}" for name, count in self._applied.items())
        self._emit(f"[{PART}] business checks applied: {counts}")
        idle = [name for name, count in self._applied.items() if not count and name in _NEEDS_A_SUCCESS]
        if idle:
            reasons = "; ".join(f"{name} (no {_NEEDS_A_SUCCESS[name]} succeeded)" for name in idle)
            self._emit(f"[{PART}] note: never applied during this run: {reasons}; the conformance scenarios "
                       "check those rules deterministically")

    def _result(self, name: str) -> Result:
        if name not in self._results:
            self._results[name] = Result(PART, name)
        return self._results[name]

    def _scenario(self, event: Any) -> None:
        recorder = event.recorder
        phase = event.phase.value
        name = f"{phase} {event.label}" if event.label else f"{phase} (link sequences)"
        result = self._result(name)
        calls = len(recorder.interactions)
        for interaction in recorder.interactions.values():  # what was sent, to show a seed reproduces a run
            request = interaction.request
            self._digest.update(f"{request.method} {request.uri}\n".encode() + (request.body or b"") + b"\n")
        self._phase_calls += calls
        result.checks += calls
        result.duration += event.elapsed_time
        before = len(result.findings)
        for case_id, nodes in recorder.checks.items():
            for node in nodes:
                if node.name in self._applied:
                    self._applied[node.name] += 1
                if node.failure_info is not None:
                    result.fail(_finding(node.name, node.failure_info, recorder, case_id))
        if event.label:
            status = "ok" if len(result.findings) == before else \
                f"FAILED ({', '.join(dict.fromkeys(f.rule for f in result.findings[before:]))})"
            self._emit(f"[{PART}] {phase:<9} {event.label:<50} {status}  ({calls} calls)")
        elif len(result.findings) > before:
            self._emit(f"[{PART}] {phase:<9} link sequence FAILED "
                       f"({', '.join(dict.fromkeys(f.rule for f in result.findings[before:]))})")


# the business checks that only apply after a call of this kind succeeded
_NEEDS_A_SUCCESS = {rules.CLAIM_SETS_CLAIMANT: "claim", rules.SECOND_CLAIM_REFUSED: "claim",
                    rules.RELEASE_CLEARS_CLAIMANT: "release", rules.COMPLETED_IMMUTABLE: "completion"}


def _finding(rule: str, info: Any, recorder: Any, case_id: str) -> Finding:
    failure = info.failure
    interaction = recorder.interactions.get(failure.case_id or case_id)
    request = f"{interaction.request.method} {interaction.request.uri}" if interaction else (failure.operation or "")
    status = interaction.response.status_code if interaction and interaction.response is not None else None
    expected, got, context = _split(failure.message)
    if not expected:
        expected = failure.title
        got = f"HTTP {status}: {' '.join(failure.message.split())[:300]}" if status else failure.message
    steps = [f"  {step.method} {step.path}" for step in getattr(info, "steps", [])]
    sequence = ["sequence:", *steps] if len(steps) > 1 else []
    detail = "\n".join(filter(None, [context, *sequence]))
    return Finding(rule, request, expected, got, detail)


def _split(message: str) -> tuple[str, str, str]:
    """(expected, got, context) from a business check's message; empty strings for other checks."""
    expected = got = ""
    context = []
    for line in message.splitlines():
        if line.startswith("expected: "):
            expected = line.removeprefix("expected: ")
        elif line.startswith("got: "):
            got = line.removeprefix("got: ")
        elif line.strip():
            context.append(line)
    return (expected, got, "\n".join(context)) if expected else ("", "", "")

