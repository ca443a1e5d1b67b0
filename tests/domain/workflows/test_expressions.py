"""`${...}` expressions."""

from __future__ import annotations

from mockserver.domain.workflows import resolve


def test_resolve() -> None:
    context = {"workflow": {"input": {"a": {"b": [1, 2]}}}, "t": {"output": {"ok": False}}}
    assert resolve({"x": "${workflow.input.a.b}", "y": ["${t.output.ok}", "v=${t.output.ok}"], "z": "${nope.x}"},
                   context) == {"x": [1, 2], "y": [False, "v=false"], "z": None}
