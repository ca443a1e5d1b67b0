"""The ceiling: bare starlette routes on uvicorn that answer each benchmarked call with the bytes the mock
answered it with (captured by bench/run.py), so the two differ only by what the mock does per request.

    python bench/ceiling.py --port 8181 --bodies bodies.json

`bodies.json` holds {"task", "claim", "search", "token"}: the response bodies, as text. uvicorn runs exactly as
`conductor-mock serve` runs it: the same loop and HTTP parser (`mockserver.cli.server_stack`), the same limits
(`SERVER_LIMITS`), no access log.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver.cli import SERVER_LIMITS, server_stack

JSON = "application/json"


def build(bodies: dict[str, bytes]) -> Starlette:
    task, claimed, page, token = bodies["task"], bodies["claim"], bodies["search"], bodies["token"]

    async def get_task(request: Request) -> Response:
        return Response(task, media_type=JSON)

    async def claim(request: Request) -> Response:
        await request.body()
        return Response(claimed, media_type=JSON)

    async def release(request: Request) -> Response:
        await request.body()
        return Response(status_code=200)

    async def search(request: Request) -> Response:
        await request.body()
        return Response(page, media_type=JSON)

    async def issue_token(request: Request) -> Response:
        await request.body()
        return Response(token, media_type=JSON)

    return Starlette(routes=[
        Route("/api/token", issue_token, methods=["POST"]),
        Route("/api/human/tasks/search", search, methods=["POST"]),
        Route("/api/human/tasks/{taskId}", get_task, methods=["GET"]),
        Route("/api/human/tasks/{taskId}/claim", claim, methods=["POST"]),
        Route("/api/human/tasks/{taskId}/release", release, methods=["POST"]),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bodies", type=Path, required=True)
    args = parser.parse_args()
    bodies = {k: v.encode() for k, v in json.loads(args.bodies.read_text(encoding="utf-8")).items()}
    uvicorn.run(build(bodies), host=args.host, port=args.port, log_level="warning", access_log=False,
                **server_stack(), **SERVER_LIMITS)


if __name__ == "__main__":
    main()
