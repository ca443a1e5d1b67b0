"""ISO-8601 durations (`PT30M`, `P1DT2H`, `PT0.5S`, `P2W`) and instants (`2026-01-01T10:00:00Z`, epoch ms). Pure."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+(?:[.,]\d+)?)W)?(?:(?P<days>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:[.,]\d+)?)H)?(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?"
)
_UNIT_MS = {"weeks": 604_800_000, "days": 86_400_000, "hours": 3_600_000, "minutes": 60_000, "seconds": 1000}
_EXAMPLES = "e.g. PT30M, PT1H30M, P1D, PT0.5S"


def parse_duration_ms(text: str) -> int:
    """Milliseconds in an ISO-8601 duration. Years and months are refused (their length varies)."""
    value = text.strip().upper()
    match = _DURATION.fullmatch(value)
    if match is None or value in ("P", "PT") or value.endswith("T"):
        if re.fullmatch(r"\d+(?:[.,]\d+)?[HMS]", value):
            raise ValueError(f"{text!r} is not an ISO-8601 duration. Did you mean 'PT{value}'?")
        if value.startswith("P") and re.search(r"\d[YM]", value.split("T", 1)[0]):
            raise ValueError(f"{text!r}: years and months have no fixed length; use days (P30D) or weeks (P4W)")
        raise ValueError(f"{text!r} is not an ISO-8601 duration ({_EXAMPLES})")
    total = Decimal(0)
    for unit, ms in _UNIT_MS.items():
        amount = match.group(unit)
        if amount is not None:
            try:
                total += Decimal(amount.replace(",", ".")) * ms
            except InvalidOperation:  # pragma: no cover - the pattern admits only digits
                raise ValueError(f"{text!r} is not an ISO-8601 duration ({_EXAMPLES})") from None
    return int(total)


def parse_instant_ms(value: str | int) -> int:
    """Epoch milliseconds of an ISO-8601 date-time with a timezone, or of epoch milliseconds themselves."""
    if isinstance(value, bool):
        raise ValueError("expected an ISO-8601 date-time or epoch milliseconds, got a boolean")
    if isinstance(value, int):
        return value
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO-8601 date-time (e.g. 2026-01-01T10:00:00Z)") from None
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no timezone: add Z or an offset (2026-01-01T10:00:00Z)")
    whole = int(moment.replace(microsecond=0).timestamp()) * 1000
    return whole + moment.microsecond // 1000


def format_instant(ms: int) -> str:
    """`2026-01-01T09:00:00Z`, with milliseconds only when there are some."""
    moment = datetime.fromtimestamp(ms // 1000, UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{ms % 1000:03d}Z" if ms % 1000 else f"{text}Z"
