"""The server under test, as the kit's parts share it: its API root, the identities, one HTTP client, a
session per identity, the run id that keeps names unique, and the user form every run registers once."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

import httpx

from mockserver.contract import provision
from mockserver.contract.identities import Identities, Identity, Role
from mockserver.contract.sessions import Session, new_http_client


def new_run_id() -> str:
    return "r" + secrets.token_hex(4)


def api_root(url: str) -> str:
    """`http://host:8080` -> `http://host:8080/api`; a URL with a path is kept as given."""
    url = url.rstrip("/")
    rest = url.partition("://")[2]
    return url + "/api" if "/" not in rest else url


@dataclass
class Target:
    base_url: str
    identities: Identities
    run_id: str = field(default_factory=new_run_id)
    http: httpx.Client = field(default_factory=new_http_client)
    wait_seconds: float = 15.0
    _sessions: dict[str, Session] = field(default_factory=dict, init=False, repr=False)
    _form: tuple[str | None] | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def identity(self, ref: str) -> Identity | None:
        return self.identities.resolve(ref)

    def session(self, ref: str) -> Session:
        identity = self.identities.resolve(ref)
        if identity is None:
            raise KeyError(f"no identity '{ref}' is configured")
        with self._lock:
            if identity.name not in self._sessions:
                self._sessions[identity.name] = Session(self.base_url, identity, self.http)
            return self._sessions[identity.name]

    @property
    def owner(self) -> Session:
        return self.session("owner")

    def form(self) -> str | None:
        """The name of this run's user form, registered on first use (None if the server refused it:
        the kit's tasks then show no form)."""
        with self._lock:
            cached = self._form
        if cached is not None:
            return cached[0]
        name = f"contract_form_{self.run_id}"
        saved = provision.register_form(self.owner, name)
        if not 200 <= saved.status < 300 and self.identities.first(Role.ADMIN) is not None:
            saved = provision.register_form(self.session("admin"), name)
        result = name if 200 <= saved.status < 300 else None
        with self._lock:
            self._form = (result,)
        return result

    def close(self) -> None:
        self.http.close()

