"""The code blocks of a documentation page, in order, with what the page says about each.

The convention (also in tests/docs/README.md):

* a fenced block in `sh`/`bash`, `js`/`mjs` or `python` is run; any other language (yaml, json, text, none) is
  not;
* a fenced `output` block right after it is what the run must print (stdout; whitespace is ignored and `...`
  matches anything, so `{"id": "...", ...}` matches a whole JSON object); `output exit=1` also expects that exit
  status (otherwise 0 is expected);
* a shell block whose lines start with `$ ` is a transcript: each `$ ` command (with its `\\` continuation
  lines) must print the lines under it (same matching); a command with nothing under it is run, not checked;
* `<!-- docs-test: skip (why) -->` on the line before a block skips it, by name, with that reason.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

RUNNERS = {"sh": "shell", "bash": "shell", "js": "node", "mjs": "node", "javascript": "node",
           "python": "python", "py": "python"}
_SKIP = re.compile(r"<!--\s*docs-test:\s*skip\s*\((?P<reason>.*)\)\s*-->")
_FENCE = re.compile(r"^```(?P<info>.*)$")
_EXIT = re.compile(r"\bexit=(?P<code>\d+)\b")


@dataclass
class Block:
    """One runnable block of a page."""

    page: str
    heading: str
    number: int  # 1-based, among the page's runnable blocks
    line: int
    runner: str  # shell | node | python
    code: str
    expected: str | None = None
    expected_exit: int = 0
    skip: str | None = None

    @property
    def name(self) -> str:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", self.heading).strip("-").lower() or "top"
        return f"{self.page}::{slug}::{self.number}-{self.runner}"


def read(path: Path, page: str) -> list[Block]:
    """The runnable blocks of the page at `path`, named after `page` and their heading."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    heading, skip, index = "", None, 0
    last_fenced: Block | None = None  # the runnable block an `output` block may follow
    while index < len(lines):
        line = lines[index]
        fence = _FENCE.match(line)
        if fence is None:
            if line.startswith("#"):
                heading = line.lstrip("#").strip()
            found = _SKIP.search(line)
            if found:
                skip = found.group("reason").strip()
            if line.strip():
                last_fenced = None  # an `output` block must come right after its block
            index += 1
            continue
        info = fence.group("info").strip()
        end = index + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        body = "\n".join(lines[index + 1:end]) + "\n"
        language = info.split()[0] if info else ""
        if language == "output":
            if last_fenced is None:
                raise ValueError(f"{page}:{index + 1}: an `output` block must follow a runnable block")
            last_fenced.expected = body
            exit_code = _EXIT.search(info)
            last_fenced.expected_exit = int(exit_code.group("code")) if exit_code else 0
            last_fenced = None
        elif language in RUNNERS:
            last_fenced = Block(page, heading, len(blocks) + 1, index + 1, RUNNERS[language], body, skip=skip)
            blocks.append(last_fenced)
        else:
            last_fenced = None
        skip = None
        index = end + 1
    return blocks


def matches(expected: str, actual: str) -> bool:
    """Whether `actual` is what `expected` shows: whitespace ignored, `...` matching anything."""
    parts = [re.escape(re.sub(r"\s+", "", part)) for part in expected.split("...")]
    return re.fullmatch(".*?".join(parts), re.sub(r"\s+", "", actual), flags=re.DOTALL) is not None


@dataclass
class Step:
    """One command of a transcript block and the output shown under it ("" when none is shown)."""

    command: str
    expected: str


def transcript(code: str) -> list[Step] | None:
    """The steps of a `$ ` transcript block, or None for a plain script."""
    lines = code.rstrip("\n").splitlines()
    if not lines or not lines[0].startswith("$ "):
        return None
    steps: list[Step] = []
    index = 0
    while index < len(lines):
        command = [lines[index][2:]]
        while _continued("\n".join(command)) and index + 1 < len(lines):
            index += 1
            command.append(lines[index])
        index += 1
        shown: list[str] = []
        while index < len(lines) and not lines[index].startswith("$ "):
            shown.append(lines[index])
            index += 1
        steps.append(Step("\n".join(command), "\n".join(shown)))
    return steps


def _continued(command: str) -> bool:
    """Whether a transcript command goes on on the next line: a trailing backslash, or an open quote."""
    if command.rstrip().endswith("\\"):
        return True
    try:
        shlex.split(command, comments=True)
    except ValueError:
        return True
    return False
