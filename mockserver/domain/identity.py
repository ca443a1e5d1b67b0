"""Who is calling: users, groups, applications, their keys, and the tokens issued for those keys."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from json.encoder import encode_basestring_ascii
from typing import Final, Protocol

from mockserver.domain.clock import Clock
from mockserver.domain.errors import ExpiredToken, InvalidCredentials, InvalidToken, TokenEndpointDisabled


class Entropy(Protocol):
    """Where unguessable bytes come from. The `secrets` module is one; tests may pass their own."""

    def token_bytes(self, nbytes: int | None = None) -> bytes: ...


SECRET_BYTES: Final = 32
# tokens whose claims are remembered once verified (a client keeps one token for many calls); past that the
# memory starts afresh: small, so that a client taking a new token per call does not grow the process for long
VERIFIED_TOKENS: Final = 1_024
RESTARTED: Final = ("Invalid token: it was not signed by this server's current secret (a restart, a scenario load "
                    "or a merge that changes identities issues a new one): get a new token from POST /api/token")
BEARER: Final = ("Invalid token: send the token itself in X-Authorization, without 'Bearer ' (Orkes reads the "
                 "header's value as the token)")


def new_secret(entropy: Entropy = secrets) -> bytes:
    """A fresh random signing secret."""
    return entropy.token_bytes(SECRET_BYTES)


def fixed_secret(text: str) -> bytes:
    """The signing secret of `serve --token-secret TEXT`: tokens then survive restarts (and anyone who knows
    TEXT can forge them)."""
    return hashlib.sha256(b"conductor-mock token secret\0" + text.encode()).digest()


class Role(StrEnum):
    ADMIN = "ADMIN"
    USER = "USER"


class PrincipalKind(StrEnum):
    USER = "USER"
    APPLICATION = "APPLICATION"


class Access(StrEnum):
    """An Orkes RBAC access type on a workflow definition (the ones the human-task docs name)."""

    READ = "READ"
    UPDATE = "UPDATE"
    EXECUTE = "EXECUTE"
    DELETE = "DELETE"


class SubjectType(StrEnum):
    """Who a permission is granted to."""

    APPLICATION = "APPLICATION"
    USER = "USER"
    GROUP = "GROUP"


@dataclass(frozen=True, slots=True)
class Permission:
    """`access` on the workflow definition `workflow` (by name), granted to one application, user or group."""

    workflow: str
    access: frozenset[Access]
    subject_type: SubjectType
    subject: str

    def applies_to(self, principal: Principal) -> bool:
        if self.subject_type is SubjectType.GROUP:
            return self.subject in principal.groups
        kind = PrincipalKind.USER if self.subject_type is SubjectType.USER else PrincipalKind.APPLICATION
        return principal.kind is kind and principal.id == self.subject


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a Conductor user or an application."""

    id: str
    kind: PrincipalKind
    roles: frozenset[Role] = frozenset({Role.USER})
    groups: frozenset[str] = frozenset()
    name: str = ""
    grants: frozenset[tuple[str, Access]] = frozenset()  # (workflow definition name, access), groups' included

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    def holds(self, access: Access, workflow_name: str) -> bool:
        """Does a scenario's `permissions:` grant `access` on the workflow definition `workflow_name`?"""
        return bool(self.grants) and (workflow_name, access) in self.grants

    def workflows_with(self, access: Access) -> tuple[str, ...]:
        """The names of the workflow definitions this principal holds `access` on, sorted."""
        return tuple(sorted(name for name, held in self.grants if held is access))


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    secret: str
    principal_id: str


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """`required`: every call needs a token. Otherwise (open mode) a call without one acts as `anonymous`."""

    required: bool
    token_ttl_ms: int = 3_600_000
    anonymous: Principal | None = None


class Directory:
    """Every principal, group and key of a world. Immutable after construction."""

    def __init__(
        self,
        principals: Iterable[Principal] = (),
        groups: Mapping[str, Iterable[str]] | None = None,
        keys: Iterable[ApiKey] = (),
        permissions: Iterable[Permission] = (),
    ) -> None:
        self.groups: dict[str, frozenset[str]] = {g: frozenset(m) for g, m in (groups or {}).items()}
        self.permissions = tuple(permissions)
        self.principals: dict[str, Principal] = {}
        for p in principals:
            member_of = frozenset(g for g, members in self.groups.items() if p.id in members)
            joined = Principal(p.id, p.kind, p.roles, p.groups | member_of, p.name)
            grants = frozenset((g.workflow, a) for g in self.permissions if g.applies_to(joined) for a in g.access)
            self.principals[p.id] = Principal(p.id, p.kind, p.roles, joined.groups, p.name, p.grants | grants)
        self.keys: dict[str, ApiKey] = {k.key_id: k for k in keys}

    def is_member(self, user_id: str, group_id: str) -> bool:
        return user_id in self.groups.get(group_id, ())

    def get(self, principal_id: str) -> Principal | None:
        return self.principals.get(principal_id)


_URLSAFE: Final = bytes.maketrans(b"+/", b"-_")


def _b64(data: bytes) -> str:
    """base64url without padding: `base64.urlsafe_b64encode(data).rstrip(b"=")`, in three C calls."""
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_JWT_HEADER = _b64(b'{"alg":"HS256","typ":"JWT"}')


class TokenService:
    """Issues JWT-shaped, HMAC-signed tokens for API keys, and turns a token back into its principal.

    Tokens carry their principal and expiry, so issuing one stores nothing: memory stays flat however
    many tokens a client asks for. The signing `secret` is given (the composition root draws one per server
    and scenario, or derives it from `--token-secret`) or drawn from `entropy`; each token's `jti` is random,
    so no token tells anything about the world's ids.
    """

    def __init__(self, directory: Directory, settings: AuthSettings, clock: Clock, *, secret: bytes | None = None,
                 entropy: Entropy = secrets) -> None:
        self._directory = directory
        self._settings = settings
        self._clock = clock
        self._entropy = entropy
        self._secret = secret if secret is not None else new_secret(entropy)
        self._verified: dict[str, tuple[str, int]] = {}

    def successor_secret(self) -> bytes:
        """The key of the next world's tokens when identities change (a merge): derived from this one, so every
        process of a shared store derives the same; tokens of this key are not valid under it."""
        return hmac.new(self._secret, b"conductor-mock successor", hashlib.sha256).digest()

    @property
    def settings(self) -> AuthSettings:
        return self._settings

    def issue(self, key_id: str, key_secret: str, expiration_ms: int | None = None) -> str:
        if not self._directory.keys and not self._settings.required:
            raise TokenEndpointDisabled()
        key = self._directory.keys.get(key_id)
        if key is None or not hmac.compare_digest(key.secret.encode(), key_secret.encode()):
            raise InvalidCredentials(key_id)
        ttl = expiration_ms if expiration_ms and expiration_ms > 0 else self._settings.token_ttl_ms
        now = self._clock.now_ms()
        # json.dumps({"sub": ..., "iat": ..., "exp": ..., "expMs": ..., "jti": ...}, separators=(",", ":")), spelled
        # out: the same bytes (tests/domain/test_identity.py), without making an encoder per token
        claims = (f'{{"sub":{encode_basestring_ascii(key.principal_id)},"iat":{now // 1000},'
                  f'"exp":{(now + ttl) // 1000},"expMs":{now + ttl},"jti":"{_b64(self._entropy.token_bytes(12))}"}}')
        body = f"{_JWT_HEADER}.{_b64(claims.encode())}"
        return f"{body}.{self._sign(body)}"

    def authenticate(self, token: str | None) -> Principal:
        """The caller behind `token` (the raw `X-Authorization` value), or an `AuthError`."""
        if not token:
            if not self._settings.required and self._settings.anonymous is not None:
                return self._settings.anonymous
            raise InvalidToken("Missing X-Authorization header: get a token from POST /api/token")
        verified = self._verified.get(token)
        if verified is None:
            verified = self._verify(token)
        subject, expires = verified
        if self._clock.now_ms() >= expires:
            raise ExpiredToken()
        principal = self._directory.get(subject)
        if principal is None:
            raise InvalidToken(f"Invalid token: principal '{subject}' no longer exists")
        return principal

    def _verify(self, token: str) -> tuple[str, int]:
        """(subject, expiry) of a token this service signed. Remembered: a token's claims never change."""
        if token[:7].lower() == "bearer ":
            raise InvalidToken(BEARER)
        head, _, signature = token.rpartition(".")
        if not head or not hmac.compare_digest(self._sign(head).encode(), signature.encode()):
            raise InvalidToken(RESTARTED)
        try:
            claims = json.loads(_unb64(head.partition(".")[2]))
            subject, expires = str(claims["sub"]), int(claims["expMs"])
        except (ValueError, KeyError, TypeError):
            raise InvalidToken("Invalid token: unreadable claims") from None
        if len(self._verified) >= VERIFIED_TOKENS:
            self._verified.clear()
        self._verified[token] = (subject, expires)
        return subject, expires

    def _sign(self, body: str) -> str:
        return _b64(hmac.digest(self._secret, body.encode(), "sha256"))  # one-shot: no HMAC object per call
