"""TokenService: random signing secrets, random `jti`s, and 401s that name the problem."""

from __future__ import annotations

import base64
import json

import pytest

from mockserver.domain import ManualClock
from mockserver.domain.errors import InvalidToken
from mockserver.domain.identity import (
    BEARER,
    RESTARTED,
    ApiKey,
    AuthSettings,
    Directory,
    Principal,
    PrincipalKind,
    Role,
    TokenService,
    fixed_secret,
)

ADMIN = Principal("admin@example.com", PrincipalKind.USER, frozenset({Role.ADMIN}))
DIRECTORY = Directory([ADMIN], keys=[ApiKey("admin-key", "admin-secret", ADMIN.id)])


class CountingEntropy:
    """Deterministic bytes, to tell which draws the service makes."""

    def __init__(self) -> None:
        self.calls: list[int | None] = []

    def token_bytes(self, nbytes: int | None = None) -> bytes:
        self.calls.append(nbytes)
        return bytes([len(self.calls)]) * (nbytes or 32)


def service(secret: bytes | None = None) -> TokenService:
    return TokenService(DIRECTORY, AuthSettings(required=True), ManualClock(1_000_000), secret=secret)


def claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    value: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return value


def test_two_services_without_a_secret_sign_with_different_random_secrets() -> None:
    token = service().issue("admin-key", "admin-secret")

    with pytest.raises(InvalidToken) as refused:
        service().authenticate(token)
    assert refused.value.message == RESTARTED


def test_a_fixed_secret_signs_the_same_way_across_services() -> None:
    token = service(fixed_secret("s3cret")).issue("admin-key", "admin-secret")

    assert service(fixed_secret("s3cret")).authenticate(token) == DIRECTORY.get(ADMIN.id)
    with pytest.raises(InvalidToken):
        service(fixed_secret("other")).authenticate(token)


def test_the_secret_and_each_jti_come_from_the_entropy_source() -> None:
    entropy = CountingEntropy()
    tokens = TokenService(DIRECTORY, AuthSettings(required=True), ManualClock(0), entropy=entropy)

    first, second = tokens.issue("admin-key", "admin-secret"), tokens.issue("admin-key", "admin-secret")

    assert entropy.calls == [32, 12, 12]  # the secret, then one jti per token
    assert claims(first)["jti"] != claims(second)["jti"]
    assert "0000" not in str(claims(first)["jti"])  # nothing like a sequential id


def test_a_bearer_prefix_is_named_as_the_problem() -> None:
    tokens = service()
    token = tokens.issue("admin-key", "admin-secret")

    with pytest.raises(InvalidToken) as refused:
        tokens.authenticate(f"Bearer {token}")
    assert refused.value.message == BEARER
    assert "without 'Bearer '" in refused.value.message


@pytest.mark.parametrize("token", ["é.é.é", "a.b.ü"])
def test_a_token_with_non_ascii_text_is_refused_not_crashed(token: str) -> None:
    with pytest.raises(InvalidToken) as refused:
        service().authenticate(token)
    assert refused.value.message == RESTARTED


def test_a_key_secret_with_non_ascii_text_is_refused_not_crashed() -> None:
    from mockserver.domain.errors import InvalidCredentials

    with pytest.raises(InvalidCredentials):
        service().issue("admin-key", "sécret")
