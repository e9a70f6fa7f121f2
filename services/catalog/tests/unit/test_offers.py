"""Offer rules (catalog.md §5.1, D55, D57)."""

from datetime import UTC, datetime
from typing import Any

import pytest

from omnibus.catalog.domain.offers import OfferContext, is_offered

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def a_product(**overrides: Any) -> dict[str, Any]:
    return {
        "product_id": 1,
        "category": "standalone",
        "service_type": "mobile",
        "enabled": True,
        "residential": True,
        "business": True,
        "customer_can_purchase": True,
        "available_from": None,
        "available_until": None,
        "relies_on_list": [],
        **overrides,
    }


def individual(**overrides: Any) -> OfferContext:
    return OfferContext(**{"customer_type": "Individual", "now": NOW, **overrides})


@pytest.mark.parametrize("category", ["standalone", "bundle", "promo"])
def test_new_service_lists_offer_standalone_bundle_and_promo(category: str) -> None:
    assert is_offered(a_product(category=category), individual())


def test_add_ons_are_not_offered_as_new_services() -> None:
    assert not is_offered(a_product(category="addon"), individual())


def test_the_customer_type_flag_decides() -> None:
    assert not is_offered(a_product(residential=False), individual())
    assert is_offered(a_product(residential=False), individual(customer_type="Business"))
    assert not is_offered(a_product(business=False), individual(customer_type="Business"))


def test_disabled_products_are_never_offered() -> None:
    assert not is_offered(a_product(enabled=False), individual())


@pytest.mark.parametrize(
    ("start", "end", "offered"),
    [
        (datetime(2025, 1, 1, tzinfo=UTC), None, True),
        (datetime(2025, 7, 1, tzinfo=UTC), None, False),
        (None, datetime(2025, 6, 1, tzinfo=UTC), False),
        (None, datetime(2025, 6, 2, tzinfo=UTC), True),
        (datetime(2025, 1, 1), datetime(2025, 12, 1), True),  # naive rows (SQLite) are UTC
    ],
)
def test_the_sale_window_is_respected(start: datetime | None, end: datetime | None, offered: bool) -> None:
    assert is_offered(a_product(available_from=start, available_until=end), individual()) is offered


def test_self_care_needs_customer_can_purchase() -> None:
    staff_only = a_product(customer_can_purchase=False)

    assert is_offered(staff_only, individual())
    assert not is_offered(staff_only, individual(self_care=True))


def test_add_ons_match_the_service_type() -> None:
    addon = a_product(category="addon", service_type="mobile")

    assert is_offered(addon, individual(service_product_id=42, service_type="mobile"))
    assert not is_offered(addon, individual(service_product_id=42, service_type="internet"))
    assert not is_offered(a_product(), individual(service_product_id=42, service_type="mobile"))


def test_an_add_on_relying_on_products_needs_the_service_to_be_one_of_them() -> None:
    addon = a_product(category="addon", relies_on_list=[42, 43])

    assert is_offered(addon, individual(service_product_id=42, service_type="mobile"))
    assert not is_offered(addon, individual(service_product_id=7, service_type="mobile"))


def test_a_new_service_relying_on_products_needs_an_active_service_of_one() -> None:
    product = a_product(relies_on_list=[42])

    assert not is_offered(product, individual())
    assert is_offered(product, individual(active_product_ids=frozenset({42})))
