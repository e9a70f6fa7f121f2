"""Encoding limits at the boundaries (cbc.md §5, D111): GSM-7 93 septets a page, extension characters count
twice and never straddle a page; one non-GSM-7 character makes the body UCS-2, 41 units a page; 15 pages."""

import pytest

from omnibus.cbc.domain.content import body_problems
from omnibus.cbc.domain.encoding import GSM7_BASIC, GSM7_EXTENSION, layout


@pytest.mark.parametrize(
    ("text", "pages"),
    [
        ("a" * 93, 1),
        ("a" * 94, 2),
        ("a" * 186, 2),
        ("a" * 187, 3),
        ("a" * 1395, 15),
        ("a" * 1396, 16),
    ],
)
def test_gsm7_pages_hold_93_characters(text: str, pages: int) -> None:
    shape = layout(text)

    assert (shape.encoding, shape.units, shape.pages) == ("GSM7", len(text), pages)


def test_every_default_alphabet_character_is_one_septet() -> None:
    text = GSM7_BASIC.replace("\x1b", "")

    assert (layout(text).encoding, layout(text).units) == ("GSM7", 127)


@pytest.mark.parametrize("char", list(GSM7_EXTENSION))
def test_each_extension_character_counts_twice(char: str) -> None:
    assert (layout(char).encoding, layout(char).units, layout("a" + char).units) == ("GSM7", 2, 3)


@pytest.mark.parametrize(
    ("text", "septets", "pages"),
    [
        ("€" * 46 + "a", 93, 1),
        ("€" * 47, 94, 2),
        ("a" * 91 + "€", 93, 1),
        ("a" * 92 + "€", 94, 2),  # the escape sequence would straddle: the page ends at 92
        ("€" * 690, 1380, 15),
        ("€" * 691, 1382, 16),
        ("€" * 697, 1394, 16),  # under 1395 septets, yet 16 pages: 46 escape pairs fit a page, not 46.5
    ],
)
def test_extension_characters_at_page_boundaries(text: str, septets: int, pages: int) -> None:
    shape = layout(text)

    assert (shape.encoding, shape.units, shape.pages) == ("GSM7", septets, pages)


@pytest.mark.parametrize(
    ("text", "pages"),
    [("震" * 41, 1), ("震" * 42, 2), ("震" * 615, 15), ("震" * 616, 16)],
)
def test_ucs2_pages_hold_41_characters(text: str, pages: int) -> None:
    shape = layout(text)

    assert (shape.encoding, shape.units, shape.pages) == ("UCS2", len(text), pages)


@pytest.mark.parametrize("char", ["á", "ç", "`", "震", "\u00a0"])
def test_one_character_outside_gsm7_makes_the_whole_body_ucs2(char: str) -> None:
    shape = layout("a" * 100 + char)

    assert (shape.encoding, shape.units, shape.pages) == ("UCS2", 101, 3)


def test_a_character_beyond_the_bmp_takes_two_units_and_never_straddles_a_page() -> None:
    assert (layout("😀").units, layout("震" * 39 + "😀").pages, layout("震" * 40 + "😀").pages) == (2, 1, 2)


def test_the_longest_bodies_that_fit_have_no_technical_problem() -> None:
    assert body_problems("a" * 1395, 0) == []
    assert body_problems("€" * 690, 0) == []
    assert body_problems("震" * 615, 0) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 1396, "needs 16 pages in GSM-7 (1396 septets"),
        ("€" * 691, "needs 16 pages in GSM-7 (1382 septets"),
        ("震" * 616, "needs 16 pages in UCS-2 (616 characters; '震' is not GSM-7)"),
        ("á" + "a" * 615, "needs 16 pages in UCS-2 (616 characters; 'á' is not GSM-7)"),
    ],
)
def test_one_character_more_is_refused_with_the_reason(text: str, expected: str) -> None:
    problems = body_problems(text, 0)

    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_the_policy_limit_counts_characters_and_zero_turns_it_off() -> None:
    assert body_problems("a" * 500, 500) == []
    assert body_problems("a" * 501, 500) == ["has 501 characters; the policy allows 500 (cbc.max_chars_per_language)"]
    assert body_problems("a" * 1000, 0) == []


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_an_empty_body_is_refused(text: str) -> None:
    assert body_problems(text, 500) == ["must not be empty"]


@pytest.mark.parametrize("text", ["alert\x00", "tab\there", "esc\x1b"])
def test_control_characters_other_than_line_breaks_are_refused(text: str) -> None:
    assert body_problems(text, 500) == ["must not contain control characters (line breaks are allowed)"]
    assert body_problems("line one\r\nline two", 500) == []
