"""The content of a cell broadcast message and its rules (cbc.md §2.1, §5; D109, D111).

``MessageContent`` holds typed values as the API received them; ``problems(content, rules)`` lists every rule
they break, each as ``{field, message}`` with the spec's field names, so one answer tells the author all of it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from omnibus.cbc.domain.encoding import GSM7_PAGE, MAX_PAGES, UCS2_PAGE, layout, non_gsm7_characters
from omnibus.cbc.domain.errors import InvalidCbcMessageError
from omnibus.cbc.domain.reference import DEFAULT_CHANNELS, DEFAULT_IDENTIFIERS, ISO_639_1, RAT_TYPES, IdentifierLabel

MAX_REPETITION_PERIOD = 4095  # seconds: SBc-AP / CBSP Repetition Period
MAX_BROADCASTS = 65535  # SBc-AP Number of Broadcasts Requested; 0 = until the warning period ends
MAX_WARNING_PERIOD = 7 * 24 * 3600
MAX_TRACKING_AREAS = 5000
_CATEGORY = re.compile(r"^[A-Za-z][A-Za-z0-9 _-]{0,63}$")
_OPERATOR = re.compile(r"^\d{3}-\d{2,3}$")  # MCC-MNC
_CONTROL = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")  # line feed and carriage return are text

# API names of the content fields (the reference product's), in the order of the spec
API_NAMES = {
    "message_identifier": "messageIdentifier",
    "category": "category",
    "repetition_period": "repetitionPeriod",
    "number_of_broadcasts": "numberOfBroadcasts",
    "warning_period_sec": "warningPeriodSec",
    "channel_indicator": "channelIndicator",
    "localized_messages": "localized_messages",
    "tracking_areas": "tracking_areas",
}


@dataclass(frozen=True)
class ContentRules:
    """What the deployment allows (``cbc.message_identifier_labels``, channels, ``cbc.max_chars_per_language``)."""

    identifiers: Mapping[str, IdentifierLabel] = field(default_factory=lambda: dict(DEFAULT_IDENTIFIERS))
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    max_chars_per_language: int = 500  # D111 policy limit; 0 = off


@dataclass(frozen=True)
class MessageContent:
    """What is broadcast: identifier, category, repetition, count, warning period, channel, texts, areas.

    ``localized_messages`` items are ``{"language", "messageBody"}``; ``tracking_areas`` items are
    ``{"tracking_area", "operator", "rat_type"}`` (the spec's JSON, kept as plain dicts for the events)."""

    message_identifier: str
    category: str
    repetition_period: int
    number_of_broadcasts: int
    warning_period_sec: int
    channel_indicator: str
    localized_messages: tuple[dict[str, str], ...]
    tracking_areas: tuple[dict[str, str], ...]

    def as_fields(self) -> dict[str, Any]:
        """Plain values for events and read models (lists of dicts)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["localized_messages"] = [dict(m) for m in self.localized_messages]
        values["tracking_areas"] = [dict(a) for a in self.tracking_areas]
        return values

    def changed(self, changes: Mapping[str, Any]) -> MessageContent:
        unknown = set(changes) - set(API_NAMES)
        if unknown:
            raise ValueError(f"not content fields: {sorted(unknown)}")
        return replace(self, **{name: _frozen(value) for name, value in changes.items()})


def content_from(values: Mapping[str, Any]) -> MessageContent:
    """The content held in event or read-model fields."""
    return MessageContent(**{name: _frozen(values[name]) for name in API_NAMES})


def _frozen(value: Any) -> Any:
    return tuple(dict(item) for item in value) if isinstance(value, list | tuple) else value


def check(content: MessageContent, rules: ContentRules) -> None:
    """Raise InvalidCbcMessageError listing every problem; return when the content may be broadcast."""
    found = problems(content, rules)
    if found:
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in found[:5])
        raise InvalidCbcMessageError(f"Invalid cell broadcast message: {summary}", found)


def problems(content: MessageContent, rules: ContentRules) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []

    def bad(name: str, message: str) -> None:
        found.append({"field": name, "message": message})

    _check_identifier(content.message_identifier, rules, bad)
    if not _CATEGORY.match(content.category):
        bad("category", "must be a word of letters, digits, spaces, '_' or '-' (1-64), e.g. emergency")
    _check_timing(content, bad)
    if content.channel_indicator not in rules.channels:
        bad("channelIndicator", f"must be one of {', '.join(rules.channels)}")
    _check_texts(content.localized_messages, rules, bad)
    _check_areas(content.tracking_areas, bad)
    return found


def _check_identifier(identifier: str, rules: ContentRules, bad: Any) -> None:
    if not identifier.isdigit() or not identifier.isascii() or int(identifier) > 65535:
        bad("messageIdentifier", "must be a CBS message identifier: a number from 0 to 65535, e.g. 4370")
    elif str(int(identifier)) not in rules.identifiers:
        bad("messageIdentifier", f"{identifier} is not in the message identifier table (cbc.message_identifier_labels)")


def _check_timing(content: MessageContent, bad: Any) -> None:
    period, count, warning = content.repetition_period, content.number_of_broadcasts, content.warning_period_sec
    if not 0 <= period <= MAX_REPETITION_PERIOD:
        bad("repetitionPeriod", f"must be from 0 to {MAX_REPETITION_PERIOD} seconds")
    elif period == 0 and count != 1:
        bad("repetitionPeriod", "0 (no repetition) is only allowed with numberOfBroadcasts 1")
    if not 0 <= count <= MAX_BROADCASTS:
        bad("numberOfBroadcasts", f"must be from 0 (until the warning period ends) to {MAX_BROADCASTS}")
    if not 1 <= warning <= MAX_WARNING_PERIOD:
        bad("warningPeriodSec", f"must be from 1 to {MAX_WARNING_PERIOD} seconds")
    elif warning < period <= MAX_REPETITION_PERIOD:
        bad("repetitionPeriod", "cannot be longer than warningPeriodSec (the message would never repeat)")


def _check_texts(messages: tuple[dict[str, str], ...], rules: ContentRules, bad: Any) -> None:
    if not messages:
        bad("localized_messages", "at least one language is required")
    seen: set[str] = set()
    for i, message in enumerate(messages):
        where = f"localized_messages.{i}"
        language = message.get("language", "")
        if language not in ISO_639_1:
            bad(f"{where}.language", f"{language!r} is not an ISO 639-1 language code (e.g. en, es, fr, zh)")
        elif language in seen:
            bad(f"{where}.language", f"{language} appears twice: one message per language")
        seen.add(language)
        for problem in body_problems(message.get("messageBody", ""), rules.max_chars_per_language):
            bad(f"{where}.messageBody", problem)


def body_problems(body: str, max_chars: int) -> list[str]:
    """What keeps ``body`` from being broadcast: empty, control characters, over 15 pages, over the policy."""
    if not body.strip():
        return ["must not be empty"]
    if _CONTROL.search(body):
        return ["must not contain control characters (line breaks are allowed)"]
    found = []
    shape = layout(body)
    if not shape.fits:
        if shape.encoding == "GSM7":
            found.append(
                f"needs {shape.pages} pages in GSM-7 ({shape.units} septets, extension characters count twice); "
                f"at most {MAX_PAGES} pages of {GSM7_PAGE} ({MAX_PAGES * GSM7_PAGE} septets)"
            )
        else:
            forcing = "".join(non_gsm7_characters(body)[:5])
            found.append(
                f"needs {shape.pages} pages in UCS-2 ({shape.units} characters; {forcing!r} is not GSM-7); "
                f"at most {MAX_PAGES} pages of {UCS2_PAGE} ({MAX_PAGES * UCS2_PAGE} characters)"
            )
    if max_chars and shape.characters > max_chars:
        found.append(f"has {shape.characters} characters; the policy allows {max_chars} (cbc.max_chars_per_language)")
    return found


def _check_areas(areas: tuple[dict[str, str], ...], bad: Any) -> None:
    if not areas:
        bad("tracking_areas", "at least one tracking area is required")
    if len(areas) > MAX_TRACKING_AREAS:
        bad("tracking_areas", f"at most {MAX_TRACKING_AREAS} tracking areas per message")
        return
    seen: set[tuple[str, str, str]] = set()
    for i, area in enumerate(areas):
        where = f"tracking_areas.{i}"
        code, operator, rat = area.get("tracking_area", ""), area.get("operator", ""), area.get("rat_type", "")
        if rat not in RAT_TYPES:
            bad(f"{where}.rat_type", f"must be one of {', '.join(RAT_TYPES)}")
        limit = 0xFFFFFF if rat == "5G" else 0xFFFF  # 5G TACs have 24 bits; LTE TACs and 2G/3G LACs 16
        if not (code.isascii() and code.isdigit()) or int(code) > limit:
            bad(f"{where}.tracking_area", f"must be a decimal area code from 0 to {limit} for {rat or 'this RAT'}")
        if not _OPERATOR.match(operator):
            bad(f"{where}.operator", "must be MCC-MNC, e.g. 310-410")
        key = (code.lstrip("0") or "0", operator, rat)
        if key in seen:
            bad(where, f"tracking area {code} of {operator} ({rat}) appears twice")
        seen.add(key)
