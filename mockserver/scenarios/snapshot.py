"""The limits of a scenario text as a whole: its size (`MAX_SCENARIO_BYTES`) and, for a YAML export of a running
mock (a snapshot), that it is all there.

An export's first line says how many tasks it holds and its last line is `# end of export`; loading a text whose
first line says so checks both, so a snapshot cut short (`head -n 350`, a copy interrupted) is refused instead of
loading some of its tasks. Scenarios written by hand have no such header and are not checked.
"""

from __future__ import annotations

import re
from typing import Any, Final

from mockserver.scenarios.document import Document, Problem

MAX_SCENARIO_BYTES: Final = 16 * 1024 * 1024  # a scenario file or body; an export of 8,000 tasks is ~11 MB
END_LINE: Final = "# end of export"
_HEADER: Final = re.compile(r"# Exported by conductor-mock \S+ from scenario .*\((\d+) tasks?; it ends with "
                            r"'# end of export'\)\.")
_AGAIN: Final = "export it again (`conductor-mock control export -o FILE`): a snapshot loads whole or not at all"


def header(version: str, name: str, tasks: int) -> str:
    """The first line of an export (what `check_snapshot` reads)."""
    return (f"# Exported by conductor-mock {version} from scenario '{name}' ({tasks} tasks; it ends with "
            f"'{END_LINE}').")


def too_large(doc: Document, raw: str | bytes) -> bool:
    """Reports (and answers True) a text over `MAX_SCENARIO_BYTES`."""
    size = len(raw)
    if isinstance(raw, str) and MAX_SCENARIO_BYTES // 4 < size <= MAX_SCENARIO_BYTES:
        size = len(raw.encode("utf-8", errors="surrogatepass"))
    if size <= MAX_SCENARIO_BYTES:
        return False
    doc.problems.append(Problem(doc.file, None, "", f"the scenario is {size} bytes, more than the "
                                f"{MAX_SCENARIO_BYTES // (1024 * 1024)} MiB a scenario may have",
                                "split it, or load the rest with `conductor-mock control load --merge`"))
    return True


def check_snapshot(doc: Document, raw: str | bytes, data: dict[str, Any]) -> None:
    """A text that starts with an export's header must end with its end line and hold the tasks it announces."""
    text = raw if isinstance(raw, str) else raw.decode("utf-8")
    first, _, _ = text.lstrip("\ufeff").partition("\n")
    announced = _HEADER.fullmatch(first.strip())
    if announced is None:
        return
    tasks = data.get("tasks")
    held = len(tasks) if isinstance(tasks, list) else 0
    promised = int(announced.group(1))
    lines = text.rstrip().splitlines()
    if not lines or lines[-1].strip() != END_LINE:
        doc.problems.append(Problem(doc.file, len(lines), "", f"this export is cut short: it does not end with "
                                    f"'{END_LINE}' (line 1 announces {promised} tasks, {held} are here)", _AGAIN))
    elif held != promised:
        doc.problems.append(Problem(doc.file, 1, "", f"this export announces {promised} tasks but holds {held}",
                                    _AGAIN))
