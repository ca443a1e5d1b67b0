"""A small typed client of the control API (`/_mock/*`), on urllib only: for pytest fixtures and the CLI.

    from mockserver.control.client import ControlClient

    mock = ControlClient("http://127.0.0.1:8080")          # or the CONDUCTOR_SERVER_URL, `/api` and all
    mock.reset()
    mock.load(Path("scenarios/claimed.yaml"))              # or YAML/JSON text; merge=True to add to the world
    mock.add_fault("claimTask", nth=2, status=503)
    ...
    assert [e["action"] for e in mock.journal(task_id="invoice-approval-1001")] == ["CLAIM"]

Errors: `ControlError` (the mock answered with an error: `.status`, `.message`, `.body`) and `MockUnreachable`
(nothing answered at that address).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Literal, TypedDict, cast

TOKEN_ENV = "CONDUCTOR_MOCK_CONTROL_TOKEN"
DEFAULT_URL = "http://127.0.0.1:8080"


class Health(TypedDict):
    status: str
    scenario: str
    tasks: int


class ClockState(TypedDict):
    nowMs: int
    now: str
    mode: str


JournalEntry = TypedDict("JournalEntry", {"seq": int, "time": int, "actor": str, "taskId": str | None,
                                          "from": str | None, "to": str | None, "action": str,
                                          "requestId": str | None})


class ControlError(Exception):
    """The mock refused a control call."""

    def __init__(self, status: int, message: str, body: dict[str, Any]) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.body = body


class MockUnreachable(Exception):
    """Nothing answered at the mock's address."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot reach the mock at {url}: {reason} (is it running? start it with "
                         "`conductor-mock serve`)")
        self.url = url
        self.reason = reason


class ControlClient:
    """`base_url`: the mock's root (`http://127.0.0.1:8080`; a trailing `/api` is dropped). `token`: the control
    token, if the mock wants one (default: $CONDUCTOR_MOCK_CONTROL_TOKEN)."""

    def __init__(self, base_url: str = DEFAULT_URL, *, token: str | None = None, timeout: float = 30.0) -> None:
        root = base_url.rstrip("/")
        self.base_url = root[: -len("/api")] if root.endswith("/api") else root
        self.token = token if token is not None else os.environ.get(TOKEN_ENV) or None
        self.timeout = timeout

    # -- status --------------------------------------------------------------------------------------------

    def health(self) -> Health:
        return cast(Health, self._json("GET", "/_mock/health"))

    def version(self) -> dict[str, str]:
        return cast(dict[str, str], self._json("GET", "/_mock/version"))

    # -- the world -------------------------------------------------------------------------------------------

    def reset(self) -> dict[str, Any]:
        """Back to the scenario the mock started with (world, clock, faults)."""
        return self._json("POST", "/_mock/reset")

    def load(self, scenario: str | Path, *, merge: bool = False) -> dict[str, Any]:
        """Replace the world with a scenario (a file, or YAML/JSON text); with `merge`, add it to the world.
        A scenario with problems raises `ControlError` (422; `.body["problems"]` lists them)."""
        if isinstance(scenario, Path):
            text, source = scenario.read_text(encoding="utf-8"), str(scenario)
        else:
            text, source = scenario, "request-body"
        return self._json("POST" if merge else "PUT", "/_mock/scenario", {"source": source}, body=text.encode(),
                          content_type="application/yaml")

    def load_shipped(self, name: str, *, merge: bool = False) -> dict[str, Any]:
        """Load a scenario of the mock's own scenarios folder (`claimed`, `open.yaml`, ...)."""
        return self._json("POST" if merge else "PUT", "/_mock/scenario", {"file": name})

    def export(self, fmt: Literal["yaml", "json"] = "yaml") -> str:
        """The whole world as a scenario text."""
        return self._text("GET", "/_mock/scenario", {"format": fmt})

    # -- journal ---------------------------------------------------------------------------------------------

    def journal(self, task_id: str | None = None, *, since: int = 0, limit: int | None = None) -> list[JournalEntry]:
        query: dict[str, Any] = {"since": since}
        if task_id is not None:
            query["taskId"] = task_id
        if limit is not None:
            query["limit"] = limit
        return cast(list[JournalEntry], self._json("GET", "/_mock/journal", query)["entries"])

    def clear_journal(self) -> int:
        return int(self._json("DELETE", "/_mock/journal")["cleared"])

    # -- clock -----------------------------------------------------------------------------------------------

    def clock(self) -> ClockState:
        return cast(ClockState, self._json("GET", "/_mock/clock"))

    def clock_advance(self, ms: int | None = None, *, duration: str | None = None) -> dict[str, Any]:
        """Move the clock forward by `ms`, or by an ISO-8601 `duration` (`PT30M`); returns what fired."""
        body: dict[str, Any] = {"advance": duration} if duration is not None else {"advanceMs": ms}
        return self._json("POST", "/_mock/clock", body=json.dumps(body).encode())

    def clock_set(self, when: str | int) -> dict[str, Any]:
        """Move the clock to `when` (ISO-8601 date-time with a timezone, or epoch ms)."""
        return self._json("POST", "/_mock/clock", body=json.dumps({"set": when}).encode())

    # -- faults ----------------------------------------------------------------------------------------------

    def add_fault(self, operation_id: str, *, task_id: str | None = None, nth: int = 1, times: int = 1,
                  status: int | None = None, message: str | None = None, latency_ms: int | None = None,
                  drop: bool = False) -> dict[str, Any]:
        """Arm a fault; returns it (with its `id`). See control-openapi.yaml `FaultRule`."""
        rule: dict[str, Any] = {"operationId": operation_id, "nth": nth, "times": times}
        for key, value in (("taskId", task_id), ("status", status), ("message", message), ("latencyMs", latency_ms)):
            if value is not None:
                rule[key] = value
        if drop:
            rule["drop"] = True
        return self._json("POST", "/_mock/faults", body=json.dumps(rule).encode())

    def faults(self) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], self._json("GET", "/_mock/faults")["faults"])

    def delete_fault(self, fault_id: str) -> dict[str, Any]:
        return self._json("DELETE", f"/_mock/faults/{urllib.parse.quote(fault_id, safe='')}")

    def clear_faults(self) -> int:
        return int(self._json("DELETE", "/_mock/faults")["cleared"])

    # -- transport -------------------------------------------------------------------------------------------

    def _json(self, method: str, path: str, query: dict[str, Any] | None = None, *, body: bytes | None = None,
              content_type: str = "application/json") -> dict[str, Any]:
        value = json.loads(self._text(method, path, query, body=body, content_type=content_type))
        return cast(dict[str, Any], value)

    def _text(self, method: str, path: str, query: dict[str, Any] | None = None, *, body: bytes | None = None,
              content_type: str = "application/json") -> str:
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode({k: str(v).lower() if isinstance(v, bool) else v
                                                 for k, v in query.items()})
        request = urllib.request.Request(url, data=body, method=method)
        if body is not None:
            request.add_header("Content-Type", content_type)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                text: str = reply.read().decode("utf-8")
                return text
        except urllib.error.HTTPError as error:
            raw = error.read().decode("utf-8", errors="replace")
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = {"message": raw}
            detail = parsed if isinstance(parsed, dict) else {"message": raw}
            raise ControlError(error.code, str(detail.get("message") or error.reason), detail) from None
        except urllib.error.URLError as error:
            raise MockUnreachable(self.base_url, str(error.reason)) from None
        except (ConnectionError, TimeoutError) as error:
            raise MockUnreachable(self.base_url, str(error) or type(error).__name__) from None
