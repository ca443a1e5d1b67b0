"""`conductor-mock control ...`: the control API from the command line, and the control options of `serve`.

    conductor-mock control [--url URL] [--token TOKEN] [--json] COMMAND
        health | version | reset
        load FILE [--merge]            load --shipped NAME [--merge]
        export [--format yaml|json] [-o FILE]
        journal [--task ID] [--since N] [--limit N]            journal --clear
        clock [--advance PT30M | --advance-ms N | --set 2026-01-01T10:00:00Z]
        faults list | add OPERATION [--task ID] [--nth N] [--times N] (--status N [--message M] | --latency-ms N
               | --drop) | delete ID | clear

Exit codes: 0 done; 1 the mock refused (its message on stderr); 2 bad usage; 3 nothing answered at --url.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from mockserver.control.client import DEFAULT_URL, TOKEN_ENV, ControlClient, ControlError, MockUnreachable
from mockserver.control.journal import DEFAULT_CAPACITY
from mockserver.control.timeparse import format_instant
from mockserver.files import CannotWrite, write_atomic

URL_ENV = "CONDUCTOR_MOCK_URL"
REFUSED, UNREACHABLE = 1, 3


# -- `serve` options ------------------------------------------------------------------------------------------


def add_serve_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--journal-size", type=_positive, default=DEFAULT_CAPACITY, metavar="N",
                       help="entries the transition journal keeps, the oldest dropped first "
                            f"(default: {DEFAULT_CAPACITY})")
    serve.add_argument("--control-token", default=None, metavar="TOKEN",
                       help=f"require `Authorization: Bearer TOKEN` on /_mock (default: ${TOKEN_ENV}; generated and "
                            "printed when --host is not a loopback address)")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def control_token(host: str, given: str | None) -> tuple[str | None, str]:
    """The control token to require, and where it came from (`flag`, `env`, `generated`, or `none`)."""
    if given:
        return given, "flag"
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV], "env"
    if is_loopback(host):
        return None, "none"
    return secrets.token_urlsafe(24), "generated"


def describe_control(host: str, port: int, token: str | None, origin: str) -> list[str]:
    url = f"http://{host}:{port}/_mock"
    shown = "" if token is None else "?token=" + (token if origin == "generated" else "<token>")
    return [*_control_lines(host, url, token, origin), f"web inbox on {url}/ui/{shown}"]


def _control_lines(host: str, url: str, token: str | None, origin: str) -> list[str]:
    if token is None:
        return [f"control API on {url} (loopback only, no token needed; see docs/control.md)"]
    if origin == "generated":
        return [f"control API on {url}: {host} is not a loopback address, so it needs a token:",
                f"  Authorization: Bearer {token}",
                f"  (generated now; give your own with --control-token or ${TOKEN_ENV})"]
    source = "--control-token" if origin == "flag" else f"${TOKEN_ENV}"
    return [f"control API on {url}: needs `Authorization: Bearer <token>` (the token of {source})"]


# -- `control` ------------------------------------------------------------------------------------------------


def add_control_command(commands: Any) -> None:
    control = commands.add_parser("control", help="seed, reset, export, inspect and break a running mock",
                                  description="Talk to a running mock's control API (/_mock).")
    control.add_argument("--url", default=os.environ.get(URL_ENV, DEFAULT_URL),
                         help=f"the mock's root URL (default: ${URL_ENV} or {DEFAULT_URL}; a trailing /api is fine)")
    control.add_argument("--token", default=None, help=f"control token (default: ${TOKEN_ENV})")
    control.add_argument("--json", action="store_true", help="print the mock's JSON replies as they are")
    actions = control.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("health", help="is it up, on which scenario")
    actions.add_parser("version", help="versions of the mock, its API and the control API")
    actions.add_parser("reset", help="back to the scenario the mock started with")
    load = actions.add_parser("load", help="replace the world with a scenario (or --merge it in)")
    load.add_argument("file", nargs="?", type=Path, metavar="FILE", help="a scenario file (YAML or JSON)")
    load.add_argument("--shipped", metavar="NAME", help="a scenario of the mock's own scenarios folder instead")
    load.add_argument("--merge", action="store_true", help="add to the current world instead of replacing it")
    export = actions.add_parser("export", help="the whole world as a scenario file")
    export.add_argument("--format", choices=["yaml", "json"], default=None, help="default: yaml (json for -o *.json)")
    export.add_argument("-o", "--output", type=Path, default=None, metavar="FILE", help="write here, not to stdout")
    journal = actions.add_parser("journal", help="the transition journal, oldest first")
    journal.add_argument("--task", default=None, metavar="ID", help="only this task")
    journal.add_argument("--since", type=int, default=0, metavar="SEQ", help="only entries after this seq")
    journal.add_argument("--limit", type=_positive, default=None, metavar="N", help="only the newest N")
    journal.add_argument("--clear", action="store_true", help="empty the journal instead")
    clock = actions.add_parser("clock", help="show the clock, or move it forward")
    moves = clock.add_mutually_exclusive_group()
    moves.add_argument("--advance", metavar="DURATION", help="an ISO-8601 duration: PT30M, PT1H30M, P1D")
    moves.add_argument("--advance-ms", type=int, metavar="MS", help="milliseconds")
    moves.add_argument("--set", metavar="WHEN", help="an ISO-8601 date-time with a timezone, or epoch ms")
    faults = actions.add_parser("faults", help="list, add, delete or clear faults")
    fault_actions = faults.add_subparsers(dest="fault_action", metavar="list|add|delete|clear", required=True)
    fault_actions.add_parser("list", help="the armed faults and their counters")
    add = fault_actions.add_parser("add", help="arm a fault")
    add.add_argument("operation", metavar="OPERATION_ID", help="an operationId of openapi.yaml (claimTask, ...)")
    add.add_argument("--task", default=None, metavar="ID", help="only calls for this task id")
    add.add_argument("--nth", type=_positive, default=1, help="the first matching call it acts on (default 1)")
    add.add_argument("--times", type=int, default=1, help="how many calls in a row; 0 = all from the nth (default 1)")
    add.add_argument("--status", type=int, default=None, help="reply with this 4xx/5xx and the Orkes error body")
    add.add_argument("--message", default=None, help="the error body's message (with --status)")
    add.add_argument("--latency-ms", type=int, default=None, metavar="MS", help="wait this long first")
    add.add_argument("--drop", action="store_true", help="run the call, then close the connection unanswered")
    delete = fault_actions.add_parser("delete", help="disarm one fault")
    delete.add_argument("id", metavar="FAULT_ID")
    fault_actions.add_parser("clear", help="disarm every fault")


def run(args: argparse.Namespace) -> int:
    client = ControlClient(args.url, token=args.token)
    try:
        return _ACTIONS[args.action](client, args)
    except ControlError as error:
        print(f"conductor-mock control: the mock refused ({error.status}): {error.message}", file=sys.stderr)
        return REFUSED
    except MockUnreachable as error:
        print(f"conductor-mock control: {error}", file=sys.stderr)
        return UNREACHABLE
    except CannotWrite as error:
        print(f"conductor-mock control: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        print(f"conductor-mock control: {where}{error.strerror or error}", file=sys.stderr)
        return 2


def _health(client: ControlClient, args: argparse.Namespace) -> int:
    health = client.health()
    _out(args, dict(health), f"{health['status']}: scenario '{health['scenario']}', {health['tasks']} tasks "
         f"({client.base_url})")
    return 0


def _version(client: ControlClient, args: argparse.Namespace) -> int:
    version = client.version()
    _out(args, version, f"conductor-mock {version['version']} (API {version['openapi']}, control API "
         f"{version['controlApi']})")
    return 0


def _reset(client: ControlClient, args: argparse.Namespace) -> int:
    summary = client.reset()
    _out(args, summary, f"reset to {_summary(summary)}")
    return 0


def _load(client: ControlClient, args: argparse.Namespace) -> int:
    if (args.file is None) == (args.shipped is None):
        print("conductor-mock control load: give a FILE or --shipped NAME (one of them)", file=sys.stderr)
        return 2
    summary = client.load_shipped(args.shipped, merge=args.merge) if args.shipped else \
        client.load(args.file, merge=args.merge)
    if summary.get("load") == "merge":
        changes = ", ".join(f"{kind} +{summary['added'].get(kind, 0)}/~{summary['replaced'].get(kind, 0)}"
                            for kind in summary["added"])
        _out(args, summary, f"merged into {_summary(summary)} (added/replaced: {changes})")
    else:
        _out(args, summary, f"loaded {_summary(summary)}")
    return 0


def _export(client: ControlClient, args: argparse.Namespace) -> int:
    fmt = args.format or ("json" if args.output is not None and args.output.suffix == ".json" else "yaml")
    text = client.export("json" if fmt == "json" else "yaml")
    if args.output is None:
        sys.stdout.write(text)
    else:
        size = write_atomic(args.output, text)
        print(f"wrote {args.output} ({size} bytes, {fmt})")
    return 0


def _journal(client: ControlClient, args: argparse.Namespace) -> int:
    if args.clear:
        print(f"cleared {client.clear_journal()} entries")
        return 0
    entries = client.journal(args.task, since=args.since, limit=args.limit)
    if args.json:
        print(json.dumps(entries, indent=2))
        return 0
    for e in entries:
        change = f"{e['from']} -> {e['to']}" if e["taskId"] else ""
        print(f"{e['seq']:>6}  {format_instant(e['time']):<24}  {e['action']:<10} {e['taskId'] or '-':<24} "
              f"{change:<26} {e['actor']:<20} {e['requestId'] or '-'}")
    if not entries:
        print("(no entries)")
    return 0


def _clock(client: ControlClient, args: argparse.Namespace) -> int:
    if args.advance is not None:
        state: dict[str, Any] = client.clock_advance(duration=args.advance)
    elif args.advance_ms is not None:
        state = client.clock_advance(args.advance_ms)
    elif args.set is not None:
        state = client.clock_set(int(args.set) if args.set.isdigit() else args.set)
    else:
        state = dict(client.clock())
    lines = [f"{state['now']} ({state['nowMs']}, {state['mode']})"]
    lines += [f"  fired: {json.dumps(event)}" for event in state.get("fired", [])]
    _out(args, state, "\n".join(lines))
    return 0


def _faults(client: ControlClient, args: argparse.Namespace) -> int:
    action = args.fault_action
    if action == "add":
        fault = client.add_fault(args.operation, task_id=args.task, nth=args.nth, times=args.times,
                                 status=args.status, message=args.message, latency_ms=args.latency_ms, drop=args.drop)
        _out(args, fault, f"armed {_fault_line(fault)}")
    elif action == "delete":
        _out(args, client.delete_fault(args.id), f"disarmed {args.id}")
    elif action == "clear":
        cleared = client.clear_faults()
        _out(args, {"cleared": cleared}, f"disarmed {cleared} faults")
    else:
        faults = client.faults()
        _out(args, {"faults": faults}, "\n".join(_fault_line(f) for f in faults) or "(no faults)")
    return 0


_ACTIONS = {"health": _health, "version": _version, "reset": _reset, "load": _load, "export": _export,
            "journal": _journal, "clock": _clock, "faults": _faults}


def _summary(summary: dict[str, Any]) -> str:
    return (f"scenario '{summary['scenario']}': {summary['tasks']} tasks, {summary['principals']} principals, "
            f"{summary['templates']} templates, {summary['faults']} faults; clock {summary['clock']['now']}")


def _fault_line(fault: dict[str, Any]) -> str:
    effects = []
    if "latencyMs" in fault:
        effects.append(f"wait {fault['latencyMs']} ms")
    if "status" in fault:
        effects.append(f"reply {fault['status']} {fault.get('message', '')!r}")
    if fault.get("drop"):
        effects.append("drop the connection")
    task = f" task {fault['taskId']}" if "taskId" in fault else ""
    times = "every call" if fault["times"] == 0 else f"{fault['times']} call{'s' if fault['times'] != 1 else ''}"
    state = " (exhausted)" if fault.get("exhausted") else ""
    return (f"{fault['id']}: {fault['operationId']}{task}, from call #{fault['nth']} for {times}: "
            f"{', then '.join(effects)} [calls {fault['calls']}, fired {fault['fired']}]{state}")


def _out(args: argparse.Namespace, value: Any, text: str) -> None:
    print(json.dumps(value, indent=2) if args.json else text)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {value}")
    return value
