"""Who the kit acts as: named identities, each with a role, read from a YAML file or from one key pair.

Roles:

* `owner`  an application that starts the kit's workflows, and so owns their human tasks (required);
* `other`  an application that owns none of them (for the 403 rules);
* `admin`  a cluster admin;
* `user`   a Conductor user (any number), with its id and the groups it belongs to (for CONDUCTOR_USER and
           CONDUCTOR_GROUP matching).

File format (values may name environment variables as `${NAME}`, so secrets can stay out of the file):

    identities:
      owner-app: {role: owner, keyId: ..., keySecret: ${OWNER_SECRET}, id: owner-app}
      other-app: {role: other, keyId: ..., keySecret: ...}
      ada:       {role: admin, keyId: ..., keySecret: ...}
      alice:     {role: user, keyId: ..., keySecret: ..., id: alice@example.com, groups: [reviewers]}

`token: ...` may replace `keyId`/`keySecret` (then it cannot be refreshed). With no key and no token an
identity sends no `X-Authorization` (a server in open mode).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

KEY_ENV = "CONDUCTOR_AUTH_KEY"
SECRET_ENV = "CONDUCTOR_AUTH_SECRET"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_FIELDS = ("role", "keyId", "keySecret", "token", "id", "groups")


class IdentityError(ValueError):
    """An identities file (or key options) that cannot be used. The message names the file and the entry."""


class Role(StrEnum):
    OWNER = "owner"
    OTHER = "other"
    ADMIN = "admin"
    USER = "user"


@dataclass(frozen=True, slots=True)
class Identity:
    name: str
    role: Role
    key_id: str | None = None
    key_secret: str | None = None
    token: str | None = None
    id: str | None = None
    groups: tuple[str, ...] = ()

    @property
    def has_credentials(self) -> bool:
        return bool(self.token or (self.key_id and self.key_secret))

    def describe(self) -> str:
        who = f" as {self.id}" if self.id else ""
        how = f"key {self.key_id}" if self.key_id else ("a fixed token" if self.token else "no credentials")
        return f"{self.name} ({self.role}{who}, {how})"


@dataclass(frozen=True, slots=True)
class Identities:
    """Every identity of a run, by name. `resolve` finds one by name or by role."""

    members: tuple[Identity, ...]
    source: str = "key options"
    by_name: dict[str, Identity] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {m.name: m for m in self.members})

    @property
    def owner(self) -> Identity:
        found = self.first(Role.OWNER)
        assert found is not None, "Identities always have an owner"
        return found

    def first(self, role: Role) -> Identity | None:
        return next((m for m in self.members if m.role is role), None)

    def users(self) -> list[Identity]:
        return [m for m in self.members if m.role is Role.USER]

    def resolve(self, ref: str) -> Identity | None:
        """`owner`, `other`, `admin`, `user` (the first user), `user2` (the second), or an identity's name."""
        if ref in self.by_name:
            return self.by_name[ref]
        if ref in {r.value for r in Role}:
            return self.first(Role(ref))
        match = re.fullmatch(r"user(\d+)", ref)
        if match:
            users = self.users()
            index = int(match.group(1)) - 1
            return users[index] if 0 <= index < len(users) else None
        return None

    def describe(self) -> str:
        return ", ".join(m.describe() for m in self.members)


def single(key_id: str | None = None, key_secret: str | None = None, *, token: str | None = None,
           environ: Mapping[str, str] | None = None) -> Identities:
    """One identity, the owner, from a key pair (or `CONDUCTOR_AUTH_KEY`/`CONDUCTOR_AUTH_SECRET`)."""
    env = os.environ if environ is None else environ
    key_id = key_id or env.get(KEY_ENV) or None
    key_secret = key_secret or env.get(SECRET_ENV) or None
    if bool(key_id) != bool(key_secret):
        raise IdentityError("give both a key id and a key secret (--key-id/--key-secret, or the "
                            f"{KEY_ENV}/{SECRET_ENV} environment variables), or neither for a server in open mode")
    source = "key options" if key_id or token else "no credentials (open mode)"
    return Identities((Identity("owner", Role.OWNER, key_id, key_secret, token),), source=source)


def load(path: Path, *, environ: Mapping[str, str] | None = None) -> Identities:
    """Read and validate an identities file; every problem raises `IdentityError` naming the entry."""
    import yaml

    env = os.environ if environ is None else environ
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise IdentityError(f"{path}: cannot read: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise IdentityError(f"{path}: not valid YAML: {error}") from None
    return parse(data, source=str(path), environ=env)


def parse(data: Any, *, source: str, environ: Mapping[str, str]) -> Identities:
    if not isinstance(data, dict) or not isinstance(data.get("identities"), dict) or not data["identities"]:
        raise IdentityError(f"{source}: expected a mapping with a non-empty `identities:` mapping of name -> identity")
    members = [_identity(str(name), entry, f"{source}: identities.{name}", environ)
               for name, entry in data["identities"].items()]
    _check_roles(members, source)
    return Identities(tuple(members), source=source)


def _identity(name: str, entry: Any, where: str, environ: Mapping[str, str]) -> Identity:
    if not isinstance(entry, dict):
        raise IdentityError(f"{where}: expected a mapping with role, keyId/keySecret (or token), id, groups")
    for key in entry:
        if key not in _FIELDS:
            close = difflib.get_close_matches(str(key), _FIELDS, n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise IdentityError(f"{where}: unknown field '{key}'.{hint} Known fields: {', '.join(_FIELDS)}")
    raw_role = str(entry.get("role", ""))
    try:
        role = Role(raw_role)
    except ValueError:
        roles = [r.value for r in Role]
        close = difflib.get_close_matches(raw_role, roles, n=1, cutoff=0.5)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise IdentityError(f"{where}.role: '{raw_role}' is not a role.{hint} Roles: {', '.join(roles)}") from None
    values = {key: _expand(entry.get(key), f"{where}.{key}", environ) for key in ("keyId", "keySecret", "token", "id")}
    if bool(values["keyId"]) != bool(values["keySecret"]):
        raise IdentityError(f"{where}: give both keyId and keySecret, or a token")
    groups = entry.get("groups") or []
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise IdentityError(f"{where}.groups: expected a list of group ids")
    if role is Role.USER and not values["id"]:
        raise IdentityError(f"{where}.id: a user needs its Conductor user id (tasks get assigned to it)")
    return Identity(name, role, values["keyId"], values["keySecret"], values["token"], values["id"], tuple(groups))


def _expand(value: Any, where: str, environ: Mapping[str, str]) -> str | None:
    if value is None:
        return None

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise IdentityError(f"{where}: environment variable {name} is not set")
        return environ[name]

    return _ENV_REF.sub(lookup, str(value))


def _check_roles(members: Iterable[Identity], source: str) -> None:
    counts: dict[Role, int] = {}
    for member in members:
        counts[member.role] = counts.get(member.role, 0) + 1
    if not counts.get(Role.OWNER):
        raise IdentityError(f"{source}: no identity has role 'owner' (the application that starts the workflows)")
    for role in (Role.OWNER, Role.OTHER, Role.ADMIN):
        if counts.get(role, 0) > 1:
            raise IdentityError(f"{source}: more than one identity has role '{role}'; only users may repeat")


def from_scenario(path: Path) -> Identities:
    """The identities a mock scenario file defines: its first ADMIN user, the application owning most tasks
    (`ownerApp`) as the owner, another application as `other`, and every other user with a key, with its
    groups. Read from the YAML alone (the kit never imports the mock)."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        data = {}
    if not isinstance(data, dict):
        data = {}

    def key(entry: Mapping[str, Any]) -> tuple[str, str] | None:
        keys = entry.get("keys") or []
        return (str(keys[0]["keyId"]), str(keys[0]["keySecret"])) if keys and isinstance(keys[0], dict) else None

    users = [u for u in data.get("users") or [] if isinstance(u, dict) and key(u)]
    apps = [a for a in data.get("applications") or [] if isinstance(a, dict) and key(a)]
    members: dict[str, set[str]] = {}
    for group in data.get("groups") or []:
        for member in group.get("members") or []:
            members.setdefault(str(member), set()).add(str(group["id"]))
    owned: dict[str, int] = {}
    for task in data.get("tasks") or []:
        if isinstance(task, dict) and task.get("ownerApp"):
            owned[str(task["ownerApp"])] = owned.get(str(task["ownerApp"]), 0) + 1
    apps.sort(key=lambda a: -owned.get(str(a["id"]), 0))
    found: list[Identity] = []

    def add(entry: Mapping[str, Any], role: Role) -> None:
        pair = key(entry)
        assert pair is not None
        own = [str(g) for g in entry.get("groups") or []]
        groups = tuple(dict.fromkeys([*own, *sorted(members.get(str(entry["id"]), ()))]))
        found.append(Identity(str(entry["id"]), role, pair[0], pair[1], None, str(entry["id"]), groups))

    admins = [u for u in users if "ADMIN" in (u.get("roles") or [])]
    if apps:
        add(apps[0], Role.OWNER)
    if len(apps) > 1:
        add(apps[1], Role.OTHER)
    if admins:
        add(admins[0], Role.ADMIN)
    for user in users:
        if user is not (admins[0] if admins else None):
            add(user, Role.USER)
    if not any(m.role is Role.OWNER for m in found):
        promoted = found.pop(0) if found else Identity("owner", Role.OWNER)
        found.insert(0, Identity(promoted.name, Role.OWNER, promoted.key_id, promoted.key_secret, None, promoted.id,
                                 promoted.groups))
    return Identities(tuple(found), source=f"scenario {path.name}")


def mock_identities(base_url: str, *, timeout: float = 10.0) -> Path | None:
    """The shipped identities of the mock's default scenario, when `base_url` is a conductor-mock whose
    default-scenario keys work: so that `verify --base-url http://127.0.0.1:8080/api` against `make serve`, and
    `pytest --conductor-url` against it, need no credentials. None for any other server."""
    import httpx

    from mockserver import resources

    root = base_url.removesuffix("/").removesuffix("/api")
    path = resources.scenarios_dir() / "conformance" / "identities.mock.yaml"
    try:
        if httpx.get(f"{root}/_mock/version", timeout=timeout).status_code != 200 or not path.exists():
            return None
        owner = load(path).members[0]
        reply = httpx.post(f"{base_url}/token", json={"keyId": owner.key_id, "keySecret": owner.key_secret},
                           timeout=timeout)
    except (httpx.HTTPError, IdentityError, AttributeError, IndexError):
        return None
    return path if reply.status_code == 200 else None
