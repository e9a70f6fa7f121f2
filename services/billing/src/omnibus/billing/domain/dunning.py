"""The dunning timeline (billing.md §4.7, D99): what happens on which day after an unpaid invoice's due date."""

from __future__ import annotations

from dataclasses import dataclass

RETRY = "retry"
REMINDER = "reminder"
FINAL_WARNING = "final_warning"
SUSPEND = "suspend"
ESCALATE = "escalate"
ACTIONS = (RETRY, REMINDER, FINAL_WARNING, SUSPEND, ESCALATE)


@dataclass(frozen=True)
class DunningStep:
    day: int  # days after the due date (day 1 = the first day overdue)
    action: str


# D99: card retries days 1-3, reminders days 4 and 7, final warning day 8, suspension day 15, escalation to staff on
# day 30 (never an automatic termination). ``billing.dunning`` in crm_config.yaml replaces it.
DEFAULT_SCHEDULE: tuple[DunningStep, ...] = (
    DunningStep(1, RETRY),
    DunningStep(2, RETRY),
    DunningStep(3, RETRY),
    DunningStep(4, REMINDER),
    DunningStep(7, REMINDER),
    DunningStep(8, FINAL_WARNING),
    DunningStep(15, SUSPEND),
    DunningStep(30, ESCALATE),
)


def parse_schedule(raw: object) -> tuple[DunningStep, ...]:
    """``[{day: 4, action: reminder}, ...]`` -> steps sorted by day; a bad entry raises ValueError."""
    if not isinstance(raw, list) or not raw:
        raise ValueError("billing.dunning must be a non-empty list of {day, action}")
    steps = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("day"), int) or item["day"] < 1:
            raise ValueError(f"billing.dunning: bad step {item!r} (day must be an integer >= 1)")
        if item.get("action") not in ACTIONS:
            raise ValueError(f"billing.dunning: action must be one of {', '.join(ACTIONS)}")
        steps.append(DunningStep(item["day"], item["action"]))
    return tuple(sorted(steps, key=lambda s: s.day))
