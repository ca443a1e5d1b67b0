"""Calling the API as one identity, the way the SDKs do.

A `Session` gets a token from `POST /token`, sends it raw in `X-Authorization`, and when a call answers
401 with `error: EXPIRED_TOKEN` or `INVALID_TOKEN` it gets a new one and retries once. When `/token`
answers 404 the server runs in open mode and no header is sent. Every session of a run shares one
`httpx.Client` (a starlette `TestClient` also fits, for in-process tests).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from mockserver.contract.identities import Identity

REFRESH_ERRORS = frozenset({"EXPIRED_TOKEN", "INVALID_TOKEN"})
DEFAULT_TIMEOUT = 30.0


class AuthFailed(RuntimeError):
    """The server refused to issue a token for an identity."""


def segment(value: str) -> str:
    """A path segment, percent-encoded (`alice@example.com` -> `alice%40example.com`)."""
    return quote(value, safe="")


def new_http_client(timeout: float = DEFAULT_TIMEOUT) -> httpx.Client:
    return httpx.Client(timeout=timeout, follow_redirects=False)


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and its reply, as the report shows them."""

    method: str
    url: str
    status: int
    content_type: str
    text: str

    @classmethod
    def of(cls, response: httpx.Response) -> Exchange:
        return cls(response.request.method, str(response.request.url), response.status_code,
                   response.headers.get("content-type", ""), response.text)

    @property
    def request_line(self) -> str:
        return f"{self.method} {self.url}"

    def json(self) -> Any:
        return json.loads(self.text) if self.text.strip() else None

    def brief(self, limit: int = 300) -> str:
        text = " ".join(self.text.split())
        body = text if len(text) <= limit else text[:limit] + "…"
        return f"{self.status} {body}".rstrip()


class Session:
    """The API as seen by one identity."""

    def __init__(self, base_url: str, identity: Identity, http: httpx.Client) -> None:
        self.base_url = base_url.rstrip("/")
        self.identity = identity
        self._http = http
        self._lock = threading.Lock()
        self._token: str | None = identity.token
        self._fetched = identity.token is not None or not identity.has_credentials

    def token(self, *, refresh: bool = False) -> str | None:
        """The current token (fetched on first use), or None in open mode or without credentials."""
        with self._lock:
            if refresh and self.identity.key_id:
                self._fetched = False
            if not self._fetched:
                self._token = self._fetch_token()
                self._fetched = True
            return self._token

    def headers(self) -> dict[str, str]:
        token = self.token()
        return {"X-Authorization": token} if token else {}

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None,
                content: bytes | None = None) -> httpx.Response:
        """Call `path` (relative to the API root, already percent-encoded), refreshing the token once."""
        response = self._send(method, path, params, json, content)
        if response.status_code == 401 and _error_code(response) in REFRESH_ERRORS and self.identity.key_id:
            self.token(refresh=True)
            response = self._send(method, path, params, json, content)
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def _send(self, method: str, path: str, params: Mapping[str, Any] | None, body: Any,
              content: bytes | None) -> httpx.Response:
        headers = self.headers()
        if body is not None:
            return self._http.request(method, self.base_url + path, params=_query(params), json=body, headers=headers)
        return self._http.request(method, self.base_url + path, params=_query(params), content=content,
                                  headers=headers)

    def _fetch_token(self) -> str | None:
        reply = self._http.post(self.base_url + "/token",
                                json={"keyId": self.identity.key_id, "keySecret": self.identity.key_secret})
        if reply.status_code == 404:
            return None  # open mode: the SDKs then send no header
        if reply.status_code != 200:
            raise AuthFailed(f"POST {self.base_url}/token for {self.identity.describe()} answered "
                             f"{Exchange.of(reply).brief()}")
        try:
            return str(reply.json()["token"])
        except (ValueError, KeyError, TypeError):
            raise AuthFailed(f"POST {self.base_url}/token for {self.identity.name} answered 200 without a token: "
                             f"{Exchange.of(reply).brief()}") from None


def _query(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    if not params:
        return None
    return {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in params.items()}


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None
