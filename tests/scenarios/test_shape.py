"""Pass 2: the JSON Schema the shape is checked against."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from jsonschema import Draft202012Validator

from tests.scenarios.support import schema

APPLICATORS: Final = ("anyOf", "oneOf", "allOf", "not")


def objects_in(node: Any) -> Iterator[dict[str, Any]]:
    """Every schema object that declares its own keys: the branches of anyOf/not only constrain them."""
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key not in APPLICATORS:
                yield from objects_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from objects_in(value)


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    document = schema()

    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(document)


def test_schema_closes_every_declared_object_and_describes_every_field() -> None:
    with_properties = [node for node in objects_in(schema()) if "properties" in node]

    assert with_properties
    for node in with_properties:
        if node.get("additionalProperties") is True:
            assert "free-form" in node["description"]  # Conductor's own models: open by design, and said so
        else:
            assert node.get("additionalProperties") is False, sorted(node["properties"])
        for name, field in node["properties"].items():
            assert field.get("description"), name


def test_schema_applicator_branches_only_constrain_keys_their_object_declares() -> None:
    for node in objects_in(schema()):
        branches = [b for key in APPLICATORS if key in node for b in (node[key] if key != "not" else [node[key]])]
        for branch in branches:
            assert set(branch.get("properties", {})) | set(branch.get("required", [])) <= set(node["properties"])


def test_schema_accepts_a_null_assignee_and_rejects_an_unknown_key() -> None:
    validator = Draft202012Validator(schema())

    assert validator.is_valid({"tasks": [{"taskId": "t", "assignee": None}]})
    assert not validator.is_valid({"tasks": [{"taskId": "t", "stat": "ASSIGNED"}]})
