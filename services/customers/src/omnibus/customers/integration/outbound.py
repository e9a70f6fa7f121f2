"""Domain events -> public contracts (customers.md §8). Events not listed here stay private."""

from functools import singledispatch

from omnibus.contracts import IntegrationEvent
from omnibus.contracts import customers as c
from omnibus.customers.domain import ALL_EVENTS, Contact, Customer, Site
from omnibus.platform.eventstore import event_meta, topics_of
from omnibus.platform.relay import Outbound


@singledispatch
def to_integration(event: object) -> IntegrationEvent | None:
    return None


@to_integration.register
def _(e: Customer.Created) -> IntegrationEvent:
    return c.CustomerCreated(
        customer_id=e.customer_id,
        customer_name=e.customer_name,
        customer_account_type=e.customer_account_type,  # type: ignore[arg-type]
        customer_status=e.customer_status,  # type: ignore[arg-type]
        customer_payment_type=e.customer_payment_type,  # type: ignore[arg-type]
        customer_enabled=e.customer_enabled,
        tax_identifier=e.tax_identifier,
        contract_start_date=e.contract_start_date,
        contract_end_date=e.contract_end_date,
        created=e.timestamp,
        created_by=_acting(e),
    )


def _acting(e: object) -> int | str | None:
    """The user id (else the API key) recorded with the event: CustomerCreated's ``created_by`` (customers.md §8)."""
    actor = event_meta(e).get("actor") or {}
    user_id = actor.get("user_id")
    return user_id if user_id is not None else actor.get("api_key_id")


@to_integration.register
def _(e: Customer.Updated) -> IntegrationEvent:
    return c.CustomerUpdated(customer_id=e.customer_id, changed_fields=sorted(e.changes), **e.changes)


@to_integration.register
def _(e: Customer.StatusChanged) -> IntegrationEvent:
    return c.CustomerStatusChanged(
        customer_id=e.customer_id,
        from_status=e.from_status,  # type: ignore[arg-type]
        to_status=e.to_status,  # type: ignore[arg-type]
    )


@to_integration.register
def _(e: Contact.Added) -> IntegrationEvent:
    return c.ContactAdded(contact_id=e.contact_id, customer_id=e.customer_id, **e.fields)


@to_integration.register
def _(e: Contact.Updated) -> IntegrationEvent:
    return c.ContactUpdated(
        contact_id=e.contact_id, customer_id=e.customer_id, changed_fields=sorted(e.changes), **e.changes
    )


@to_integration.register
def _(e: Contact.Removed) -> IntegrationEvent:
    return c.ContactRemoved(contact_id=e.contact_id, customer_id=e.customer_id)


@to_integration.register
def _(e: Site.Added) -> IntegrationEvent:
    return c.SiteAdded(site_id=e.site_id, customer_id=e.customer_id, **e.fields)


@to_integration.register
def _(e: Site.Updated) -> IntegrationEvent:
    return c.SiteUpdated(site_id=e.site_id, customer_id=e.customer_id, changed_fields=sorted(e.changes), **e.changes)


@to_integration.register
def _(e: Site.Removed) -> IntegrationEvent:
    return c.SiteRemoved(site_id=e.site_id, customer_id=e.customer_id)


OUTBOUND = Outbound(
    source="customers",
    to_integration=to_integration,
    topics=topics_of(*ALL_EVENTS),
)
