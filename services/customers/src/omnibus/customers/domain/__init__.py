"""The customers domain: Customer, Contact and Site aggregates and their rules (customers.md §2, §5)."""

from omnibus.customers.domain.contact import Contact
from omnibus.customers.domain.customer import Customer
from omnibus.customers.domain.errors import (
    ContactNotFoundError,
    CustomerNotFoundError,
    CustomersError,
    SiteNotFoundError,
)
from omnibus.customers.domain.site import Site

__all__ = [
    "Contact",
    "ContactNotFoundError",
    "Customer",
    "CustomerNotFoundError",
    "CustomersError",
    "Site",
    "SiteNotFoundError",
]
