"""Limits on the request head for uvicorn's httptools protocol, which has none: a slowloris client holds a
connection forever, and a head of any size is buffered whole (httptools' llhttp has no header size limit).

`guarded_protocol(timeout_s, head_cap)` is uvicorn's `HttpToolsProtocol` (the one `serve` runs: httptools
is a dependency) with

* a header read timeout: a head must be complete within the timeout of the connect or of its own first byte. One
  timer per connection, armed when it opens, and again by a head that begins while none is armed; when it fires
  with no head under way it lapses, and when the head under way began after it was armed it is armed again for
  that head's remaining time (so a busy kept-alive connection makes one timer per timeout period, not one per
  request). When the time of a head under way is up, the client gets
  `408 Request Timeout` and the connection closes; a connection that sent nothing is closed without an answer;
  an answer to an earlier request on the same connection (pipelining) is finished first, then it closes;
* a head size cap: each read after which a head is still incomplete is counted whole (once per read, not per
  byte), and past `max_head_bytes` the client gets `431 Request Header Fields Too Large` and the connection
  closes. A head that completes within the read it began in is not measured (it is parsed already; a read holds
  at most 256 KiB); a read that also carried a pipelined request's body counts that body too.

Pass the class as `uvicorn.Config(http=...)`; `serve --header-timeout` sets the seconds (defaults in
`mockserver.cli`). The body is not timed: once its head is complete a request is the app's.
"""

from __future__ import annotations

import asyncio
import math
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's HttpToolsProtocol with a header read timeout and a head size cap. Both are class attributes:
    uvicorn builds one protocol per connection from the class alone, so `guarded_protocol` subclasses."""

    header_timeout: float
    max_head_bytes: int

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._head_bytes: int | None = None  # bytes of the head under way, None when no head is
        self._head_began: float | None = None  # loop time its first byte came (or the connect), None when no head is

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_began = self.loop.time()
        self._arm_header_timer(self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._head_bytes is not None:  # a head is still incomplete after this read
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head_bytes:
                self._refuse(431, b"Request header fields too large.")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        if self._head_began is None:  # not on a new connection: its head counts from the connect
            self._head_began = self.loop.time()
        if self._header_timer is None:
            self._arm_header_timer(self.header_timeout)

    def on_headers_complete(self) -> None:
        # the timer stays armed: when it fires with no head under way it just lapses, so a kept-alive connection
        # costs one timer per timeout period rather than one per request (a timer made and cancelled per request
        # was ~3% of a served GET task, py-spy)
        self._head_bytes = self._head_began = None
        super().on_headers_complete()

    def _arm_header_timer(self, delay_s: float) -> None:
        self._header_timer = self.loop.call_later(delay_s, self._header_timer_fired)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timer_fired(self) -> None:
        self._header_timer = None
        began = self._head_began
        if began is None:
            return  # no head under way: the next one arms the timer again
        left = began + self.header_timeout - self.loop.time()
        if left > 0:  # the head under way began after the timer was armed (for an earlier one): its own time
            self._arm_header_timer(left)
            return
        self._header_timed_out()

    def _header_timed_out(self) -> None:
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False  # finish the answer in progress, then close
        elif self._head_bytes is not None:
            self._refuse(408, b"Request header read timeout.")
        else:
            self.transport.close()

    def _refuse(self, status: int, message: bytes) -> None:
        """Answer `status` with a plain-text `message` and close (nothing else is being answered: the head of
        the request under way is incomplete, and an earlier answer would already be finished)."""
        self._head_bytes = None
        self._cancel_header_timer()
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # pipelined behind an answer in progress: no room for ours
            return
        lines = [STATUS_LINE[status]]
        lines.extend(name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers)
        lines.append(b"content-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
                     % len(message))
        lines.append(message)
        self.transport.write(b"".join(lines))
        self.transport.close()


def guarded_protocol(timeout_s: float, head_cap: int) -> type[GuardedProtocol]:
    """The protocol class to give uvicorn (`http=`): a request head must be complete within `timeout_s` seconds
    of the connect (or of its first byte, on a kept-alive connection) and hold at most `head_cap` bytes."""
    if not (timeout_s > 0 and math.isfinite(timeout_s)):
        raise ValueError(f"the header timeout must be a positive number of seconds, got {timeout_s}")
    if head_cap < 1:
        raise ValueError(f"the head size cap must be 1 byte or more, got {head_cap}")

    class Protocol(GuardedProtocol):
        header_timeout = timeout_s
        max_head_bytes = head_cap

    return Protocol


LIMITS_ENV = "CONDUCTOR_MOCK_HEAD_LIMITS"  # "TIMEOUT_S:MAX_BYTES", for the worker processes of `serve --workers N`


class WorkerProtocol(GuardedProtocol):
    """The guarded protocol of `serve --workers N`: uvicorn imports it by name in each worker process (a class
    made by `guarded_protocol` cannot be sent there), and it reads its limits from the environment the server set
    (`LIMITS_ENV`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        timeout, _, cap = os.environ.get(LIMITS_ENV, "10:16384").partition(":")
        self.header_timeout, self.max_head_bytes = float(timeout), int(cap)
        super().__init__(*args, **kwargs)
