"""CGRateS time, duration and number rules (cgrates-reference.md §2), reproduced for the emulator.

Everything here is pure: "now" is always passed in, so the emulator's injectable clock drives every relative time.
The server zone is UTC.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

ZERO_TIME = "0001-01-01T00:00:00Z"
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


class UnsupportedTimeFormat(ValueError):
    """The exact (unwrapped) error string CGRateS answers for a time it cannot read."""

    def __init__(self) -> None:
        super().__init__("Unsupported time format")


def parse_go_duration(text: str) -> int:
    """A Go duration string (``"1h30m"``, ``"150s"``, ``"-1h"``) in nanoseconds."""
    s = text.strip()
    sign = 1
    if s[:1] in "+-":
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    if s == "0":
        return 0
    pos, total = 0, Decimal(0)
    for match in _DURATION_PART.finditer(s):
        if match.start() != pos:
            raise ValueError(f"time: invalid duration {text!r}")
        total += Decimal(match.group(1)) * _UNIT_NS[match.group(2)]
        pos = match.end()
    if pos != len(s) or not s:
        raise ValueError(f"time: invalid duration {text!r}")
    return sign * int(total)


def parse_usage(text: str) -> int:
    """``ParseDurationWithNanosecs``: a bare number is nanoseconds/units, else a Go duration; ``*unlimited`` -1."""
    s = text.strip()
    if s == "*unlimited":
        return -1
    if s == "":
        return 0
    if re.fullmatch(r"[+-]?\d+", s):
        return int(s)
    if re.fullmatch(r"[+-]?\d*\.\d+", s):
        return int(float(s))
    return parse_go_duration(s)


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def add_months(dt: datetime, months: int, *, clamp: bool = False) -> datetime:
    """Go's ``AddDate(0, months, 0)``: a day past the month's end overflows (Jan 31 + 1 month = Mar 3), unless
    ``clamp`` (``*monthly_estimated``), which stops at the month's last day."""
    index = dt.year * 12 + (dt.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = days_in_month(year, month)
    if dt.day <= last:
        return dt.replace(year=year, month=month)
    if clamp:
        return dt.replace(year=year, month=month, day=last)
    return dt.replace(year=year, month=month, day=last) + timedelta(days=dt.day - last)


def month_end(now: datetime) -> datetime:
    """The last instant CGRateS treats as "end of this month": the last day at 23:59:59."""
    return now.replace(day=days_in_month(now.year, now.month), hour=23, minute=59, second=59, microsecond=0)


def parse_time(value: object, now: datetime) -> datetime | None:
    """A CGRateS time input (§2); ``None`` means the zero time (no expiry). Raises ``UnsupportedTimeFormat``."""
    if not isinstance(value, str):
        raise UnsupportedTimeFormat()
    s = value.strip()
    if s in ("", "*unlimited", "0"):
        return None
    if s == "*now":
        return now
    if s[0] in "+-":
        try:
            return now + timedelta(microseconds=parse_go_duration(s) / 1000)
        except ValueError:
            raise UnsupportedTimeFormat() from None
    if s.startswith("*"):
        return _keyword_time(s, now)
    return _absolute_time(s)


def _keyword_time(s: str, now: datetime) -> datetime:
    extra = timedelta(0)
    head = s
    if "+" in s:
        head, _, tail = s.partition("+")
        try:
            extra = timedelta(microseconds=parse_go_duration(tail) / 1000)
        except ValueError:
            raise UnsupportedTimeFormat() from None
    if head == "*daily":
        return now + timedelta(days=1) + extra
    if head == "*yearly":
        return add_months(now, 12) + extra
    if head == "*monthly_estimated":
        return add_months(now, 1, clamp=True) + extra
    if head == "*month_end":
        return month_end(now) + extra
    if head.startswith("*mo"):  # *monthly, *month and any other "*mo…" string
        return add_months(now, 1) + extra
    raise UnsupportedTimeFormat()


_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y%m%d%H%M%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
)


def _absolute_time(s: str) -> datetime:
    if re.fullmatch(r"\d{10}|\d{13}|\d{19}", s):
        number = int(s)
        seconds = number if len(s) == 10 else number / 1000 if len(s) == 13 else number / 1e9
        return datetime.fromtimestamp(seconds, tz=UTC)
    try:
        parsed = datetime.fromisoformat(s.replace("Z", "+00:00"))
        if parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
    except ValueError:
        pass
    for fmt in _FORMATS:
        try:
            return datetime.strptime(s, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise UnsupportedTimeFormat()


def format_time(dt: datetime | None) -> str:
    """RFC3339Nano in UTC, as Go prints it (no fractional part when zero, trailing zeros trimmed)."""
    if dt is None:
        return ZERO_TIME
    dt = dt.astimezone(UTC)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if dt.microsecond:
        text += "." + f"{dt.microsecond:06d}".rstrip("0")
    return text + "Z"


def round_value(value: float, decimals: int = 5) -> float:
    """``general.rounding_decimals`` (5) with ``*middle`` rounding (half away from zero)."""
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def number(value: float) -> float | int:
    """How Go prints a float64: integral values without a decimal point."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value
