"""Content rules (cbc.md §2, §5; D109, D111): identifiers from the configurable table, channels, languages,
repetition and expiry, tracking areas; every problem is reported at once, by the spec's field names."""

from dataclasses import replace
from typing import Any

import pytest

from omnibus.cbc.domain import ContentRules, InvalidCbcMessageError, MessageContent, check, problems
from omnibus.cbc.domain.reference import IdentifierLabel
from omnibus.cbc.settings import parse_identifiers


def a_content(**overrides: Any) -> MessageContent:
    content = MessageContent(
        message_identifier="4370",
        category="emergency",
        repetition_period=10,
        number_of_broadcasts=999,
        warning_period_sec=3600,
        channel_indicator="basic",
        localized_messages=(
            {"language": "en", "messageBody": "Earthquake"},
            {"language": "es", "messageBody": "Sismo"},
        ),
        tracking_areas=(
            {"tracking_area": "12345", "operator": "310-410", "rat_type": "LTE"},
            {"tracking_area": "12346", "operator": "310-410", "rat_type": "5G"},
        ),
    )
    return replace(content, **overrides)


def fields_of(content: MessageContent, rules: ContentRules | None = None) -> list[str]:
    return [p["field"] for p in problems(content, rules or ContentRules())]


def test_the_spec_example_is_valid() -> None:
    assert problems(a_content(), ContentRules()) == []


@pytest.mark.parametrize("identifier", ["4352", "4370", "4379", "4380", "4381", "4399"])
def test_identifiers_of_ts_23041_are_accepted_by_default(identifier: str) -> None:
    assert fields_of(a_content(message_identifier=identifier)) == []


@pytest.mark.parametrize("identifier", ["4360", "1234", "0", "65536", "43x0", "-1", "４３７０"])
def test_identifiers_outside_the_table_or_not_numbers_are_refused(identifier: str) -> None:
    assert fields_of(a_content(message_identifier=identifier)) == ["messageIdentifier"]


def test_the_table_is_configurable_entries_added_replaced_or_removed() -> None:
    table = parse_identifiers({50: "Operator drill", "4379": None, "4370": {"label": "Level 1", "system": "EU-Alert"}})
    rules = ContentRules(identifiers=table)

    assert fields_of(a_content(message_identifier="50"), rules) == []
    assert fields_of(a_content(message_identifier="4379"), rules) == ["messageIdentifier"]
    assert table["4370"] == IdentifierLabel("EU-Alert", "Level 1") and table["50"].system == "operator"


@pytest.mark.parametrize("raw", [{"abc": "x"}, {"70000": "x"}, {"4370": 5}, ["4370"]])
def test_a_bad_identifier_table_fails_at_startup(raw: Any) -> None:
    with pytest.raises(ValueError, match="message_identifier_labels"):
        parse_identifiers(raw)


def test_channels_come_from_the_rules() -> None:
    assert fields_of(a_content(channel_indicator="extended")) == []
    assert fields_of(a_content(channel_indicator="premium")) == ["channelIndicator"]
    assert fields_of(a_content(channel_indicator="premium"), ContentRules(channels=("premium",))) == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"repetition_period": -1}, "repetitionPeriod"),
        ({"repetition_period": 4096}, "repetitionPeriod"),
        ({"repetition_period": 0}, "repetitionPeriod"),  # no repetition, yet 999 broadcasts
        ({"repetition_period": 600, "warning_period_sec": 300}, "repetitionPeriod"),
        ({"number_of_broadcasts": 65536}, "numberOfBroadcasts"),
        ({"number_of_broadcasts": -1}, "numberOfBroadcasts"),
        ({"warning_period_sec": 0}, "warningPeriodSec"),
        ({"warning_period_sec": 7 * 24 * 3600 + 1}, "warningPeriodSec"),
        ({"category": ""}, "category"),
        ({"category": "emergency; DROP"}, "category"),
    ],
)
def test_repetition_count_expiry_and_category_ranges(overrides: dict[str, Any], field: str) -> None:
    assert fields_of(a_content(**overrides)) == [field]


def test_boundaries_of_repetition_and_expiry_are_accepted() -> None:
    edges = [
        {"repetition_period": 0, "number_of_broadcasts": 1},
        {"repetition_period": 4095, "warning_period_sec": 4095},
        {"number_of_broadcasts": 0},  # until the warning period ends
        {"number_of_broadcasts": 65535},
        {"warning_period_sec": 7 * 24 * 3600},
    ]

    assert [fields_of(a_content(**e)) for e in edges] == [[]] * len(edges)


@pytest.mark.parametrize(
    ("messages", "field"),
    [
        ((), "localized_messages"),
        (({"language": "xx", "messageBody": "hi"},), "localized_messages.0.language"),
        (({"language": "EN", "messageBody": "hi"},), "localized_messages.0.language"),
        (
            ({"language": "en", "messageBody": "a"}, {"language": "en", "messageBody": "b"}),
            "localized_messages.1.language",
        ),
        (({"language": "en", "messageBody": " "},), "localized_messages.0.messageBody"),
        (({"language": "en", "messageBody": "a" * 501},), "localized_messages.0.messageBody"),
    ],
)
def test_texts_need_distinct_iso_639_1_languages_and_bodies_that_fit(messages: tuple[Any, ...], field: str) -> None:
    assert fields_of(a_content(localized_messages=messages)) == [field]


@pytest.mark.parametrize(
    ("area", "field"),
    [
        ({"tracking_area": "65536", "operator": "310-410", "rat_type": "LTE"}, "tracking_areas.0.tracking_area"),
        ({"tracking_area": "16777216", "operator": "310-410", "rat_type": "5G"}, "tracking_areas.0.tracking_area"),
        ({"tracking_area": "12a", "operator": "310-410", "rat_type": "LTE"}, "tracking_areas.0.tracking_area"),
        ({"tracking_area": "1", "operator": "310410", "rat_type": "LTE"}, "tracking_areas.0.operator"),
        ({"tracking_area": "1", "operator": "31-41", "rat_type": "LTE"}, "tracking_areas.0.operator"),
        ({"tracking_area": "1", "operator": "310-410", "rat_type": "6G"}, "tracking_areas.0.rat_type"),
    ],
)
def test_tracking_areas_need_a_code_in_range_an_mcc_mnc_and_a_rat(area: dict[str, str], field: str) -> None:
    assert field in fields_of(a_content(tracking_areas=(area,)))


def test_5g_tracking_areas_have_24_bit_codes_others_16() -> None:
    areas = (
        {"tracking_area": "65535", "operator": "310-410", "rat_type": "LTE"},
        {"tracking_area": "65535", "operator": "310-410", "rat_type": "GSM"},
        {"tracking_area": "16777215", "operator": "310-41", "rat_type": "5G"},
    )

    assert fields_of(a_content(tracking_areas=areas)) == []


def test_a_tracking_area_given_twice_is_refused() -> None:
    area = {"tracking_area": "12345", "operator": "310-410", "rat_type": "LTE"}
    again = {"tracking_area": "012345", "operator": "310-410", "rat_type": "LTE"}

    assert fields_of(a_content(tracking_areas=(area, again))) == ["tracking_areas.1"]
    assert fields_of(a_content(tracking_areas=())) == ["tracking_areas"]


def test_every_problem_is_reported_at_once() -> None:
    bad = a_content(message_identifier="1", channel_indicator="x", warning_period_sec=0, localized_messages=())

    with pytest.raises(InvalidCbcMessageError) as raised:
        check(bad, ContentRules())

    assert [d["field"] for d in raised.value.details] == [  # type: ignore[attr-defined]
        "messageIdentifier",
        "warningPeriodSec",
        "channelIndicator",
        "localized_messages",
    ]
    assert raised.value.http_status == 400
