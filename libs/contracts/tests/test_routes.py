"""The route table: path prefix -> owning service."""

import pytest

from omnibus.contracts import ROUTES, Route, service_for_path


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/crm/customers", "customers"),
        ("/crm/customers/", "customers"),
        ("/crm/customer/12", "customers"),
        ("/crm/customerx", None),
        ("/crm/inventory/5", "catalog"),
        ("/crm/inventory_template/1", "catalog"),
        ("/auth/login", "identity"),
        ("/crm/auth/login", "identity"),
        ("/invoice/pdf/3", "billing"),
        ("/invoice", None),
        ("/", None),
        ("/unknown/path", None),
    ],
)
def test_service_for_path_matches_whole_segments(path: str, service: str | None) -> None:
    assert service_for_path(path) == service


def test_the_longest_matching_prefix_wins_whatever_the_table_order() -> None:
    routes = (Route("/a", "short"), Route("/a/b", "long"))

    found = (service_for_path("/a/b/c", routes), service_for_path("/a/b/c", tuple(reversed(routes))))

    assert found == ("long", "long")


def test_a_prefix_is_not_matched_inside_a_longer_segment() -> None:
    routes = (Route("/crm/inventory", "catalog"), Route("/crm/inventory_template", "templates"))

    assert service_for_path("/crm/inventory_template/1", routes) == "templates"


def test_every_route_prefix_is_unique() -> None:
    prefixes = [r.prefix for r in ROUTES]

    assert len(prefixes) == len(set(prefixes))
