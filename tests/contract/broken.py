"""Deliberately broken copies of the mock, to show that the contract kit catches real faults.

    python -m tests.contract.broken --variant two_winners --scenario FILE --host 127.0.0.1 --port N

Each variant runs the real `conductor-mock serve` (so the server is the mock in every other respect) with one
fault added from outside, never by editing mockserver:

* `two_winners`           the lifecycle table lets an IN_PROGRESS task be claimed again (every claim wins);
* `release_keeps_claim`   the lifecycle table leaves a released task IN_PROGRESS;
* `completed_mutable`     the lifecycle table lets a COMPLETED task be updated, claimed and released;
* `forget_claimant`       replies never show a claimant (an ASGI wrapper drops `claimant` from every task);
* `no_json_content_type`  every reply says `Content-Type: text/plain`;
* `error_status_mismatch` error bodies say `"status": 200` whatever the HTTP status;
* `error_without_message` error bodies have no `message`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Rewrite = Callable[[int, list[tuple[bytes, bytes]], bytes], tuple[list[tuple[bytes, bytes]], bytes]]


class RewriteReplies:
    """An ASGI wrapper that buffers each HTTP reply and passes (status, headers, body) through `rewrite`."""

    def __init__(self, app: ASGIApp, rewrite: Rewrite) -> None:
        self.app = app
        self.rewrite = rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                headers, body = self.rewrite(start["status"], list(start.get("headers", [])), b"".join(chunks))
                headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, capture)


def _json(headers: list[tuple[bytes, bytes]], body: bytes) -> Any:
    content_type = dict((k.lower(), v) for k, v in headers).get(b"content-type", b"")
    if b"json" not in content_type or not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _drop_claimant(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_claimant(v) for k, v in value.items() if not (k == "claimant" and "taskId" in value)}
    if isinstance(value, list):
        return [_drop_claimant(v) for v in value]
    return value


def forget_claimant(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> tuple[list[tuple[bytes, bytes]],
                                                                                           bytes]:
    data = _json(headers, body)
    return (headers, json.dumps(_drop_claimant(data)).encode()) if data is not None else (headers, body)


def no_json_content_type(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> tuple[
        list[tuple[bytes, bytes]], bytes]:
    kept = [(k, v) for k, v in headers if k.lower() != b"content-type"]
    return [*kept, (b"content-type", b"text/plain; charset=utf-8")], body


def _error_body(change: Callable[[dict[str, Any]], None]) -> Rewrite:
    def rewrite(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> tuple[list[tuple[bytes, bytes]],
                                                                                       bytes]:
        data = _json(headers, body)
        if status < 400 or not isinstance(data, dict):
            return headers, body
        change(data)
        return headers, json.dumps(data).encode()

    return rewrite


REWRITES: dict[str, Rewrite] = {
    "forget_claimant": forget_claimant,
    "no_json_content_type": no_json_content_type,
    "error_status_mismatch": _error_body(lambda body: body.update(status=200)),
    "error_without_message": _error_body(lambda body: body.pop("message", None)),
}


def _lifecycle(change: Callable[[Any, Any, Any], None]) -> Callable[[], None]:
    def apply() -> None:
        from mockserver.domain import lifecycle, model

        change(lifecycle.TRANSITIONS, model.TaskState, model.Action)

    return apply


LIFECYCLE: dict[str, Callable[[], None]] = {
    # claims no longer exclude each other
    "two_winners": _lifecycle(lambda table, state, action: table.update(
        {(state.IN_PROGRESS, action.CLAIM): state.IN_PROGRESS})),
    # a release takes the claimant away but leaves the task IN_PROGRESS
    "release_keeps_claim": _lifecycle(lambda table, state, action: table.update(
        {(state.IN_PROGRESS, action.RELEASE): state.IN_PROGRESS})),
    # a completed task takes updates, claims and releases
    "completed_mutable": _lifecycle(lambda table, state, action: table.update(
        {(state.COMPLETED, action.UPDATE): state.COMPLETED, (state.COMPLETED, action.CLAIM): state.IN_PROGRESS,
         (state.COMPLETED, action.RELEASE): state.COMPLETED})),
}
VARIANTS = (*LIFECYCLE, *REWRITES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.contract.broken", description=__doc__.splitlines()[0])
    parser.add_argument("--variant", required=True, choices=VARIANTS)
    args, serve_args = parser.parse_known_args(argv)
    import uvicorn

    from mockserver import cli

    real_run = uvicorn.run
    if args.variant in LIFECYCLE:
        LIFECYCLE[args.variant]()
    else:
        rewrite = REWRITES[args.variant]

        def run_wrapped(app: ASGIApp, **kwargs: Any) -> None:
            real_run(RewriteReplies(app, rewrite), **kwargs)

        uvicorn.run = run_wrapped  # type: ignore[assignment]
    return cli.main(["serve", *serve_args])


if __name__ == "__main__":
    sys.exit(main())
