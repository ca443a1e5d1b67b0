"""`conductor-mock`: serve a scenario, or check scenario files without starting.

    conductor-mock serve [--scenario FILE] [--host 127.0.0.1] [--port 8080] [--seed 0]
    conductor-mock check FILE [FILE ...]
    python -m mockserver ...            (the same; with no command, `serve`)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mockserver import __version__, resources
from mockserver.domain import Seed


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="conductor-mock", description="A stateful mock of the Orkes Conductor "
                                     "human-task API, seeded from YAML scenarios.")
    parser.add_argument("--version", action="version", version=f"conductor-mock {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser("serve", help="start the mock on a scenario")
    serve.add_argument("--scenario", type=Path, default=None,
                       help="scenario file (default: the shipped scenarios/default.yaml)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default: 8080)")
    serve.add_argument("--seed", type=int, default=0, help="seed of the id generator (default: 0)")
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    check = commands.add_parser("check", help="validate scenario files without starting a server")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    return parser


def describe(seed: Seed) -> list[str]:
    mode = "auth required" if seed.auth.required else "open mode (calls without a token act as "\
        f"'{seed.auth.anonymous.id if seed.auth.anonymous else '-'}')"
    lines = [f"scenario '{seed.name}': {len(seed.tasks)} tasks, {len(seed.principals)} principals, "
             f"{len(seed.groups)} groups, {len(seed.templates)} templates; {mode}"]
    for key in seed.keys:
        lines.append(f"  key {key.key_id} / {key.secret}  →  {key.principal_id}")
    return lines


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mockserver.scenarios import ScenarioError
    from mockserver.server import prepare
    from mockserver.web.app import create_app

    path = args.scenario or resources.default_scenario()
    try:
        loaded = prepare(path, id_seed=args.seed)
    except ScenarioError as error:
        print(f"conductor-mock: refusing to start, the scenario has problems:\n{error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"conductor-mock: cannot read scenario {path}: {error.strerror}", file=sys.stderr)
        return 2
    app = create_app(loaded.build, spec=resources.openapi_document())
    print(f"conductor-mock {__version__}")
    for line in describe(loaded.scenario.seed):
        print(line)
    print(f"listening on http://{args.host}:{args.port}/api   (export CONDUCTOR_SERVER_URL=http://{args.host}:"
          f"{args.port}/api)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=args.log_level == "debug")
    return 0


def check(args: argparse.Namespace) -> int:
    from mockserver.scenarios import check_scenario

    failed = 0
    for path in args.files:
        try:
            problems = check_scenario(path)
        except OSError as error:
            print(f"{path}: cannot read: {error.strerror}", file=sys.stderr)
            failed += 1
            continue
        if problems:
            failed += 1
            for problem in problems:
                print(problem, file=sys.stderr)
        else:
            print(f"{path}: ok")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command is None:
        args = _parser().parse_args(["serve", *(argv or sys.argv[1:])])
    return serve(args) if args.command == "serve" else check(args)
