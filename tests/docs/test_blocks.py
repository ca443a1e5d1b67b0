"""The docs-test convention itself: what a block expects, and transcripts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs import runner
from tests.docs.blocks import Block, matches, read, transcript


def test_output_matching_ignores_whitespace_and_takes_wildcards() -> None:
    assert matches('{"a": 1, "b": ...}\n', '{"a":1,"b":{"c":[2]}}')
    assert not matches('{"a": 2, ...}', '{"a":1,"b":2}')
    assert not matches("ok", "ok, and more")


def test_blocks_carry_their_output_exit_and_skip(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n```sh\necho hi\n```\n```output exit=3\nhi\n```\n\n## Other\n"
                    "<!-- docs-test: skip (needs (a real) cluster) -->\n```python\nprint(1)\n```\n\n"
                    "```yaml\na: 1\n```\n")
    first, second = read(page, "page.md")
    assert (first.name, first.expected, first.expected_exit, first.skip) == ("page.md::title::1-shell", "hi\n", 3, None)
    assert (second.name, second.skip) == ("page.md::other::2-python", "needs (a real) cluster")


def test_a_transcript_splits_into_commands_and_their_output() -> None:
    steps = transcript("$ curl -s -d '{\"a\":\n  1}' x \\\n   -H y\n{\"ok\": true}\n$ true\n")
    assert steps is not None
    assert [(s.command, s.expected) for s in steps] == [
        ("curl -s -d '{\"a\":\n  1}' x \\\n   -H y", '{"ok": true}'), ("true", "")]
    assert transcript("echo plain\n") is None


def test_shell_blocks_of_a_page_see_every_variable_assigned_before(tmp_path: Path) -> None:
    def shell(number: int, code: str, expected: str | None = None) -> Block:
        return Block("page.md", "Title", number, number, "shell", code, expected=expected)

    runner.run(shell(1, "export U=first\nA=one\n"), tmp_path, 8080)
    runner.run(shell(2, "B=two\n"), tmp_path, 8080)  # a later plain block assigning another name
    runner.run(shell(3, "$ C=three\n"), tmp_path, 8080)  # a transcript's assignment
    runner.run(shell(4, 'echo "$U $A $B $C"\n', expected="first one two three\n"), tmp_path, 8080)
    with pytest.raises(runner.BlockFailed, match="output differs"):
        runner.run(shell(5, 'echo "$B"\n', expected="one\n"), tmp_path, 8080)
