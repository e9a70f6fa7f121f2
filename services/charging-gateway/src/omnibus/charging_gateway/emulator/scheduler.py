"""ActionPlan timings and their next run (cgrates-reference.md §5.5, §5.8): cron-like fields, keywords, ``*asap``
and ``+dur`` one-shots. Pure functions of a reference time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from omnibus.charging_gateway.emulator.args import RpcError
from omnibus.charging_gateway.emulator.timeutil import days_in_month, parse_go_duration

SEARCH_DAYS = 366 * 8  # a timing with no occurrence in 8 years (e.g. Feb 30) never runs


@dataclass
class Timing:
    actions_id: str
    weight: float
    start_time: str  # "hh:mm:ss", "*asap", "+<dur>", "*every_minute", "*hourly"
    years: list[int] = field(default_factory=list)
    months: list[int] = field(default_factory=list)
    month_days: list[int] = field(default_factory=list)
    week_days: list[int] = field(default_factory=list)
    estimated: bool = False  # *monthly_estimated: a missing day falls back to the month's last day
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def asap(self) -> bool:
        return self.start_time == "*asap"

    def to_json(self) -> dict[str, Any]:
        return {
            "Uuid": self.uuid,
            "Timing": {
                "Timing": {
                    "ID": "",
                    "Years": self.years,
                    "Months": self.months,
                    "MonthDays": self.month_days,
                    "WeekDays": self.week_days,
                    "StartTime": self.start_time,
                    "EndTime": "",
                },
                "Rating": None,
                "Weight": 0,
            },
            "ActionsID": self.actions_id,
            "ExtraData": None,
            "Weight": self.weight,
        }


def _ints(text: str, what: str) -> list[int]:
    text = (text or "").strip()
    if text in ("", "*any"):
        return []
    try:
        return [int(part) for part in text.split(";") if part.strip()]
    except ValueError:
        raise RpcError(f"SERVER_ERROR: invalid {what} {text!r}") from None


def go_weekday(dt: datetime) -> int:
    return (dt.weekday() + 1) % 7  # Go: Sunday = 0


def timing_from_args(item: dict[str, Any], now: datetime) -> Timing:
    """One AttrActionPlan item; keywords take their anchor from ``now`` and ignore the other fields."""
    time_text = item["Time"]
    actions_id = item["ActionsId"]
    if not time_text:
        raise RpcError(f"MANDATORY_IE_MISSING:Action:{actions_id}:[Time]")
    clock = now.strftime("%H:%M:%S")
    base = {"actions_id": actions_id, "weight": item["Weight"]}
    keyword: dict[str, dict[str, Any]] = {
        "*every_minute": {"start_time": "*every_minute"},
        "*hourly": {"start_time": "*hourly", "month_days": [], "years": [now.minute, now.second]},
        "*daily": {"start_time": clock},
        "*weekly": {"start_time": clock, "week_days": [go_weekday(now)]},
        "*monthly": {"start_time": clock, "month_days": [now.day]},
        "*monthly_estimated": {"start_time": clock, "month_days": [now.day], "estimated": True},
        "*month_end": {"start_time": clock, "month_days": [-1]},
        "*yearly": {"start_time": clock, "months": [now.month], "month_days": [now.day]},
    }
    if time_text in keyword:
        timing = Timing(**base, **keyword[time_text])
        if time_text == "*hourly":  # keep minute/second aside; Years stays "any"
            timing.years = []
            timing.start_time = f"*hourly:{now.minute:02d}:{now.second:02d}"
        return timing
    if time_text == "*asap":
        start = "*asap"
    elif time_text.startswith("+"):
        try:
            parse_go_duration(time_text)
        except ValueError:
            raise RpcError(f"UNSUPPORTED_FORMAT:{time_text}") from None
        start = time_text
    else:
        try:
            datetime.strptime(time_text, "%H:%M:%S")
        except ValueError:
            raise RpcError(f"UNSUPPORTED_FORMAT:{time_text}") from None
        start = time_text
    return Timing(
        **base,
        start_time=start,
        years=_ints(item["Years"], "Years"),
        months=_ints(item["Months"], "Months"),
        month_days=_ints(item["MonthDays"], "MonthDays"),
        week_days=[d % 7 for d in _ints(item["WeekDays"], "WeekDays")],
    )


def next_run(timing: Timing, after: datetime, *, inclusive: bool, loaded_at: datetime | None = None) -> datetime | None:
    """The first occurrence at or after (``inclusive``) / strictly after ``after``; None for *asap or never."""
    if timing.asap:
        return None
    if timing.start_time.startswith("+"):
        if loaded_at is None:
            return None
        at = loaded_at + timedelta(microseconds=parse_go_duration(timing.start_time) / 1000)
        return at if (at >= after if inclusive else at > after) else None
    if timing.start_time == "*every_minute":
        base = after.replace(second=0, microsecond=0)
        return base if inclusive and base == after else base + timedelta(minutes=1)
    if timing.start_time.startswith("*hourly:"):
        minute, second = (int(x) for x in timing.start_time.split(":")[1:])
        candidate = after.replace(minute=minute, second=second, microsecond=0)
        while candidate < after or (not inclusive and candidate == after):
            candidate += timedelta(hours=1)
        return candidate
    hour, minute, second = (int(x) for x in timing.start_time.split(":"))
    day = after.replace(hour=0, minute=0, second=0, microsecond=0)
    for _ in range(SEARCH_DAYS):
        if _day_matches(timing, day):
            candidate = day.replace(hour=hour, minute=minute, second=second)
            if candidate > after or (inclusive and candidate == after):
                return candidate
        day += timedelta(days=1)
    return None


def _day_matches(t: Timing, day: datetime) -> bool:
    if t.years and day.year not in t.years and (day.year % 100) not in t.years:
        return False
    if t.months and day.month not in t.months:
        return False
    if t.week_days and go_weekday(day) not in t.week_days:
        return False
    if t.month_days:
        last = days_in_month(day.year, day.month)
        wanted = set()
        for d in t.month_days:
            if d < 0:
                wanted.add(last + 1 + d)
            elif d > last:
                if t.estimated:
                    wanted.add(last)
            else:
                wanted.add(d)
        if day.day not in wanted:
            return False
    return True


@dataclass
class QueueEntry:
    """One timing in the running scheduler, with the accounts snapshotted at the last reload."""

    at: datetime
    plan_id: str
    timing: Timing
    accounts: tuple[str, ...]
    loaded_at: datetime
