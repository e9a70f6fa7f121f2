"""Money as exact decimals (billing.md §5; api-conventions.md §3): cents, tax per line, totals."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000000")  # a billion in major units: far beyond any telecom line


def cents(value: Decimal) -> Decimal:
    """Round half up to the cent (commercial rounding)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_tax(retail_cost: Decimal, tax_percentage: Decimal) -> Decimal:
    """``tax_amount = retail_cost × tax_percentage / 100``, to the cent, per line (credits give negative tax)."""
    return cents(retail_cost * tax_percentage / 100)


def total(amounts: Iterable[Decimal]) -> Decimal:
    return cents(sum(amounts, Decimal("0")))
