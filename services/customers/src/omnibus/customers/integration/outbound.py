"""Domain events -> public contracts (customers.md §8). Events not listed here stay private."""

from functools import singledispatch

from omnibus.contracts import IntegrationEvent
from omnibus.contracts import customers as c
from omnibus.customers.domain import (
    ALL_EVENTS,
    Attribute,
    Communication,
    Contact,
    Customer,
    Note,
    Service,
    Site,
    Tag,
)
from omnibus.platform.eventstore import event_id, event_meta, topics_of
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


PRIVATE_SERVICE_FIELDS = ("provisioning_json_vars", "deprovisioning_json_vars")  # play variables stay here


@to_integration.register
def _(e: Service.Created) -> IntegrationEvent:
    public = {k: v for k, v in e.fields.items() if k not in PRIVATE_SERVICE_FIELDS}
    return c.ServiceCreated(
        service_id=e.service_id,
        customer_id=e.customer_id,
        service_status=e.service_status,  # type: ignore[arg-type]
        created=e.timestamp,
        **public,
    )


@to_integration.register
def _(e: Service.Updated) -> IntegrationEvent:
    return c.ServiceUpdated(
        service_id=e.service_id, customer_id=e.customer_id, changed_fields=sorted(e.changes), **e.changes
    )


@to_integration.register
def _(e: Service.StatusChanged) -> IntegrationEvent:
    return c.ServiceStatusChanged(
        service_id=e.service_id,
        customer_id=e.customer_id,
        service_uuid=e.service_uuid,
        from_status=e.from_status,  # type: ignore[arg-type]
        to_status=e.to_status,  # type: ignore[arg-type]
    )


@to_integration.register
def _(e: Service.Deactivated) -> IntegrationEvent:
    return c.ServiceDeactivated(
        service_id=e.service_id,
        customer_id=e.customer_id,
        service_uuid=e.service_uuid,
        service_deactivate_date=e.service_deactivate_date,
    )


@to_integration.register
def _(e: Service.ExpiryExtended) -> IntegrationEvent:
    return c.ServiceExpiryExtended(
        service_id=e.service_id,
        customer_id=e.customer_id,
        service_uuid=e.service_uuid,
        service_deactivate_date=e.service_deactivate_date,
    )


@to_integration.register
def _(e: Service.VisibilityChanged) -> IntegrationEvent:
    return c.ServiceVisibilityChanged(
        service_id=e.service_id,
        customer_id=e.customer_id,
        service_visible_to_customer=e.service_visible_to_customer,
        service_usage_visible_to_customer=e.service_usage_visible_to_customer,
    )


@to_integration.register
def _(e: Service.Deleted) -> IntegrationEvent:
    return c.ServiceDeleted(service_id=e.service_id, customer_id=e.customer_id, service_uuid=e.service_uuid)


@to_integration.register
def _(e: Attribute.Set) -> IntegrationEvent:
    return c.CustomerAttributeSet(
        attribute_id=e.attribute_id,
        customer_id=e.customer_id,
        attribute_name=e.attribute_name,
        attribute_value=e.attribute_value,
    )


@to_integration.register
def _(e: Attribute.ValueChanged) -> IntegrationEvent:
    return c.CustomerAttributeValueChanged(
        attribute_id=e.attribute_id,
        customer_id=e.customer_id,
        attribute_name=e.attribute_name,
        old_value=e.old_value,
        new_value=e.new_value,
        by=_acting(e),
    )


@to_integration.register
def _(e: Attribute.Removed) -> IntegrationEvent:
    return c.CustomerAttributeRemoved(
        attribute_id=e.attribute_id, customer_id=e.customer_id, attribute_name=e.attribute_name, by=_acting(e)
    )


@to_integration.register
def _(e: Tag.Added) -> IntegrationEvent:
    return c.CustomerTagAdded(tag_id=e.tag_id, customer_id=e.customer_id, actor=_acting(e), **e.fields)


@to_integration.register
def _(e: Tag.Updated) -> IntegrationEvent:
    return c.CustomerTagUpdated(
        tag_id=e.tag_id, customer_id=e.customer_id, changed_fields=sorted(e.changes), **e.changes
    )


@to_integration.register
def _(e: Tag.Removed) -> IntegrationEvent:
    return c.CustomerTagRemoved(tag_id=e.tag_id, customer_id=e.customer_id)


@to_integration.register
def _(e: Note.Added) -> IntegrationEvent:
    activity_id = str(event_id(e.originator_id, e.originator_version))
    return c.ActivityNoteAdded(customer_id=e.customer_id, activity_id=activity_id, by=_acting(e))


@to_integration.register
def _(e: Service.ExpiringDetected) -> IntegrationEvent:
    return c.ServiceExpiringDetected(
        service_id=e.service_id,
        customer_id=e.customer_id,
        service_uuid=e.service_uuid,
        expiry=e.service_deactivate_date,
        threshold_days=e.threshold_days,
    )


@to_integration.register
def _(e: Customer.NotificationPreferencesChanged) -> IntegrationEvent:
    return c.NotificationPreferencesChanged(customer_id=e.customer_id, preferences=e.preferences)


@to_integration.register
def _(e: Communication.Requested) -> IntegrationEvent:
    return c.CommunicationRequested(
        communication_id=e.communication_id,
        customer_id=e.customer_id,
        channel=e.channel,  # type: ignore[arg-type]
        template_key=e.template_key,
        template_id=e.template_id,
        to=e.to,
        subject=e.subject,
        related=e.related,
        trigger_event_id=(e.trigger or {}).get("event_id"),
    )


@to_integration.register
def _(e: Communication.Sent) -> IntegrationEvent:
    return c.CommunicationSent(
        communication_id=e.communication_id,
        customer_id=e.customer_id,
        channel=e.channel,  # type: ignore[arg-type]
        provider_message_id=e.provider_message_id,
        attempt=e.attempt,
    )


@to_integration.register
def _(e: Communication.Failed) -> IntegrationEvent:
    return c.CommunicationFailed(
        communication_id=e.communication_id,
        customer_id=e.customer_id,
        channel=e.channel,  # type: ignore[arg-type]
        error=e.error,
        attempt=e.attempt,
    )


OUTBOUND = Outbound(
    source="customers",
    to_integration=to_integration,
    topics=topics_of(*ALL_EVENTS),
    replies=c.CustomersCommandReplied,
)
