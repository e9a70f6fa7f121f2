"""Product rules (catalog.md §2.1, §5.2, D55, D58, D60)."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from omnibus.catalog.domain import CatalogError, InvalidProductError, Product
from omnibus.catalog.domain.literals import list_literal, parse_features, parse_list


def a_product(**fields: Any) -> Product:
    base = {"product_name": "Mobile SIM Only", "product_slug": "Mobile-SIM"}
    return Product(id=uuid.uuid4(), product_id=1, fields={**base, **fields})


def test_defaults_fill_the_fields_not_given() -> None:
    product = a_product()

    assert product.category == "standalone"
    assert product.auto_renew == "false"
    assert product.allow_auto_renew is False
    assert product.retail_cost == Decimal("0")
    assert product.inventory_items_list == []


def test_a_type_named_twice_in_the_inventory_list_is_refused() -> None:
    with pytest.raises(InvalidProductError, match="D60"):
        a_product(inventory_items_list=["SIM Card", "SIM Card"])


@pytest.mark.parametrize(
    "fields",
    [
        {"category": "gift"},
        {"auto_renew": "maybe"},
        {"retail_cost": Decimal("-1")},
        {"contract_days": -1},
        {"available_from": datetime(2025, 2, 1, tzinfo=UTC), "available_until": datetime(2025, 1, 1, tzinfo=UTC)},
    ],
)
def test_bad_products_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(InvalidProductError):
        a_product(**fields)


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(CatalogError, match="Unknown"):
        a_product(colour="red")


def test_enabled_changes_are_their_own_events() -> None:
    product = a_product()
    product.collect_events()

    changed = product.update({"enabled": False, "retail_cost": Decimal("5")})

    assert changed == ["enabled", "retail_cost"]
    assert [type(e) for e in product.collect_events()] == [Product.Updated, Product.Disabled]


def test_an_update_that_breaks_a_rule_records_nothing() -> None:
    product = a_product()
    product.collect_events()

    with pytest.raises(InvalidProductError):
        product.update({"inventory_items_list": ["Modem", "Modem"]})

    assert product.collect_events() == []
    assert product.inventory_items_list == []


def test_a_clone_has_the_clone_suffix() -> None:
    fields = a_product(retail_cost=Decimal("15")).clone_fields()

    assert (fields["product_name"], fields["product_slug"]) == ("Mobile SIM Only_clone", "Mobile-SIM_clone")
    assert fields["retail_cost"] == Decimal("15")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("['SIM Card', 'Mobile Number']", ["SIM Card", "Mobile Number"]),
        ('["SIM Card"]', ["SIM Card"]),
        ("[]", []),
        ("", []),
        (None, []),
        (["A"], ["A"]),
    ],
)
def test_list_literals_are_parsed_safely(text: Any, expected: list[str]) -> None:
    assert parse_list(text, "x") == expected


@pytest.mark.parametrize("text", ["['a'", "__import__('os')", "{'a': 1}", "42", "SIM Card"])
def test_bad_list_literals_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_list(text, "inventory_items_list")


def test_lists_are_emitted_in_the_documented_string_form() -> None:
    assert list_literal(["SIM Card", "Mobile Number"]) == "['SIM Card', 'Mobile Number']"
    assert list_literal([]) == "[]"


def test_features_are_parsed_from_a_list_or_sentences() -> None:
    assert parse_features("['20GB data', 'Unlimited calls']") == ["20GB data", "Unlimited calls"]
    assert parse_features("20GB data. Unlimited calls. 30 days.") == ["20GB data", "Unlimited calls", "30 days"]
    assert parse_features(None) == []
