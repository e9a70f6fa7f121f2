"""How a message body fits into cell-broadcast pages (3GPP TS 23.038, TS 23.041; cbc.md §5, D111).

A CB page carries 82 octets of text: 93 characters of the GSM 7-bit default alphabet, or 41 UCS-2 characters.
A message has at most 15 pages. A character of the GSM-7 extension table (``^ { } \\ [ ~ ] | €`` and form feed) is
sent as ESC + code, two septets; one character outside both tables makes the whole body UCS-2, where a character
beyond the Basic Multilingual Plane takes two 16-bit units (a UTF-16 surrogate pair).

Pages are filled greedily and a two-unit character (an escape sequence or a surrogate pair) never straddles two
pages: a handset decodes each page on its own. So a page holds 92 septets when the 93rd would be half of one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "\f^{}\\[~]|€"
GSM7_PAGE = 93  # septets per page
UCS2_PAGE = 41  # 16-bit units per page
MAX_PAGES = 15

_BASIC = frozenset(GSM7_BASIC) - {"\x1b"}  # ESC is the escape itself, never a character of a text
_EXTENSION = frozenset(GSM7_EXTENSION)

Encoding = Literal["GSM7", "UCS2"]


@dataclass(frozen=True)
class BodyLayout:
    """A body as it is broadcast: its encoding, characters, units (septets or 16-bit units) and pages."""

    encoding: Encoding
    characters: int
    units: int
    pages: int

    @property
    def units_per_page(self) -> int:
        return GSM7_PAGE if self.encoding == "GSM7" else UCS2_PAGE

    @property
    def fits(self) -> bool:
        return self.pages <= MAX_PAGES


def is_gsm7(text: str) -> bool:
    return all(c in _BASIC or c in _EXTENSION for c in text)


def layout(text: str) -> BodyLayout:
    """The encoding, size and page count of ``text``."""
    if is_gsm7(text):
        costs = [2 if c in _EXTENSION else 1 for c in text]
        return BodyLayout("GSM7", len(text), sum(costs), _pages(costs, GSM7_PAGE))
    costs = [2 if ord(c) > 0xFFFF else 1 for c in text]
    return BodyLayout("UCS2", len(text), sum(costs), _pages(costs, UCS2_PAGE))


def non_gsm7_characters(text: str) -> list[str]:
    """The distinct characters that force UCS-2, in order of appearance (to tell the author why)."""
    return list(dict.fromkeys(c for c in text if c not in _BASIC and c not in _EXTENSION))


def _pages(costs: list[int], capacity: int) -> int:
    pages, used = (1, 0) if costs else (0, 0)
    for cost in costs:
        if used + cost > capacity:
            pages, used = pages + 1, 0
        used += cost
    return pages
