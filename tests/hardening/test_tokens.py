"""Issue 15.1: no token can be forged from what the mock shows, and no token outlives the secret it was signed with."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from starlette.testclient import TestClient

from mockserver.app import build_app
from mockserver.domain import SequentialIds
from mockserver.domain.identity import RESTARTED
from tests.conftest import HTTP_WORLD, Api


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(secret: bytes, subject: str, now_ms: int) -> str:
    """A token made the way the mock made them before: HS256 over the claims, keyed by a sequential id."""
    claims = {"sub": subject, "iat": now_ms // 1000, "exp": now_ms // 1000 + 3600, "expMs": now_ms + 3_600_000,
              "jti": "x"}
    header = _b64(b'{"alg":"HS256","typ":"JWT"}')
    body = f"{header}.{_b64(json.dumps(claims, separators=(',', ':')).encode())}"
    return f"{body}.{_b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())}"


def test_an_admin_token_forged_from_the_id_counter_is_refused(api: Api) -> None:
    # Given the ids a seed-0 world draws (the secret used to be one of them)
    now = api.world.clock.now_ms()
    ids = SequentialIds(0)
    candidates = [forged(ids.new_id().encode(), "admin@example.com", now) for _ in range(300)]
    before = api.snapshot()

    # When each forged ADMIN token tries to claim a task for someone
    replies = [api.client.post("/api/human/tasks/ext/externalUser/alice@example.com",
                               headers={"X-Authorization": token}) for token in candidates]

    # Then every one is refused, and nothing changed
    assert {r.status_code for r in replies} == {401}
    assert {r.json()["message"] for r in replies} == {RESTARTED}
    assert api.snapshot() == before


def test_a_token_does_not_survive_a_restart() -> None:
    token = _login(build_app(HTTP_WORLD))
    restarted = build_app(HTTP_WORLD)
    with TestClient(restarted) as client:
        reply = client.get("/api/human/tasks/ext", headers={"X-Authorization": token})
    assert reply.status_code == 401
    assert reply.json()["message"] == RESTARTED


def test_a_token_survives_a_restart_with_the_same_token_secret() -> None:
    token = _login(build_app(HTTP_WORLD, token_secret="fixed"))
    with TestClient(build_app(HTTP_WORLD, token_secret="fixed")) as client:
        assert client.get("/api/human/tasks/ext", headers={"X-Authorization": token}).status_code == 200
    with TestClient(build_app(HTTP_WORLD, token_secret="another")) as client:
        assert client.get("/api/human/tasks/ext", headers={"X-Authorization": token}).status_code == 401


def test_a_bearer_prefix_gets_a_message_about_the_prefix(api: Api) -> None:
    reply = api.client.get("/api/human/tasks/ext", headers={"X-Authorization": f"Bearer {api.token('admin')}"})

    assert reply.status_code == 401
    assert "without 'Bearer '" in reply.json()["message"]


def _login(app: Any) -> str:
    with TestClient(app) as client:
        reply = client.post("/api/token", json={"keyId": "admin-key", "keySecret": "admin-secret"})
        assert reply.status_code == 200
        token: str = reply.json()["token"]
        return token
