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

# Every event of the customers domain, in one place for the relay and the projections that follow them all.
ALL_EVENTS = (
    Customer.Created,
    Customer.Updated,
    Customer.StatusChanged,
    Contact.Added,
    Contact.Updated,
    Contact.Removed,
    Site.Added,
    Site.Updated,
    Site.Removed,
)

__all__ = [
    "ALL_EVENTS",
    "Contact",
    "ContactNotFoundError",
    "Customer",
    "CustomerNotFoundError",
    "CustomersError",
    "Site",
    "SiteNotFoundError",
]
