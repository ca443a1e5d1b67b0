"""`conductor-mock verify`: check that a server (the mock, or real Orkes) honours the human-task contract.

    conductor-mock verify --base-url http://127.0.0.1:8080/api --identities identities.yaml \\
        [--seed N] [--max-examples N] [--junit-xml PATH] [--select schemathesis,conformance,race,NAME...]
    conductor-mock verify --base-url URL --key-id ID --key-secret SECRET     (one identity: the owner)

Exit status: 0 when everything selected passed (skips allowed), 1 when a rule is broken or a check could not
run, 2 for a usage problem (bad options, identities file, selection, a server that cannot be reached, or the
kit's own dependencies missing: `pip install 'conductor-mock[contract]'`).

Hypothesis keeps its files (example database, caches) in a temporary folder removed after the run, not in the
working directory, unless `HYPOTHESIS_STORAGE_DIRECTORY` says where.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from mockserver.contract import identities as ids
from mockserver.files import CannotWrite

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# what `verify` imports beyond the default install: the `contract` extra
CONTRACT_MODULES = ("httpx", "schemathesis", "hypothesis")


class UsageError(ValueError):
    """An option value that cannot be used."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", required=True, metavar="URL",
                        help="API root of the server under test, e.g. http://127.0.0.1:8080/api")
    parser.add_argument("--namespace", default=None, metavar="NAME",
                        help="a conductor-mock namespace: check http://HOST:PORT/ns/NAME/api (the same as giving that "
                             "--base-url)")
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


def missing_modules() -> list[str]:
    """The modules of the `contract` extra that cannot be imported."""
    missing = []
    for name in CONTRACT_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run `verify` for parsed arguments; returns the exit status."""
    stream = out or sys.stdout
    missing = missing_modules()
    if missing:
        print(f"conductor-mock verify: the contract kit needs packages that are not installed ({', '.join(missing)})."
              " Install them with: pip install 'conductor-mock[contract]'", file=stream)
        return EXIT_USAGE
    with _scratch_hypothesis_storage():
        return _verify(args, stream)


@contextlib.contextmanager
def _scratch_hypothesis_storage() -> Iterator[None]:
    """Hypothesis writes `.hypothesis/` into the working directory by default: use a temporary one instead."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        yield
        return
    from hypothesis import configuration

    before = getattr(configuration, "__hypothesis_home_directory", None)  # set by an enclosing pytest, maybe
    with tempfile.TemporaryDirectory(prefix="conductor-mock-hypothesis-") as scratch:
        configuration.set_hypothesis_home_dir(scratch)
        try:
            yield
        finally:
            configuration.set_hypothesis_home_dir(before)


def _verify(args: argparse.Namespace, stream: TextIO) -> int:
    from mockserver.contract import runner
    from mockserver.contract.conformance import ScenarioFormatError
    from mockserver.contract.report import printer
    from mockserver.contract.target import api_root, new_run_id

    emit = printer(stream)
    try:
        who = load_identities(args)
        options = runner.VerifyOptions(
            base_url=namespaced(api_root(args.base_url), args.namespace), identities=who,
            max_examples=args.max_examples, select=args.select,
            phases=_phases(args.phases), openapi=args.openapi, scenarios=args.scenarios, race_claims=args.race_claims,
            wait_seconds=args.wait, seed=runner.new_seed() if args.seed is None else args.seed,
            run_id=new_run_id() if args.run_id is None else _run_id(args.run_id))
        problem = _unreachable(options.base_url) or _needs_credentials(options.base_url, who)
        fallback = ids.mock_identities(options.base_url) if problem and args.identities is None else None
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


def namespaced(base_url: str, namespace: str | None) -> str:
    """`http://h:8080/api` in namespace `w3` -> `http://h:8080/ns/w3/api` (`default` and None: as given)."""
    if namespace is None or namespace == "default":
        return base_url
    root = base_url.rstrip("/").removesuffix("/api")
    return f"{root}/ns/{namespace}/api"


def _unreachable(base_url: str) -> str | None:
    import httpx

    try:
        httpx.get(f"{base_url}/human/tasks/search", timeout=10.0)
    except httpx.HTTPError as error:
        return f"cannot reach {base_url}: {type(error).__name__}: {error}"
    return None


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
