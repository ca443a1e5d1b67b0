"""Closing a client's connection without an answer (the `drop` fault).

ASGI has no message for "close the connection now": an app that returns without answering gets a 500 written
for it by the server. So the server's own connection has to be reached. `DropConnections` wraps the app once,
outermost, where `send` is still uvicorn's: that bound method's owner holds the connection's transport (true of
uvicorn's h11 and httptools protocols, on asyncio's and on uvloop's loop). It puts a `drop()` coroutine in
the scope; `DroppedResponse` calls it.
Closing the transport makes uvicorn mark the request as disconnected, so it writes nothing either: the client
reads an empty reply (curl: "Empty reply from server"; Python: RemoteDisconnected).

Where no transport can be found (another server, an in-process TestClient) `DroppedResponse` sends nothing at all,
which in-process clients report as an error ("did not receive any response").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

DROP_KEY = "conductor_mock.drop_connection"

Drop = Callable[[], Awaitable[None]]


class DropConnections:
    """ASGI wrapper giving the app a `scope[DROP_KEY]()` that closes the client's connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            transport = _transport_of(send)
            if transport is not None:
                scope[DROP_KEY] = _closer(transport)
        await self.app(scope, receive, send)


def _transport_of(send: Send) -> Any:
    """The transport behind uvicorn's `send` (asyncio's or uvloop's: both have `abort()`), else None."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    return transport if callable(getattr(transport, "abort", None)) else None


def _closer(transport: Any) -> Drop:
    async def drop() -> None:
        transport.abort()  # close now, writing nothing: no pending bytes, no response
        for _ in range(3):  # let the loop run the server's connection_lost, so it does not answer for us
            await asyncio.sleep(0)

    return drop


class DroppedResponse(Response):
    """No answer: the connection is closed instead (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(b"", status_code=499)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        drop: Drop | None = scope.get(DROP_KEY)
        if drop is not None:
            await drop()
