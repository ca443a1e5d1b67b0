"""TemplateStore: the user forms (human-task templates) of one mock, by (name, version), and their tags.

Every public method is atomic under the store's lock. `created_by`/`updated_by` hold the Orkes subject shape
(`USER:<id>`, `APPLICATION:<id>`): seeded bare principal ids are given their kind at construction. Imports
nothing of the web layer.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from mockserver.domain.clock import Clock
from mockserver.domain.errors import TemplateNotFound
from mockserver.domain.identity import Principal, PrincipalKind
from mockserver.domain.model import HumanTask, Template

__all__ = ["TemplateStore", "bare_id", "subject"]

KindOf = Callable[[str], PrincipalKind | None]
_PREFIXES = tuple(f"{kind.value}:" for kind in PrincipalKind)


def subject(principal_id: str, kind: PrincipalKind | None) -> str:
    """The Orkes subject string of a principal: `USER:<id>` (also for unknown ids), `APPLICATION:<id>`."""
    if not principal_id or principal_id.startswith(_PREFIXES):
        return principal_id
    return f"{(kind or PrincipalKind.USER).value}:{principal_id}"


def bare_id(value: str) -> str:
    """The principal id inside a subject string (what a scenario names)."""
    return value.partition(":")[2] if value.startswith(_PREFIXES) else value


class TemplateStore:
    """User forms by (name, version)."""

    def __init__(self, templates: Iterable[Template], *, clock: Clock, kind_of: KindOf | None = None) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        known = kind_of or (lambda _: None)
        self._templates: dict[tuple[str, int], Template] = {
            (t.name, t.version): replace(t, created_by=subject(t.created_by, known(t.created_by)),
                                         updated_by=subject(t.updated_by, known(t.updated_by)))
            for t in templates}

    # -- reading -------------------------------------------------------------------------------------

    def all(self) -> builtins.list[Template]:
        return sorted(self._templates.values(), key=lambda t: (t.name, -t.version))

    def get(self, name: str, version: int) -> Template:
        found = self._find(name, version)
        if found is None:
            raise TemplateNotFound(name, version)
        return found

    def find_for_task(self, task: HumanTask) -> Template | None:
        form = task.definition.form
        return self._find(form.name, form.version) if form is not None else None

    def for_task(self, task: HumanTask) -> Template:
        """The form of a human task; `TemplateNotFound` when it names none or one that does not exist."""
        form = task.definition.form
        if form is None:
            raise TemplateNotFound(f"(none: task {task.task_id} has no userFormTemplate)", None)
        return self.get(form.name, form.version)

    def list(self, name: str | None = None, version: int | None = None) -> builtins.list[Template]:
        found = [t for t in self.all()
                 if (name is None or t.name == name) and (version is None or t.version == version)]
        if name is not None and not found:
            raise TemplateNotFound(name, version)
        return found

    def tags(self, name: str) -> builtins.list[dict[str, Any]]:
        """The tags of a form (they belong to the name: every version carries the same)."""
        return [dict(tag) for tag in self.get(name, 0).tags]

    # -- changing ------------------------------------------------------------------------------------

    def save(self, caller: Principal, template: Template, *, new_version: bool, version_given: bool) -> Template:
        """Save a form. A version in the body wins; else `new_version` makes latest+1; else the latest is
        overwritten (version 1 when the form is new)."""
        with self._lock:
            return self._save(caller, template, new_version=new_version, version_given=version_given)

    def save_all(self, caller: Principal, templates: Sequence[Template], *,
                 new_version: bool) -> builtins.list[Template]:
        """`POST /human/template/bulk`: each form saved as `save` would, in order, under one lock."""
        with self._lock:
            return [self._save(caller, t, new_version=new_version, version_given=t.version > 0) for t in templates]

    def delete(self, name: str, version: int | None = None) -> builtins.list[Template]:
        """Delete one version, or every version (`version` None). `TemplateNotFound` changes nothing."""
        with self._lock:
            keys = [k for k in self._templates if k[0] == name and (version is None or k[1] == version)]
            if not keys:
                raise TemplateNotFound(name, version)
            return [self._templates.pop(k) for k in keys]

    def put_tags(self, name: str, tags: Sequence[Mapping[str, Any]]) -> builtins.list[dict[str, Any]]:
        """Add tags to every version of a form; a tag whose key is already there replaces its value."""
        def merge(old: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
            incoming = {str(t["key"]): dict(t) for t in tags}
            kept = tuple(t for t in old if t.get("key") not in incoming)
            return kept + tuple(incoming.values())
        return self._retag(name, merge)

    def delete_tags(self, name: str, tags: Sequence[Mapping[str, Any]]) -> builtins.list[dict[str, Any]]:
        """Remove the tags matching (key and value) any of `tags` from every version of a form."""
        doomed = {(t.get("key"), t.get("value")) for t in tags}
        return self._retag(name, lambda old: tuple(t for t in old if (t.get("key"), t.get("value")) not in doomed))

    # -- internals -----------------------------------------------------------------------------------

    def _save(self, caller: Principal, template: Template, *, new_version: bool, version_given: bool) -> Template:
        now = self._clock.now_ms()
        by = subject(caller.id, caller.kind)
        latest = max((v for n, v in self._templates if n == template.name), default=0)
        version = template.version if version_given else (latest + 1 if new_version or latest == 0 else latest)
        existing = self._templates.get((template.name, version))
        saved = replace(template, version=version, updated_by=by, update_time=now,
                        created_by=existing.created_by if existing else by,
                        create_time=existing.create_time if existing else now)
        self._templates[(saved.name, saved.version)] = saved
        return saved

    def _retag(self, name: str, change: Callable[[tuple[dict[str, Any], ...]], tuple[dict[str, Any], ...]]
               ) -> builtins.list[dict[str, Any]]:
        with self._lock:
            keys = [k for k in self._templates if k[0] == name]
            if not keys:
                raise TemplateNotFound(name, None)
            for key in keys:
                self._templates[key] = replace(self._templates[key], tags=change(self._templates[key].tags))
            return [dict(t) for t in self._templates[keys[0]].tags]

    def _find(self, name: str, version: int) -> Template | None:
        if version <= 0:
            versions = [v for n, v in self._templates if n == name]
            return self._templates[(name, max(versions))] if versions else None
        return self._templates.get((name, version))
