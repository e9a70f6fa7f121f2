"""Errors of the customers context; ``http_status`` and ``code`` tell the HTTP layer how to answer."""

from __future__ import annotations


class CustomersError(Exception):
    http_status = 400
    code = "customers_error"


class CustomerNotFoundError(CustomersError):
    http_status = 404
    code = "customer_not_found"

    def __init__(self, customer_id: int) -> None:
        super().__init__(f"Customer {customer_id} not found")


class ContactNotFoundError(CustomersError):
    http_status = 404
    code = "contact_not_found"

    def __init__(self, contact_id: int) -> None:
        super().__init__(f"Contact {contact_id} not found")


class SiteNotFoundError(CustomersError):
    http_status = 404
    code = "site_not_found"

    def __init__(self, site_id: int) -> None:
        super().__init__(f"Site {site_id} not found")


class InvalidCustomerError(CustomersError):
    code = "invalid_customer"


class UnknownFieldError(CustomersError):
    code = "unknown_field"

    def __init__(self, names: list[str]) -> None:
        super().__init__(f"Unknown or read-only field(s): {', '.join(names)}")
        self.details = names


def check_fields(fields: dict[str, object], allowed: tuple[str, ...]) -> None:
    """Refuse any field name outside ``allowed`` (one rule for customers, contacts and sites)."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise UnknownFieldError(sorted(unknown))
