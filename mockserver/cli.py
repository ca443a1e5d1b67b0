"""`conductor-mock`: serve a scenario, or check scenario files without starting.

    conductor-mock serve [--scenario FILE] [--host 127.0.0.1] [--port 8080] [--seed 0] [--generate-tasks N]
                         [--max-namespaces 1000] [--namespace-idle-seconds 3600] [--header-timeout 10]
    conductor-mock check FILE [FILE ...]
    conductor-mock control [--url URL] ACTION ...   (the control API of a running mock: see docs/control.md)
    conductor-mock verify --base-url URL [--identities FILE | --key-id ID --key-secret S] [...]   (mockserver.contract)
    python -m mockserver ...            (the same; with no command, `serve`)
"""

from __future__ import annotations

import argparse
import errno
import math
import os
import socket
import sys
from pathlib import Path
from typing import Any, Final

from mockserver import __version__, resources
from mockserver.control import commands as control
from mockserver.control.commands import add_control_command, add_serve_options, control_token, describe_control
from mockserver.domain import Seed
from mockserver.replica.log import StoreProblem, StoreUrl, open_store


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="conductor-mock", description="A stateful mock of the Orkes Conductor "
                                     "human-task API, seeded from YAML scenarios. No COMMAND means serve.")
    parser.add_argument("--version", action="version", version=f"conductor-mock {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser("serve", help="start the mock on a scenario")
    serve.add_argument("--scenario", type=Path, default=None,
                       help="scenario file (default: the shipped scenarios/default.yaml)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8080, help="port to listen on, 1-65535 (default: 8080)")
    serve.add_argument("--seed", type=int, default=0, help="seed of the id generator (default: 0)")
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    serve.add_argument("--token-secret", default=None, metavar="TEXT",
                       help="sign tokens with a secret derived from TEXT, so they survive restarts (default: a random "
                            "secret per start and per scenario load; anyone who knows TEXT can forge tokens)")
    serve.add_argument("--generate-tasks", type=_count, default=0, metavar="N",
                       help="add N generated tasks (varied states, assignees, definitions) to the scenario's, "
                            "for load tests (default: 0)")
    serve.add_argument("--max-namespaces", type=_positive, default=1000, metavar="N",
                       help="live namespaces (/ns/NAME/api) at most, the default one included; past that a new one "
                            "is refused with 429 (default: 1000)")
    serve.add_argument("--namespace-idle-seconds", type=float, default=3600.0, metavar="S",
                       help="drop a namespace unused for S seconds (default: 3600)")
    serve.add_argument("--header-timeout", type=_seconds, default=HEADER_TIMEOUT_S, metavar="SECONDS",
                       help="close a connection whose request head (request line and headers) is not complete "
                            f"SECONDS after it opened or after the request began, answering 408 (default: "
                            f"{HEADER_TIMEOUT_S:g})")
    serve.add_argument("--store", default="memory", metavar="memory|redis://HOST:PORT/DB",
                       help="where the worlds live: in this process (memory, the default), or in Redis, shared by "
                            "every process and host started with the same --store, and kept across restarts "
                            "(add ?prefix=P to keep several mocks apart in one database)")
    serve.add_argument("--workers", type=_positive, default=1, metavar="N",
                       help="server processes on the one port (default: 1); more than 1 needs --store redis://...")
    add_serve_options(serve)
    check = commands.add_parser("check", help="validate scenario files without starting a server")
    check.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add_control_command(commands)
    from mockserver.contract import command as contract_cli

    contract_cli.add_arguments(commands.add_parser("verify", help="check that a server (this mock, or real Orkes) "
                                                   "honours the human-task contract"))
    return parser


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of tasks (0 or more), got {text}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {text}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number (1-65535), got {text!r}") from None
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"expected a port number (1-65535), got {text}")
    return value


def port_problem(host: str, port: int) -> str | None:
    """Why the mock cannot listen on `host`:`port` (with a hint), or None. Binds and closes a socket the way
    uvicorn will (SO_REUSEADDR), so a taken port is reported before anything says "listening"."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        return f"cannot listen on {host}:{port}: {error.strerror} (check --host)"
    family, kind, proto, _, address = infos[0]
    try:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        hint = ("another program (another mock?) listens there: pick another port with --port N "
                "(make serve PORT=N)") if error.errno == errno.EADDRINUSE else "check --host and --port"
        return f"cannot listen on {host}:{port}: {error.strerror or error}; {hint}"
    return None


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

    from mockserver.app import (
        SERVE_ENV,
        NamespaceSettings,
        ServeSettings,
        as_served,
        control_settings,
        create_app,
        prepare,
    )
    from mockserver.scenarios import ScenarioError
    from mockserver.web.collector import settle_new_world

    path = args.scenario or resources.default_scenario()
    store, problem = _store(args)
    if problem is not None:
        print(f"conductor-mock: {problem}", file=sys.stderr)
        return 2
    try:
        loaded = prepare(path, id_seed=args.seed, generate_tasks=args.generate_tasks, secret=args.token_secret)
    except ScenarioError as error:
        print(f"conductor-mock: refusing to start, the scenario has problems:\n{error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"conductor-mock: cannot read scenario {path}: {error.strerror}", file=sys.stderr)
        return 2
    problem = port_problem(args.host, args.port)
    if problem is not None:
        print(f"conductor-mock: {problem}", file=sys.stderr)
        return 2
    token, origin = control_token(args.host, args.control_token)
    settings = ServeSettings(scenario=str(path), seed=args.seed, journal_size=args.journal_size, control_token=token,
                             token_secret=args.token_secret, max_namespaces=args.max_namespaces,
                             namespace_idle_seconds=args.namespace_idle_seconds, store=args.store if store else None)
    print(f"conductor-mock {__version__}")
    for line in describe(loaded.scenario.seed):
        print(line)
    if args.generate_tasks:
        print(f"  + {args.generate_tasks} generated tasks (mockserver.generate, seed {args.seed})")
    print(f"listening on http://{args.host}:{args.port}/api   (export CONDUCTOR_SERVER_URL=http://{args.host}:"
          f"{args.port}/api)")
    print(f"namespaces: http://{args.host}:{args.port}/ns/NAME/api   (up to {args.max_namespaces}, dropped after "
          f"{args.namespace_idle_seconds:g} s idle)")
    print("\n".join(describe_control(args.host, args.port, token, origin)))
    if store is not None:
        print(f"store: {store.shown()} (shared by every process and host started with it; {args.workers} "
              f"worker{'s' if args.workers > 1 else ''} here)")
    sys.stdout.flush()
    options: dict[str, Any] = {"host": args.host, "port": args.port, "log_level": args.log_level,
                               "access_log": args.log_level == "debug", **server_stack(args.header_timeout),
                               **SERVER_LIMITS}
    if args.workers > 1:  # each worker process builds the app (and its protocol) from settings in its environment
        from mockserver.web.serving import LIMITS_ENV

        os.environ[SERVE_ENV] = settings.to_json()
        os.environ[LIMITS_ENV] = f"{args.header_timeout}:{MAX_HEAD_BYTES}"
        if options["http"] != "h11":
            options["http"] = "mockserver.web.serving:WorkerProtocol"
        uvicorn.run("mockserver.app:served_app", factory=True, workers=args.workers, **options)
    else:
        if store is None:  # the scenario parsed above, as it is
            app = create_app(loaded.build, spec=resources.openapi_document(),
                             control=control_settings(loaded, id_seed=args.seed, journal_size=args.journal_size,
                                                      token=token, token_secret=args.token_secret,
                                                      settle=settle_new_world),
                             build_in=loaded.build_in,
                             namespaces=NamespaceSettings(idle_s=args.namespace_idle_seconds,
                                                          max_count=args.max_namespaces))
        else:
            app = settings.app()
        uvicorn.run(as_served(app), **options)
    return 0


def _store(args: argparse.Namespace) -> tuple[StoreUrl | None, str | None]:
    """The shared store `--store` names (None for memory), or what is wrong with the options."""
    if args.store == "memory":
        if args.workers > 1:
            return None, ("--workers N needs a shared store: add --store redis://HOST:PORT/DB (with --store memory "
                          "each worker would hold a world of its own)")
        return None, None
    try:
        store = StoreUrl.parse(args.store)
    except ValueError as error:
        return None, f"bad --store: {error}"
    if args.generate_tasks:
        return None, "--generate-tasks works with --store memory only"
    from mockserver.app import store_config

    try:
        open_store(store, config=store_config(args.seed, args.token_secret))
    except StoreProblem as error:
        return None, str(error)
    return store, None


# Limits against slow or greedy clients (README "Security and limits"). uvicorn's httptools protocol has no header
# read timeout and no head size limit, so `serve` runs mockserver.web.serving's: a request head must be complete
# HEADER_TIMEOUT_S seconds after the connection opened or the request began (`--header-timeout`), else 408, and
# hold at most MAX_HEAD_BYTES, else 431; either way the connection closes. uvicorn's own: an idle keep-alive
# connection is closed after 5 s, at most 1000 connections and calls at once (more answer 503), and a stop waits
# 5 s for calls in flight (h11_max_incomplete_event_size is the same head cap, should h11 ever run).
HEADER_TIMEOUT_S: Final = 10.0
MAX_HEAD_BYTES: Final = 16 * 1024
SERVER_LIMITS: Final[dict[str, Any]] = {
    "timeout_keep_alive": 5, "h11_max_incomplete_event_size": MAX_HEAD_BYTES, "limit_concurrency": 1000,
    "timeout_graceful_shutdown": 5,
}


def server_stack(header_timeout: float | None = None) -> dict[str, Any]:
    """uvicorn's event loop and HTTP parser, chosen here only (bench/ceiling.py runs the same): uvloop and httptools,
    default dependencies, about twice the requests per second of asyncio + h11 (bench/RESULTS.md); asyncio and h11
    where they cannot be imported (uvloop has no Windows build). With `header_timeout`, httptools runs as
    `web/serving.py`'s guarded protocol (a header read timeout and a head size cap, `MAX_HEAD_BYTES`)."""
    import importlib.util

    def have(name: str) -> bool:
        return importlib.util.find_spec(name) is not None

    http: Any = "httptools" if have("httptools") else "h11"
    if http == "httptools" and header_timeout is not None:
        from mockserver.web.serving import guarded_protocol

        http = guarded_protocol(header_timeout, MAX_HEAD_BYTES)
    return {"loop": "uvloop" if have("uvloop") else "asyncio", "http": http}


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
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or (arguments[0].startswith("-") and arguments[0] not in ("-h", "--help", "--version")):
        arguments.insert(0, "serve")  # `python -m mockserver --port 9090` serves, like `make serve`
    args = _parser().parse_args(arguments)
    if args.command == "verify":
        from mockserver.contract import command as contract_cli

        return contract_cli.run(args)
    if args.command == "control":
        return control.run(args)
    return serve(args) if args.command == "serve" else check(args)
