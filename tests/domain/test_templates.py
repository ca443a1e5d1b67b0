"""TemplateStore: versions, subjects, bulk save, deletion and tags."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mockserver.domain import ManualClock, Principal, PrincipalKind, Template
from mockserver.domain.errors import TemplateNotFound
from mockserver.domain.templates import TemplateStore, bare_id, subject

ALICE = Principal("alice@example.com", PrincipalKind.USER)
APP = Principal("owner-app", PrincipalKind.APPLICATION)


def form(name: str = "f", version: int = 0, **tags: str) -> Template:
    return Template(name, version, {"type": "object"}, {}, tags=tuple({"key": k, "value": v} for k, v in tags.items()))


@pytest.fixture
def store() -> TemplateStore:
    kinds = {"owner-app": PrincipalKind.APPLICATION}
    seeded = [Template("f", 1, {}, {}, created_by="owner-app", updated_by="alice@example.com"), form("f", 2, a="1")]
    return TemplateStore(seeded, clock=ManualClock(1000), kind_of=kinds.get)


def test_seeded_principal_ids_become_subjects(store: TemplateStore) -> None:
    seeded = store.get("f", 1)
    assert (seeded.created_by, seeded.updated_by) == ("APPLICATION:owner-app", "USER:alice@example.com")


def test_save_records_the_caller_as_a_subject(store: TemplateStore) -> None:
    saved = store.save(APP, form("g"), new_version=False, version_given=False)
    assert (saved.version, saved.created_by, saved.updated_by) == (1, "APPLICATION:owner-app", "APPLICATION:owner-app")


@pytest.mark.parametrize(("value", "kind", "expected"), [
    ("bob", None, "USER:bob"), ("app", PrincipalKind.APPLICATION, "APPLICATION:app"), ("USER:bob", None, "USER:bob"),
    ("", None, "")])
def test_subject_prefixes_a_bare_id_once(value: str, kind: PrincipalKind | None, expected: str) -> None:
    assert subject(value, kind) == expected
    assert bare_id(expected) == value.removeprefix("USER:")


def test_save_all_saves_in_order_with_the_version_rules(store: TemplateStore) -> None:
    saved = store.save_all(ALICE, [form("f"), form("g"), form("f", 7)], new_version=True)
    assert [(t.name, t.version) for t in saved] == [("f", 3), ("g", 1), ("f", 7)]
    assert [t.version for t in store.list("f")] == [7, 3, 2, 1]


def test_delete_one_version_keeps_the_others(store: TemplateStore) -> None:
    assert [t.version for t in store.delete("f", 1)] == [1]
    assert [t.version for t in store.list("f")] == [2]


def test_delete_by_name_removes_every_version(store: TemplateStore) -> None:
    assert len(store.delete("f")) == 2
    assert store.all() == []


@pytest.mark.parametrize("version", [None, 9])
def test_delete_of_an_unknown_form_changes_nothing(store: TemplateStore, version: int | None) -> None:
    before = store.all()
    with pytest.raises(TemplateNotFound):
        store.delete("nope" if version is None else "f", version)
    assert store.all() == before


def test_put_tags_replaces_a_value_by_key_and_keeps_the_rest_on_every_version(store: TemplateStore) -> None:
    tags = store.put_tags("f", [{"key": "a", "value": "2"}, {"key": "b", "value": "x"}])
    assert tags == [{"key": "a", "value": "2"}, {"key": "b", "value": "x"}]
    assert store.get("f", 1).tags == store.get("f", 2).tags
    assert store.tags("f") == tags


def test_delete_tags_removes_only_key_and_value_matches(store: TemplateStore) -> None:
    store.delete_tags("f", [{"key": "a", "value": "other"}])
    assert store.tags("f") == [{"key": "a", "value": "1"}]
    store.delete_tags("f", [{"key": "a", "value": "1"}])
    assert store.tags("f") == []


def test_tags_of_an_unknown_form_are_refused_without_change(store: TemplateStore) -> None:
    before = store.all()
    calls: list[Callable[[], object]] = [lambda: store.tags("nope"),
                                         lambda: store.put_tags("nope", [{"key": "k", "value": "v"}]),
                                         lambda: store.delete_tags("nope", [])]
    for call in calls:
        with pytest.raises(TemplateNotFound, match="nope"):
            call()
    assert store.all() == before
