"""The `clock:` block: where the mock's clock starts and whether it moves by itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mockserver.scenarios.document import Document


@dataclass(frozen=True, slots=True)
class ClockSettings:
    start_ms: int | None
    manual: bool


def read_clock(doc: Document, clock: Mapping[str, Any]) -> ClockSettings:
    """The settings of a well-shaped `clock:` block, reporting a start that is no instant and a manual clock
    without a start."""
    start = clock.get("start")
    start_ms = _start_ms(doc, start)
    mode = clock.get("mode", "manual" if start is not None else "system")
    if mode == "manual" and start is None:
        doc.report(("clock", "mode"), "a manual clock needs a start", "add `start: 2026-01-01T09:00:00Z` under "
                   "`clock:`, or remove `mode`")
    return ClockSettings(start_ms, mode == "manual")


def _start_ms(doc: Document, start: object) -> int | None:
    if isinstance(start, int):
        return start
    if not isinstance(start, str):
        return None
    example = "e.g. 2026-01-01T09:00:00Z, or epoch milliseconds"
    try:
        moment = datetime.fromisoformat(start)
    except ValueError:
        doc.report(("clock", "start"), f"{start!r} is not an ISO-8601 date-time", example)
        return None
    if moment.tzinfo is None:
        doc.report(("clock", "start"), f"{start!r} has no timezone", f"add Z or an offset: {example}")
        return None
    return int(moment.timestamp() * 1000)
