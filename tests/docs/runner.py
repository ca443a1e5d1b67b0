"""Running a page's blocks the way the page says: against a live mock started as `make serve` would (the
shipped default scenario), on a free loopback port that replaces 8080 in every block and expected output.

Each page gets its own mock and its own scratch folder (the repository's top-level entries linked into it, so
relative paths such as `scenarios/default.yaml` work and files a block writes stay out of the tree). Shell
blocks of a page share the variables they assign. JavaScript blocks run as `.mjs` files with node from a
folder where `@io-orkes/conductor-javascript` resolves (`.sdk/js`'s node_modules linked in); Python blocks that
import `conductor` run with the conductor-python venv `.sdk/py`, others with `.venv`.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.docs.blocks import Block, Step, matches, transcript

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
SDK_PY = ROOT / ".sdk" / "py" / "bin" / "python"
SDK_JS_MODULES = ROOT / ".sdk" / "js" / "node_modules"
TIMEOUT_SECONDS = 30.0
STATE = ".docs-shell-state.sh"
_MARK = "@@docs-test step {}@@"
_ASSIGNED = re.compile(r"^\s*(?:\$ )?(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=", re.MULTILINE)


@dataclass
class Outcome:
    status: int
    stdout: str
    stderr: str


class BlockFailed(AssertionError):
    """A block exited with another status, printed something else, or did not exit on its own."""


def scratch_folder(path: Path) -> Path:
    """`path`, with every top-level entry of the repository linked into it."""
    for entry in ROOT.iterdir():
        if entry.name not in (".git", ".venv"):
            (path / entry.name).symlink_to(entry)
    (path / "node_modules").symlink_to(SDK_JS_MODULES)
    return path


def localise(text: str, port: int) -> str:
    return text.replace("127.0.0.1:8080", f"127.0.0.1:{port}").replace("localhost:8080", f"localhost:{port}")


def environment(port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONDUCTOR_", "HYPOTHESIS_"))}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["CONDUCTOR_MOCK_URL"] = f"http://127.0.0.1:{port}"
    return env


def run(block: Block, folder: Path, port: int) -> None:
    """Run `block` in `folder` against the mock on `port`; raise `BlockFailed` when it differs from the page."""
    code = localise(block.code, port)
    steps = transcript(code) if block.runner == "shell" else None
    if steps is not None:
        _check_transcript(block, steps, _shell(_script_of(steps), code, folder, port, strict=False), port)
        return
    if block.runner == "shell":
        done = _shell(code, code, folder, port)
    elif block.runner == "node":
        done = _file(block, code, folder, port, ["node"], "mjs")
    else:
        python = SDK_PY if re.search(r"^\s*(from|import)\s+conductor\b", code, re.MULTILINE) else Path(sys.executable)
        done = _file(block, code, folder, port, [str(python)], "py")
    _check(block, done, port)


def _script_of(steps: list[Step]) -> str:
    marks = [f"printf '\\n%s\\n' {shlex.quote(_MARK.format(n))}" for n in range(len(steps))]
    return "".join(f"{mark}\n{step.command}\n" for mark, step in zip(marks, steps, strict=True))


def _shell(script: str, code: str, folder: Path, port: int, *, strict: bool = True) -> Outcome:
    """A plain block stops at its first failing command (`set -e`); a transcript runs every command, as typed.
    The variables a block assigns are appended to the page's state file, so later blocks see every earlier one's."""
    names = sorted(set(_ASSIGNED.findall(code)))
    keep = f"\ndeclare -p {' '.join(names)} >> {STATE} 2>/dev/null || true\n" if names else ""
    options = "set -eo pipefail\n" if strict else "exec 2>&1\n"  # a transcript shows what a terminal shows
    full = f"{options}[ -f {STATE} ] && source {STATE}\n{script}{keep}"
    return _execute(["bash", "-c", full], folder, port)


def _file(block: Block, code: str, folder: Path, port: int, command: list[str], suffix: str) -> Outcome:
    path = folder / f"docs-block-{block.number}.{suffix}"
    path.write_text(code, encoding="utf-8")
    return _execute([*command, str(path)], folder, port)


def _execute(command: list[str], folder: Path, port: int) -> Outcome:
    try:
        done = subprocess.run(command, cwd=folder, env=environment(port), capture_output=True, text=True,
                              timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as error:
        raise BlockFailed(f"did not exit on its own within {TIMEOUT_SECONDS:.0f} s\nstdout:\n{_text(error.stdout)}\n"
                          f"stderr:\n{_text(error.stderr)}") from None
    return Outcome(done.returncode, done.stdout, done.stderr)


def _text(data: bytes | str | None) -> str:
    return data.decode(errors="replace") if isinstance(data, bytes) else (data or "")


def _check(block: Block, done: Outcome, port: int) -> None:
    if done.status != block.expected_exit:
        raise BlockFailed(f"exit status {done.status}, the page expects {block.expected_exit}\n"
                          f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}")
    if block.expected is not None and not matches(localise(block.expected, port), done.stdout):
        raise BlockFailed(f"output differs from the page\nthe page shows:\n{block.expected}\ngot:\n{done.stdout}\n"
                          f"stderr:\n{done.stderr}")


def _check_transcript(block: Block, steps: list[Step], done: Outcome, port: int) -> None:
    printed = re.split(r"\n@@docs-test step \d+@@\n", "\n" + done.stdout)[1:]
    if done.status != block.expected_exit or len(printed) != len(steps):
        raise BlockFailed(f"exit status {done.status} after {len(printed)} of {len(steps)} commands\n"
                          f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}")
    for step, output in zip(steps, printed, strict=True):
        if step.expected.strip() and not matches(localise(step.expected, port), output):
            raise BlockFailed(f"`{step.command}` printed something else\nthe page shows:\n{step.expected}\n"
                              f"got:\n{output}\nstderr:\n{done.stderr}")
