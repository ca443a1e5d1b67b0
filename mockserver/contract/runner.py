"""`verify`: the one engine behind `conductor-mock verify` and the pytest plugin. It chooses what runs
(`--select`), runs the schemathesis part, the conformance scenarios and the race check against one server,
and returns one `Report`."""

from __future__ import annotations

import difflib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mockserver.contract import conformance, rules
from mockserver.contract.conformance import ConformanceScenario
from mockserver.contract.identities import Identities
from mockserver.contract.report import Emit, Report, Result
from mockserver.contract.target import Target, new_run_id

PARTS = ("schemathesis", "conformance", "race")


def new_seed() -> int:
    return random.randrange(2**31)


class SelectionError(ValueError):
    """A `--select` token that names no part, scenario or rule."""


@dataclass(frozen=True, slots=True)
class VerifyOptions:
    base_url: str
    identities: Identities
    seed: int = field(default_factory=lambda: new_seed())
    max_examples: int = 10
    phases: Sequence[str] = ("examples", "coverage", "fuzzing", "stateful")
    select: Sequence[str] = ()
    openapi: Path | None = None
    scenarios: Path | None = None
    race_claims: int = 32
    wait_seconds: float = 15.0
    run_id: str = field(default_factory=new_run_id)


@dataclass(frozen=True, slots=True)
class Plan:
    """What a selection runs: parts, the conformance scenarios, and the business checks schemathesis runs."""

    parts: tuple[str, ...]
    scenarios: tuple[ConformanceScenario, ...]
    checks: tuple[str, ...]


def plan(select: Sequence[str], scenarios: Sequence[ConformanceScenario]) -> Plan:
    """Tokens are part names, scenario names or rule names; no token runs everything. A scenario or one of
    its rules selects that scenario; a business check selects schemathesis with only the named checks; the
    race rule selects the race."""
    tokens = [t.strip() for item in select for t in item.split(",") if t.strip()]
    if not tokens:
        return Plan(PARTS, tuple(scenarios), rules.BUSINESS_CHECKS)
    by_name = {s.name: s for s in scenarios}
    known = [*PARTS, *by_name, *rules.BUSINESS_CHECKS, rules.SINGLE_WINNER, *(r for s in scenarios for r in s.rules)]
    parts: dict[str, None] = {}
    chosen: dict[str, None] = {}
    checks: dict[str, None] = {}
    for token in tokens:
        if token in PARTS:
            parts[token] = None
            if token == "conformance":
                chosen.update(dict.fromkeys(by_name))
        elif token in by_name:
            parts["conformance"] = None
            chosen[token] = None
        elif token == rules.SINGLE_WINNER:
            parts["race"] = None
        elif token in rules.BUSINESS_CHECKS:
            parts["schemathesis"] = None
            checks[token] = None
        elif any(token in s.rules for s in scenarios):
            parts["conformance"] = None
            chosen.update(dict.fromkeys(s.name for s in scenarios if token in s.rules))
        else:
            close = difflib.get_close_matches(token, known, n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise SelectionError(f"--select: '{token}' names no part, scenario or rule.{hint} Parts: "
                                 f"{', '.join(PARTS)}; scenarios: {', '.join(by_name) or '-'}")
    if "schemathesis" in parts and not checks:
        checks = dict.fromkeys(rules.BUSINESS_CHECKS)
    ordered_parts = tuple(p for p in PARTS if p in parts)
    return Plan(ordered_parts, tuple(by_name[n] for n in by_name if n in chosen), tuple(checks))


def verify(options: VerifyOptions, emit: Emit) -> Report:
    """Run what `options.select` chooses against `options.base_url`; never raises for a server's fault."""
    from mockserver import resources

    scenarios = conformance.load_all(conformance.discover(options.scenarios))
    chosen = plan(options.select, scenarios)
    report = Report()
    target = Target(options.base_url, options.identities, run_id=options.run_id, wait_seconds=options.wait_seconds)
    report.header = [f"conductor-mock verify: {options.base_url}",
                     f"  identities: {options.identities.describe()} (from {options.identities.source})",
                     f"  seed {options.seed}, run id {options.run_id} (the same requests again: --seed {options.seed} "
                     f"--run-id {options.run_id}), parts: {', '.join(chosen.parts) or '-'}"]
    for line in report.header:
        emit(line)
    try:
        if "schemathesis" in chosen.parts:
            from mockserver.contract import fuzz

            fuzz_options = fuzz.FuzzOptions(openapi=options.openapi or resources.openapi_path(), seed=options.seed,
                                            max_examples=options.max_examples, checks=chosen.checks,
                                            phases=tuple(options.phases))
            report.extend(_guard("schemathesis", lambda: fuzz.run(target, fuzz_options, emit), emit))
        if "conformance" in chosen.parts:
            emit(f"[conformance] {len(chosen.scenarios)} scenarios from "
                 f"{options.scenarios or conformance.shipped_dir()}")
            report.extend(_guard("conformance", lambda: conformance.run_all(chosen.scenarios, target, emit), emit))
        if "race" in chosen.parts:
            from mockserver.contract import race

            report.extend(_guard("race", lambda: [race.run(target, emit, claims=options.race_claims)], emit))
    finally:
        target.close()
    return report


def _guard(part: str, work: Callable[[], list[Result]], emit: Emit) -> list[Result]:
    """Run one part; an exception (a server that cannot be reached, a token refused, a reply that cannot be
    read, a bug) becomes an ERROR result of that part instead of ending the run."""
    try:
        return work()
    except Exception as error:
        result = Result(part, part)
        result.error(f"{type(error).__name__}: {error}")
        emit(f"[{part}] ERROR {result.reason}")
        return [result]
