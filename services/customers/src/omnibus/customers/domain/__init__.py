"""The customers domain: aggregates and their rules (customers.md §2, §4, §5)."""

from omnibus.customers.domain.attribute import Attribute
from omnibus.customers.domain.communication import Communication
from omnibus.customers.domain.contact import Contact
from omnibus.customers.domain.customer import Customer
from omnibus.customers.domain.errors import (
    AttributeNotFoundError,
    CommunicationNotFoundError,
    ContactNotFoundError,
    CustomerNotFoundError,
    CustomersError,
    ServiceNotFoundError,
    SiteNotFoundError,
    TagNotFoundError,
)
from omnibus.customers.domain.note import Note
from omnibus.customers.domain.service import Service
from omnibus.customers.domain.site import Site
from omnibus.customers.domain.tag import Tag
from omnibus.customers.domain.unique_key import UniqueKey

# Every event of the customers domain, in one place for the relay and the projections that follow them all.
ALL_EVENTS = (
    Customer.Created,
    Customer.Updated,
    Customer.StatusChanged,
    Customer.NotificationPreferencesChanged,
    Contact.Added,
    Contact.Updated,
    Contact.Removed,
    Site.Added,
    Site.Updated,
    Site.Removed,
    Service.Created,
    Service.Updated,
    Service.StatusChanged,
    Service.Deactivated,
    Service.ExpiryExtended,
    Service.VisibilityChanged,
    Service.Deleted,
    Service.ExpiringDetected,
    Attribute.Set,
    Attribute.ValueChanged,
    Attribute.Removed,
    Tag.Added,
    Tag.Updated,
    Tag.Removed,
    Note.Added,
    Communication.Requested,
    Communication.AttemptStarted,
    Communication.Sent,
    Communication.AttemptFailed,
    Communication.Failed,
    Communication.RetryRequested,
)

__all__ = [
    "ALL_EVENTS",
    "Attribute",
    "AttributeNotFoundError",
    "Communication",
    "CommunicationNotFoundError",
    "Contact",
    "ContactNotFoundError",
    "Customer",
    "CustomerNotFoundError",
    "CustomersError",
    "Note",
    "Service",
    "ServiceNotFoundError",
    "Site",
    "SiteNotFoundError",
    "Tag",
    "TagNotFoundError",
    "UniqueKey",
]
