"""`${...}` expressions."""

from __future__ import annotations

from mockserver.domain.workflows import resolve


def test_resolve() -> None:
    context = {"workflow": {"input": {"a": {"b": [1, 2]}}}, "t": {"output": {"ok": False}}}
    assert resolve({"x": "${workflow.input.a.b}", "y": ["${t.output.ok}", "v=${t.output.ok}"], "z": "${nope.x}"},
                   context) == {"x": [1, 2], "y": [False, "v=false"], "z": None}


def test_resolve_indexes_nested_lists_and_mixes_text() -> None:
    context = {"workflow": {"input": {"items": [{"sku": "a"}, {"sku": "b"}], "n": 2}}}
    assert resolve({"second": "${workflow.input.items[1].sku}", "dotted": "${workflow.input.items.0.sku}",
                    "root": "${$.workflow.input.n}", "past_end": "${workflow.input.items[5]}",
                    "text": "n=${workflow.input.n}, sku=${workflow.input.items[0].sku}, x=${workflow.input.x}",
                    "deep": {"list": [["${workflow.input.n}"]]}}, context) == {
        "second": "b", "dotted": "a", "root": 2, "past_end": None, "text": "n=2, sku=a, x=",
        "deep": {"list": [[2]]}}
