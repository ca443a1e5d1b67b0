"""Principals, the directory, and the token service: issue, verify, expiry, open mode, and the error codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from mockserver.domain import (
    ApiKey,
    AuthSettings,
    Directory,
    ManualClock,
    Principal,
    PrincipalKind,
    Role,
    TokenService,
)
from mockserver.domain.errors import (
    AuthError,
    ExpiredToken,
    InvalidCredentials,
    InvalidToken,
    NotFound,
    TokenEndpointDisabled,
)

NOW = 1_700_000_000_000
ALICE = Principal("alice", PrincipalKind.USER, name="Alice")
ROBOT = Principal("robot", PrincipalKind.APPLICATION, roles=frozenset({Role.ADMIN}))
ANONYMOUS = Principal("anonymous", PrincipalKind.USER, roles=frozenset({Role.ADMIN}))
KEYS = (ApiKey("alice-key", "alice-secret", "alice"), ApiKey("robot-key", "robot-secret", "robot"))


class ListIds:
    """Ids from a list, so the signing secret (the first id) is known to the test."""

    def __init__(self, *ids: str) -> None:
        self._ids = list(ids)

    def new_id(self) -> str:
        return self._ids.pop(0)


def directory(keys: tuple[ApiKey, ...] = KEYS) -> Directory:
    return Directory([ALICE, ROBOT], {"reviewers": ["alice"], "empty": []}, keys)


def service(settings: AuthSettings | None = None, *, keys: tuple[ApiKey, ...] = KEYS, seed: int = 0,
            clock: ManualClock | None = None) -> TokenService:
    return TokenService(directory(keys), settings or AuthSettings(required=True), clock or ManualClock(NOW),
                        secret=f"s3cret-{seed}".encode())


def claims_of(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# -- principals and the directory --------------------------------------------------------------------------

def test_a_principal_is_a_plain_user_unless_given_roles() -> None:
    assert ALICE.roles == frozenset({Role.USER})
    assert ALICE.groups == frozenset()
    assert not ALICE.is_admin
    assert ROBOT.is_admin


def test_the_directory_adds_group_membership_to_each_principal() -> None:
    found = directory().get("alice")
    assert found == Principal("alice", PrincipalKind.USER, frozenset({Role.USER}), frozenset({"reviewers"}), "Alice")
    assert directory().get("robot") == ROBOT


def test_groups_a_principal_declares_are_kept_beside_those_that_list_it() -> None:
    bob = Principal("bob", PrincipalKind.USER, groups=frozenset({"own"}))
    found = Directory([bob], {"listed": ["bob"]}).get("bob")
    assert found is not None
    assert found.groups == frozenset({"own", "listed"})


def test_membership_is_by_the_group_lists() -> None:
    d = directory()
    assert d.is_member("alice", "reviewers")
    assert not d.is_member("robot", "reviewers")
    assert not d.is_member("alice", "empty")
    assert not d.is_member("alice", "no-such-group")
    assert d.groups == {"reviewers": frozenset({"alice"}), "empty": frozenset()}


def test_an_unknown_principal_is_none() -> None:
    assert directory().get("nobody") is None


def test_keys_are_found_by_their_id() -> None:
    assert directory().keys == {"alice-key": KEYS[0], "robot-key": KEYS[1]}


def test_an_empty_directory() -> None:
    d = Directory()
    assert (d.principals, d.groups, d.keys) == ({}, {}, {})


def test_auth_settings_defaults() -> None:
    settings = AuthSettings(required=True)
    assert settings.token_ttl_ms == 3_600_000
    assert settings.anonymous is None


# -- issuing tokens ----------------------------------------------------------------------------------------

def test_a_token_is_jwt_shaped_with_its_subject_and_expiry() -> None:
    token = service().issue("alice-key", "alice-secret")
    header, _, _ = token.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))) == {"alg": "HS256", "typ": "JWT"}
    claims = claims_of(token)
    assert len(claims.pop("jti")) >= 16  # random, not the id counter
    assert claims == {"sub": "alice", "iat": NOW // 1000, "exp": (NOW + 3_600_000) // 1000, "expMs": NOW + 3_600_000}


@pytest.mark.parametrize(("subject", "expiration"), [
    ("alice", None), ('r\u00e9my "quoted" \\ \u2603 \U0001f600', 90_000), ("alice", 5000.0)])
def test_the_claims_are_the_bytes_json_dumps_makes(subject: str, expiration: float | None) -> None:
    """The claims are spelled out by hand (no encoder per token): byte for byte what json.dumps with compact
    separators makes, for a subject that needs escaping and for an expiration sent as a JSON float."""
    person = Principal(subject, PrincipalKind.USER)
    tokens = TokenService(Directory([person], {}, (ApiKey("k", "s", subject),)), AuthSettings(required=True),
                          ManualClock(NOW), secret=b"x")
    token = tokens.issue("k", "s", expiration)  # type: ignore[arg-type]  # a float, as a JSON body may send it
    part = token.split(".")[1]
    raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    claims = json.loads(raw)
    assert raw == json.dumps(claims, separators=(",", ":")).encode()
    assert list(claims) == ["sub", "iat", "exp", "expMs", "jti"] and claims["sub"] == subject
    assert token.split(".")[0] == b64(b'{"alg":"HS256","typ":"JWT"}') and "=" not in token


def test_a_token_is_signed_with_hmac_sha256_of_the_secret() -> None:
    tokens = TokenService(directory(), AuthSettings(required=True), ManualClock(NOW), secret=b"s3cret")
    token = tokens.issue("alice-key", "alice-secret")
    head, _, signature = token.rpartition(".")
    assert signature == b64(hmac.new(b"s3cret", head.encode(), hashlib.sha256).digest())
    assert claims_of(token)["jti"] != claims_of(tokens.issue("alice-key", "alice-secret"))["jti"]  # random


def test_the_ttl_comes_from_the_settings() -> None:
    token = service(AuthSettings(required=True, token_ttl_ms=60_000)).issue("alice-key", "alice-secret")
    assert claims_of(token)["expMs"] == NOW + 60_000


def test_an_expiration_asked_for_wins() -> None:
    token = service().issue("alice-key", "alice-secret", expiration_ms=5_000)
    assert claims_of(token)["expMs"] == NOW + 5_000
    assert claims_of(token)["exp"] == (NOW + 5_000) // 1000


@pytest.mark.parametrize("expiration", [0, -1, None])
def test_no_or_a_non_positive_expiration_means_the_default_ttl(expiration: int | None) -> None:
    token = service().issue("alice-key", "alice-secret", expiration_ms=expiration)
    assert claims_of(token)["expMs"] == NOW + 3_600_000


def test_services_with_the_same_secret_accept_each_others_tokens() -> None:
    first = service(seed=7).issue("alice-key", "alice-secret")
    assert service(seed=7).authenticate(first).id == "alice"
    with pytest.raises(InvalidToken):
        service(seed=8).authenticate(first)


def test_each_token_is_new() -> None:
    tokens = service()
    assert tokens.issue("alice-key", "alice-secret") != tokens.issue("alice-key", "alice-secret")


@pytest.mark.parametrize(("key_id", "secret"), [("alice-key", "wrong"), ("no-such-key", "alice-secret"),
                                                ("alice-key", ""), ("robot-key", "alice-secret")])
def test_bad_credentials_are_refused(key_id: str, secret: str) -> None:
    with pytest.raises(InvalidCredentials) as refused:
        service().issue(key_id, secret)
    assert refused.value.message == f"Invalid key id or secret for key '{key_id}'"
    assert refused.value.code == "INVALID_CREDENTIALS"
    assert isinstance(refused.value, AuthError)


def test_open_mode_with_no_keys_has_no_token_endpoint() -> None:
    with pytest.raises(TokenEndpointDisabled) as refused:
        service(AuthSettings(required=False, anonymous=ANONYMOUS), keys=()).issue("any", "thing")
    assert isinstance(refused.value, NotFound)
    assert refused.value.message == ("This server runs in open mode with no keys: there is no token to issue. "
                                     "Send no X-Authorization.")


def test_required_mode_with_no_keys_refuses_credentials() -> None:
    with pytest.raises(InvalidCredentials):
        service(keys=()).issue("any", "thing")


def test_open_mode_with_keys_issues_tokens() -> None:
    tokens = service(AuthSettings(required=False, anonymous=ANONYMOUS))
    assert tokens.authenticate(tokens.issue("robot-key", "robot-secret")) == ROBOT


# -- authenticating ----------------------------------------------------------------------------------------

def test_a_token_turns_back_into_its_principal() -> None:
    tokens = service()
    alice = tokens.authenticate(tokens.issue("alice-key", "alice-secret"))
    assert alice.id == "alice"
    assert alice.groups == frozenset({"reviewers"})
    assert tokens.authenticate(tokens.issue("robot-key", "robot-secret")) == ROBOT


def test_a_token_expires_at_its_expiry_millisecond() -> None:
    clock = ManualClock(NOW)
    tokens = service(AuthSettings(required=True, token_ttl_ms=1_000), clock=clock)
    token = tokens.issue("alice-key", "alice-secret")
    clock.advance(999)
    assert tokens.authenticate(token).id == "alice"
    clock.advance(1)
    with pytest.raises(ExpiredToken) as refused:
        tokens.authenticate(token)
    assert refused.value.code == "EXPIRED_TOKEN"
    assert refused.value.message == "Token expired: request a new one from POST /api/token"


def test_a_token_never_verified_before_expires_too() -> None:
    clock = ManualClock(NOW)
    tokens = service(AuthSettings(required=True, token_ttl_ms=1_000), clock=clock)
    token = tokens.issue("alice-key", "alice-secret")
    clock.advance(5_000)
    with pytest.raises(ExpiredToken):
        tokens.authenticate(token)


@pytest.mark.parametrize("token", [None, ""])
def test_required_mode_needs_a_token(token: str | None) -> None:
    with pytest.raises(InvalidToken) as refused:
        service().authenticate(token)
    assert refused.value.code == "INVALID_TOKEN"
    assert refused.value.message == "Missing X-Authorization header: get a token from POST /api/token"


@pytest.mark.parametrize("token", [None, ""])
def test_open_mode_without_a_token_acts_as_anonymous(token: str | None) -> None:
    assert service(AuthSettings(required=False, anonymous=ANONYMOUS)).authenticate(token) is ANONYMOUS


def test_open_mode_without_an_anonymous_principal_needs_a_token() -> None:
    with pytest.raises(InvalidToken, match="^Missing X-Authorization header"):
        service(AuthSettings(required=False)).authenticate(None)


def test_open_mode_still_checks_a_token_that_is_sent() -> None:
    with pytest.raises(InvalidToken) as refused:
        service(AuthSettings(required=False, anonymous=ANONYMOUS)).authenticate("not-a-token")
    assert refused.value.message == ("Invalid token: it was not signed by this server's current secret (a "
                                     "restart, a scenario load or a merge that changes identities issues a new "
                                     "one): get a new token from POST /api/token")


@pytest.mark.parametrize("mangle", [
    lambda t: t + "x",
    lambda t: t[:-2],
    lambda t: t.rpartition(".")[0],
    lambda t: "abc",
    lambda t: "." + t.rpartition(".")[2],
])
def test_a_token_this_service_did_not_sign_is_invalid(mangle: Any) -> None:
    tokens = service()
    with pytest.raises(InvalidToken) as refused:
        tokens.authenticate(mangle(tokens.issue("alice-key", "alice-secret")))
    assert refused.value.message == ("Invalid token: it was not signed by this server's current secret (a "
                                     "restart, a scenario load or a merge that changes identities issues a new "
                                     "one): get a new token from POST /api/token")


def test_a_token_of_another_server_is_invalid() -> None:
    token = service(seed=1).issue("alice-key", "alice-secret")
    with pytest.raises(InvalidToken, match=r"^Invalid token: it was not signed by this server"):
        service(seed=2).authenticate(token)


def test_changed_claims_break_the_signature() -> None:
    tokens = service()
    header, claims, signature = tokens.issue("alice-key", "alice-secret").split(".")
    forged = b64(json.dumps({**claims_of(f"{header}.{claims}.x"), "sub": "robot"}).encode())
    with pytest.raises(InvalidToken, match="not signed by this server"):
        tokens.authenticate(f"{header}.{forged}.{signature}")


@pytest.mark.parametrize("claims", [b"not json", b'{"sub": "alice"}', b'{"expMs": 1}', b'{"sub": "a", "expMs": "x"}',
                                    b"[1, 2]"])
def test_signed_but_unreadable_claims_are_invalid(claims: bytes) -> None:
    tokens = TokenService(directory(), AuthSettings(required=True), ManualClock(NOW), secret=b"s3cret")
    head = f"{b64(b'{}')}.{b64(claims)}"
    token = f"{head}.{b64(hmac.new(b's3cret', head.encode(), hashlib.sha256).digest())}"
    with pytest.raises(InvalidToken) as refused:
        tokens.authenticate(token)
    assert refused.value.message == "Invalid token: unreadable claims"


def test_a_token_for_a_principal_that_no_longer_exists_is_invalid() -> None:
    tokens = service(keys=(ApiKey("ghost-key", "boo", "ghost"),))
    token = tokens.issue("ghost-key", "boo")
    with pytest.raises(InvalidToken) as refused:
        tokens.authenticate(token)
    assert refused.value.message == "Invalid token: principal 'ghost' no longer exists"


def test_the_settings_are_those_given() -> None:
    settings = AuthSettings(required=False, token_ttl_ms=10, anonymous=ANONYMOUS)
    assert service(settings).settings is settings
