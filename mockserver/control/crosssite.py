"""The control API's guard against other web sites: a page the user visits must not reset the mock, plant a key
or read the export (every key secret) through the user's browser.

Refused, with the Orkes error body and a message that says why:

* 403 a foreign `Origin`: anything but the server's own origin (scheme and `Host`) or a loopback origin on the
  server's port (`http://localhost:8080` and `http://127.0.0.1:8080` are the same mock). The inbox page, served
  by the mock under /_mock/ui/, is same-origin and passes;
* 403 a `Host` that is not a loopback name (`localhost`, `127.x.x.x`, `[::1]`) on a server bound to loopback: a
  DNS-rebinding page reaches 127.0.0.1 under its own name, which this refuses;
* 415 a mutating call (POST, PUT, PATCH, DELETE) that declares a body other than JSON or YAML (`text/plain`,
  forms: what a cross-site form or `fetch` may send without asking first). No Content-Type at all passes
  (scripts; a browser's cross-site call also carries an `Origin`, refused above).
"""

from __future__ import annotations

import ipaddress
from typing import Final
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from mockserver.web.errors import error_response

MUTATING: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BODY_TYPES: Final = frozenset({"application/json", "application/yaml", "application/x-yaml", "text/yaml",
                               "text/x-yaml"})


def cross_site_refusal(request: Request) -> Response | None:
    """The 403/415 of a call another site may have sent, or None."""
    return _host(request) or _origin(request) or _content_type(request)


def is_loopback_name(host: str) -> bool:
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _split_host(value: str) -> tuple[str, int | None]:
    parts = urlsplit(f"//{value}")
    try:
        return parts.hostname or "", parts.port
    except ValueError:
        return parts.hostname or "", -1


def _host(request: Request) -> Response | None:
    server = request.scope.get("server")
    if not server or not is_loopback_name(str(server[0])):
        return None  # bound beyond loopback: the control token protects it
    host = request.headers.get("host", "")
    name, _ = _split_host(host)
    if is_loopback_name(name):
        return None
    return error_response(403, f"Host {host!r} refused: the mock listens on loopback and answers its control API "
                          "only to localhost, 127.0.0.1 or [::1] (a guard against DNS rebinding); use "
                          f"http://127.0.0.1:{server[1]}/_mock")


def _origin(request: Request) -> Response | None:
    origin = request.headers.get("origin")
    if origin is None:
        return None
    own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
    parts = urlsplit(origin)
    server = request.scope.get("server")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = -1
    same_port = server is not None and port == server[1]
    if origin.lower() == own or (parts.scheme in ("http", "https") and is_loopback_name(parts.hostname or "")
                                 and same_port):
        return None
    return error_response(403, f"Cross-origin call from {origin!r} refused: the control API answers only pages of "
                          f"the mock itself ({own}); another web site must not drive it through your browser")


def _content_type(request: Request) -> Response | None:
    if request.method not in MUTATING:
        return None
    declared = request.headers.get("content-type")
    media = (declared or "").split(";", 1)[0].strip().lower()
    if declared is None or media in BODY_TYPES or media.endswith("+json"):
        return None  # no type: a script (curl, an SDK); a browser sends one, or an Origin the check above saw
    return error_response(415, f"{request.method} {request.url.path} with Content-Type {declared!r} refused: send JSON "
                          "(Content-Type: application/json) or YAML (application/yaml); a cross-site form or "
                          "text/plain post must not change the mock")
