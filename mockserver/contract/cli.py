"""`conductor-mock verify`: check that a server (the mock, or real Orkes) honours the human-task contract.

    conductor-mock verify --base-url http://127.0.0.1:8080/api --identities identities.yaml \\
        [--seed N] [--max-examples N] [--junit-xml PATH] [--select schemathesis,conformance,race,NAME...]
    conductor-mock verify --base-url URL --key-id ID --key-secret SECRET     (one identity: the owner)

Exit status: 0 when everything selected passed (skips allowed), 1 when a rule is broken or a check could not
run, 2 for a usage problem (bad options, identities file, selection, or a server that cannot be reached).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from pathlib import Path
from typing import TextIO

from mockserver.contract import identities as ids
from mockserver.files import CannotWrite

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(ValueError):
    """An option value that cannot be used."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", required=True, metavar="URL",
                        help="API root of the server under test, e.g. http://127.0.0.1:8080/api")
    who = parser.add_argument_group("credentials (default: $CONDUCTOR_AUTH_KEY / $CONDUCTOR_AUTH_SECRET)")
    who.add_argument("--identities", type=Path, metavar="FILE",
                     help="YAML file of named identities: owner, other, admin, users (see docs/contract.md)")
    who.add_argument("--key-id", help="one identity, used as the owner (checks needing others are skipped)")
    who.add_argument("--key-secret", help="its secret")
    run = parser.add_argument_group("what runs")
    run.add_argument("--select", action="append", default=[], metavar="NAMES",
                     help="comma-separated parts (schemathesis, conformance, race), scenario names or rule names; "
                          "repeatable; default: everything")
    run.add_argument("--seed", type=int, default=None, help="seed for schemathesis (printed when not given)")
    run.add_argument("--run-id", default=None, metavar="ID",
                     help="suffix of every name the run creates (default: random, so that runs never collide)")
    run.add_argument("--max-examples", type=int, default=10, metavar="N",
                     help="schemathesis examples per operation and phase (default: 10)")
    run.add_argument("--phases", default="examples,coverage,fuzzing,stateful", metavar="LIST",
                     help="schemathesis phases to run (default: all: examples,coverage,fuzzing,stateful)")
    run.add_argument("--race-claims", type=int, default=32, metavar="N", help="concurrent claims (default: 32)")
    run.add_argument("--wait", type=float, default=15.0, metavar="SECONDS",
                     help="how long to wait for what a server does asynchronously (default: 15)")
    run.add_argument("--openapi", type=Path, default=None, metavar="FILE", help="the contract (default: shipped)")
    run.add_argument("--scenarios", type=Path, default=None, metavar="DIR",
                     help="conformance scenarios folder (default: the shipped scenarios/conformance)")
    parser.add_argument("--junit-xml", type=Path, default=None, metavar="PATH", help="write a JUnit XML report")


def parser() -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(prog="conductor-mock verify", description=__doc__.splitlines()[0])
    add_arguments(result)
    return result


def load_identities(args: argparse.Namespace) -> ids.Identities:
    if args.identities is not None:
        if args.key_id or args.key_secret:
            raise ids.IdentityError("give either --identities or --key-id/--key-secret, not both")
        return ids.load(args.identities)
    return ids.single(args.key_id, args.key_secret)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run `verify` for parsed arguments; returns the exit status."""
    from mockserver.contract import runner
    from mockserver.contract.conformance import ScenarioFormatError
    from mockserver.contract.report import printer
    from mockserver.contract.target import api_root, new_run_id

    stream = out or sys.stdout
    emit = printer(stream)
    try:
        who = load_identities(args)
        options = runner.VerifyOptions(
            base_url=api_root(args.base_url), identities=who, max_examples=args.max_examples, select=args.select,
            phases=_phases(args.phases), openapi=args.openapi, scenarios=args.scenarios, race_claims=args.race_claims,
            wait_seconds=args.wait, seed=runner.new_seed() if args.seed is None else args.seed,
            run_id=new_run_id() if args.run_id is None else _run_id(args.run_id))
        problem = _unreachable(options.base_url) or _needs_credentials(options.base_url, who)
        fallback = _mock_identities(options.base_url) if problem and args.identities is None else None
        if fallback is not None:
            emit(f"conductor-mock verify: no credentials given and {options.base_url} is a conductor-mock: using the "
                 f"identities of its default scenario ({fallback})")
            who = ids.load(fallback)
            options = dataclasses.replace(options, identities=who)
            problem = None
        if problem:
            emit(f"conductor-mock verify: {problem}")
            return EXIT_USAGE
        report = runner.verify(options, emit)
    except (ids.IdentityError, runner.SelectionError, ScenarioFormatError, UsageError) as error:
        emit(f"conductor-mock verify: {error}")
        return EXIT_USAGE
    for line in report.summary():
        emit(line)
    if args.junit_xml is not None:
        try:
            report.write_junit(args.junit_xml)
        except CannotWrite as error:
            emit(f"conductor-mock verify: {error}")
            return EXIT_USAGE
        emit(f"JUnit XML written to {args.junit_xml}")
    return EXIT_OK if report.ok else EXIT_FAILED


def _run_id(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_]{1,24}", text):
        raise UsageError(f"--run-id: {text!r}: use 1 to 24 letters, digits or underscores")
    return text


def _phases(text: str) -> tuple[str, ...]:
    from mockserver.contract.fuzz import PHASES

    chosen = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = [p for p in chosen if p not in PHASES]
    if unknown:
        raise UsageError(f"--phases: unknown phase {', '.join(unknown)}; phases: {', '.join(PHASES)}")
    return chosen


def _unreachable(base_url: str) -> str | None:
    import httpx

    try:
        httpx.get(f"{base_url}/human/tasks/search", timeout=10.0)
    except httpx.HTTPError as error:
        return f"cannot reach {base_url}: {type(error).__name__}: {error}"
    return None


def _mock_identities(base_url: str) -> Path | None:
    """The shipped identities of the default scenario, when `base_url` is a conductor-mock whose default-scenario
    keys work: so that `verify --base-url http://127.0.0.1:8080/api` against `make serve` needs no options."""
    import httpx

    from mockserver import resources

    root = base_url.removesuffix("/").removesuffix("/api")
    path = resources.scenarios_dir() / "conformance" / "identities.mock.yaml"
    try:
        if httpx.get(f"{root}/_mock/version", timeout=10.0).status_code != 200 or not path.exists():
            return None
        owner = ids.load(path).members[0]
        reply = httpx.post(f"{base_url}/token", json={"keyId": owner.key_id, "keySecret": owner.key_secret},
                           timeout=10.0)
    except (httpx.HTTPError, ids.IdentityError, AttributeError, IndexError):
        return None
    return path if reply.status_code == 200 else None


def _needs_credentials(base_url: str, who: ids.Identities) -> str | None:
    """With no credentials at all, say so at once if the server wants them (rather than fail every check)."""
    import httpx

    if any(member.has_credentials for member in who.members):
        return None
    try:
        reply = httpx.post(f"{base_url}/human/tasks/search", json={}, timeout=10.0)
    except httpx.HTTPError:
        return None
    if reply.status_code != 401:
        return None
    return (f"{base_url} wants credentials: pass --identities FILE, or --key-id and --key-secret (or set "
            f"{ids.KEY_ENV} and {ids.SECRET_ENV}). For the mock's default scenario: "
            "--identities scenarios/conformance/identities.mock.yaml")


def main(argv: list[str] | None = None) -> int:
    return run(parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
