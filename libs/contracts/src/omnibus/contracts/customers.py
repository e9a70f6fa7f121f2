"""Events published by the customers context (customers.md §8).

Created/Added events carry the full public state. Updated events name the ``changed_fields`` and carry the new
value of exactly those fields (a field not named is unchanged, whatever its value here). Removed events carry the
ids. A subscriber never has to call back.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field, field_serializer

from omnibus.contracts.base import IntegrationEvent
from omnibus.contracts.commands import Command, CommandReplied

CustomerAccountType = Literal["Individual", "Business"]
CustomerStatus = Literal["Open", "Closed", "Suspended", "Archived"]
PaymentType = Literal["prepaid", "postpaid"]


class _CustomersEvent(IntegrationEvent):
    context: ClassVar[str] = "customers"


class _CustomerState(_CustomersEvent):
    aggregate_type: ClassVar[str] = "Customer"

    customer_id: int = Field(description="Customer id")
    customer_name: str = Field(description="Company or individual name")
    customer_account_type: CustomerAccountType = Field(description="Individual or Business")
    customer_status: CustomerStatus = Field(description="Open, Closed, Suspended or Archived")
    customer_payment_type: PaymentType = Field(description="prepaid or postpaid")
    customer_enabled: bool = Field(description="Account active")
    tax_identifier: str | None = Field(default=None, description="VAT/GST number")
    contract_start_date: datetime | None = Field(default=None, description="Contract start (UTC)")
    contract_end_date: datetime | None = Field(default=None, description="Contract end (UTC)")


class CustomerCreated(_CustomerState):
    """A customer was created (by staff, self-signup or import)."""

    name: ClassVar[str] = "CustomerCreated"
    created: datetime = Field(description="Creation time (UTC)")
    created_by: int | str | None = Field(default=None, description="Acting user id or API key")


class CustomerUpdated(_CustomersEvent):
    """Customer fields changed (not the status: see CustomerStatusChanged)."""

    name: ClassVar[str] = "CustomerUpdated"
    aggregate_type: ClassVar[str] = "Customer"

    customer_id: int = Field(description="Customer id")
    changed_fields: list[str] = Field(description="Names of the fields that changed; only these carry new values")
    customer_name: str | None = Field(default=None, description="New name, if changed")
    customer_account_type: CustomerAccountType | None = Field(default=None, description="New type, if changed")
    customer_payment_type: PaymentType | None = Field(default=None, description="New payment type, if changed")
    customer_enabled: bool | None = Field(default=None, description="New enabled flag, if changed")
    tax_identifier: str | None = Field(default=None, description="New tax identifier, if changed")
    contract_start_date: datetime | None = Field(default=None, description="New contract start, if changed")
    contract_end_date: datetime | None = Field(default=None, description="New contract end, if changed")


class CustomerStatusChanged(_CustomersEvent):
    """The customer's status changed (Archived on delete)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, serialize_by_alias=True)
    name: ClassVar[str] = "CustomerStatusChanged"
    aggregate_type: ClassVar[str] = "Customer"

    customer_id: int = Field(description="Customer id")
    from_status: CustomerStatus = Field(alias="from", description="Status before")
    to_status: CustomerStatus = Field(alias="to", description="Status after")


class _ContactState(_CustomersEvent):
    aggregate_type: ClassVar[str] = "Contact"

    contact_id: int = Field(description="Contact id")
    customer_id: int = Field(description="Owning customer")
    contact_firstname: str | None = Field(default=None, description="First name")
    contact_lastname: str | None = Field(default=None, description="Last name")
    contact_email: str | None = Field(default=None, description="E-mail address")
    contact_phone: str | None = Field(default=None, description="Phone number as stored")
    contact_types: list[str] = Field(default_factory=list, description="Subset of primary, billing, technical")
    user_id: int | None = Field(default=None, description="Linked login account")


class ContactAdded(_ContactState):
    """A contact was added to a customer."""

    name: ClassVar[str] = "ContactAdded"


class ContactUpdated(_ContactState):
    """A contact changed; only the ``changed_fields`` carry new values."""

    name: ClassVar[str] = "ContactUpdated"
    changed_fields: list[str] = Field(description="Names of the fields that changed")


class ContactRemoved(_ContactState):
    """A contact was removed."""

    name: ClassVar[str] = "ContactRemoved"


class _SiteState(_CustomersEvent):
    aggregate_type: ClassVar[str] = "Site"

    site_id: int = Field(description="Site id")
    customer_id: int = Field(description="Owning customer")
    site_name: str | None = Field(default=None, description="Site name")
    address_line_1: str | None = Field(default=None, description="Address line 1")
    address_line_2: str | None = Field(default=None, description="Address line 2 (unit, apartment)")
    city: str | None = Field(default=None, description="City")
    state: str | None = Field(default=None, description="State or province")
    zip_code: str | None = Field(default=None, description="Postcode")
    country: str | None = Field(default=None, description="Country")
    latitude: Decimal | None = Field(default=None, description="Latitude (decimal string)")
    longitude: Decimal | None = Field(default=None, description="Longitude (decimal string)")
    google_maps_place_id: str | None = Field(default=None, description="Google place id")
    plus_code: str | None = Field(default=None, description="Open Location Code")
    address_source: Literal["google", "manual"] | None = Field(default=None, description="google or manual")

    @field_serializer("latitude", "longitude", when_used="json")
    def _decimal_as_string(self, value: Decimal | None) -> str | None:
        return None if value is None else str(value)


class SiteAdded(_SiteState):
    """A site (address) was added to a customer."""

    name: ClassVar[str] = "SiteAdded"


class SiteUpdated(_SiteState):
    """A site changed; only the ``changed_fields`` carry new values."""

    name: ClassVar[str] = "SiteUpdated"
    changed_fields: list[str] = Field(description="Names of the fields that changed")


class SiteRemoved(_SiteState):
    """A site was removed."""

    name: ClassVar[str] = "SiteRemoved"


ServiceStatus = Literal["Active", "Inactive", "Suspended", "Deactivated"]


class _ServiceEvent(_CustomersEvent):
    aggregate_type: ClassVar[str] = "Service"

    service_id: int = Field(description="Service id")
    customer_id: int = Field(description="Owning customer")


class _MoneyAsString(_CustomersEvent):
    @field_serializer("retail_cost", "wholesale_cost", when_used="json", check_fields=False)
    def _decimal_as_string(self, value: Decimal | None) -> str | None:
        return None if value is None else str(value)


class _ServiceFields(_ServiceEvent, _MoneyAsString):
    site_id: int | None = Field(default=None, description="Delivery site")
    service_name: str | None = Field(default=None, description="Service name")
    service_type: str | None = Field(default=None, description="Service type (service_types, D52)")
    icon: str | None = Field(default=None, description="FontAwesome icon class")
    service_active_date: datetime | None = Field(default=None, description="Active from (UTC)")
    service_deactivate_date: datetime | None = Field(default=None, description="Expiry (UTC)")
    contract_end_date: datetime | None = Field(default=None, description="Contract end (UTC)")
    retail_cost: Decimal | None = Field(default=None, description="Monthly retail price (decimal string)")
    wholesale_cost: Decimal | None = Field(default=None, description="Wholesale cost (decimal string)")
    service_billed: bool | None = Field(default=None, description="False: excluded from invoicing")
    service_taxable: bool | None = Field(default=None, description="False: no tax")
    promo_code: str | None = Field(default=None, description="Promotion code")
    service_visible_to_customer: bool | None = Field(default=None, description="Shown in self-care")
    service_usage_visible_to_customer: bool | None = Field(default=None, description="Usage shown in self-care")
    service_notes: str | None = Field(default=None, description="Notes")


class ServiceCreated(_ServiceFields):
    """A service record was created (by a provisioning playbook, D51)."""

    name: ClassVar[str] = "ServiceCreated"
    service_uuid: str = Field(description="OCS account id (unique)")
    service_status: ServiceStatus = Field(description="Active, Inactive or Suspended")
    product_id: int | None = Field(default=None, description="Product it came from")
    service_provisioned_date: datetime | None = Field(default=None, description="Set by the playbook (UTC)")
    provisioning_play: str | None = Field(default=None, description="Play that created it")
    deprovisioning_play: str | None = Field(default=None, description="Teardown play")
    bundled_parent: int | None = Field(default=None, description="Parent service of a bundle")
    created: datetime = Field(description="Creation time (UTC)")


class ServiceUpdated(_ServiceFields):
    """Editable fields of a service changed (dates, prices, flags, ...); only ``changed_fields`` carry values."""

    name: ClassVar[str] = "ServiceUpdated"
    changed_fields: list[str] = Field(description="Names of the fields that changed")


class ServiceStatusChanged(_ServiceEvent):
    """The service's status changed: activated, suspended, made inactive or deactivated (§4.5)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, serialize_by_alias=True)
    name: ClassVar[str] = "ServiceStatusChanged"

    service_uuid: str = Field(description="OCS account id")
    from_status: ServiceStatus = Field(alias="from", description="Status before")
    to_status: ServiceStatus = Field(alias="to", description="Status after")
    reason: str | None = Field(default=None, description="Why, when known")


class ServiceDeactivated(_ServiceEvent):
    """The service was deprovisioned (status Deactivated, terminal)."""

    name: ClassVar[str] = "ServiceDeactivated"
    service_uuid: str = Field(description="OCS account id")
    service_deactivate_date: datetime | None = Field(default=None, description="Deactivation date (UTC)")


class ServiceExpiryExtended(_ServiceEvent):
    """The service's expiry moved later (a top-up or renewal)."""

    name: ClassVar[str] = "ServiceExpiryExtended"
    service_uuid: str = Field(description="OCS account id")
    service_deactivate_date: datetime = Field(description="New expiry (UTC)")


class ServiceVisibilityChanged(_ServiceEvent):
    """What the customer sees of the service in self-care changed."""

    name: ClassVar[str] = "ServiceVisibilityChanged"
    service_visible_to_customer: bool = Field(description="Shown in self-care")
    service_usage_visible_to_customer: bool = Field(description="Usage and balances shown in self-care")


class ServiceDeleted(_ServiceEvent):
    """The service record was removed (rollback of a failed provisioning)."""

    name: ClassVar[str] = "ServiceDeleted"
    service_uuid: str = Field(description="OCS account id")


class _AttributeEvent(_CustomersEvent):
    aggregate_type: ClassVar[str] = "CustomerAttribute"

    attribute_id: int = Field(description="Attribute id")
    customer_id: int = Field(description="Owning customer")
    attribute_name: str = Field(description="snake_case key (D40)")


class CustomerAttributeSet(_AttributeEvent):
    """An attribute was added to a customer."""

    name: ClassVar[str] = "CustomerAttributeSet"
    attribute_value: str = Field(description="Value (always a string)")


class CustomerAttributeValueChanged(_AttributeEvent):
    """An attribute's value changed."""

    name: ClassVar[str] = "CustomerAttributeValueChanged"
    old_value: str = Field(description="Value before")
    new_value: str = Field(description="Value after")
    by: int | str | None = Field(default=None, description="Acting user id or API key")


class CustomerAttributeRemoved(_AttributeEvent):
    """An attribute was removed."""

    name: ClassVar[str] = "CustomerAttributeRemoved"
    by: int | str | None = Field(default=None, description="Acting user id or API key")


class _TagEvent(_CustomersEvent):
    aggregate_type: ClassVar[str] = "CustomerTag"

    tag_id: int = Field(description="Tag id")
    customer_id: int = Field(description="Owning customer")
    tag_text: str | None = Field(default=None, description="Pill label")
    tag_hex_color: str | None = Field(default=None, description="6 hex digits, no '#'")
    tag_link: str | None = Field(default=None, description="URL opened on click")
    tag_active_date: datetime | None = Field(default=None, description="Shown from (UTC)")
    tag_deactivate_date: datetime | None = Field(default=None, description="Hidden from (UTC)")


class CustomerTagAdded(_TagEvent):
    """A tag was added to a customer."""

    name: ClassVar[str] = "CustomerTagAdded"
    actor: int | str | None = Field(default=None, description="Acting user id or API key")


class CustomerTagUpdated(_TagEvent):
    """A tag changed; only the ``changed_fields`` carry new values."""

    name: ClassVar[str] = "CustomerTagUpdated"
    changed_fields: list[str] = Field(description="Names of the fields that changed")


class CustomerTagRemoved(_TagEvent):
    """A tag was removed."""

    name: ClassVar[str] = "CustomerTagRemoved"


class ActivityNoteAdded(_CustomersEvent):
    """Staff added a manual note to a customer's activity log (D49)."""

    name: ClassVar[str] = "ActivityNoteAdded"
    aggregate_type: ClassVar[str] = "Note"

    customer_id: int = Field(description="Customer the note is about")
    activity_id: str = Field(description="The log entry's id")
    by: int | str | None = Field(default=None, description="Acting user id or API key")


class ServiceExpiringDetected(_ServiceEvent):
    """An Active service expires within a reminder threshold (D98: 7, 3, 1 days); recorded once per expiry date and
    threshold, with the customer's reminders."""

    name: ClassVar[str] = "ServiceExpiringDetected"
    service_uuid: str = Field(description="OCS account id")
    expiry: datetime = Field(description="service_deactivate_date (UTC)")
    threshold_days: int = Field(description="The reminder threshold reached, in days")


class NotificationPreferencesChanged(_CustomersEvent):
    """The customer's notification preferences changed (customers.md §2.9)."""

    name: ClassVar[str] = "NotificationPreferencesChanged"
    aggregate_type: ClassVar[str] = "Customer"

    customer_id: int = Field(description="Customer id")
    preferences: dict[str, bool] = Field(
        description="All preferences after the change: email_enabled, sms_enabled, balance_alerts, expiry_reminders"
    )


CommunicationChannel = Literal["email", "sms"]


class _CommunicationEvent(_CustomersEvent):
    aggregate_type: ClassVar[str] = "Communication"

    communication_id: int = Field(description="Communication id")
    customer_id: int | None = Field(default=None, description="Customer written to")
    channel: CommunicationChannel = Field(description="email or sms")


class CommunicationRequested(_CommunicationEvent):
    """A message to a customer was decided (before anything is sent); its variables stay in customers."""

    name: ClassVar[str] = "CommunicationRequested"
    template_key: str | None = Field(default=None, description="Template key, e.g. api_crmCommunicationCustomerWelcome")
    template_id: int | None = Field(default=None, description="Mailjet template id (e-mail)")
    to: str = Field(description="E-mail address or phone number")
    subject: str | None = Field(default=None, description="E-mail subject")
    related: dict[str, Any] = Field(default_factory=dict, description="Related records: invoice_id, service_id, ...")
    trigger_event_id: str | None = Field(default=None, description="Id of the event that caused it, if one did")


class CommunicationSent(_CommunicationEvent):
    """The provider (Mailjet, the SMSC) accepted the message."""

    name: ClassVar[str] = "CommunicationSent"
    provider_message_id: str | None = Field(default=None, description="Mailjet MessageID or the SMSC's id")
    attempt: int = Field(description="Attempt that succeeded, from 1")


class CommunicationFailed(_CommunicationEvent):
    """The message was given up: refused, out of retries, or of unknown outcome (an SMS is not sent twice)."""

    name: ClassVar[str] = "CommunicationFailed"
    error: str = Field(description="Why")
    attempt: int = Field(description="Last attempt, from 1")


PUBLISHED: tuple[type[IntegrationEvent], ...] = (
    CustomerCreated,
    CustomerUpdated,
    CustomerStatusChanged,
    ContactAdded,
    ContactUpdated,
    ContactRemoved,
    SiteAdded,
    SiteUpdated,
    SiteRemoved,
    ServiceCreated,
    ServiceUpdated,
    ServiceStatusChanged,
    ServiceDeactivated,
    ServiceExpiryExtended,
    ServiceVisibilityChanged,
    ServiceDeleted,
    CustomerAttributeSet,
    CustomerAttributeValueChanged,
    CustomerAttributeRemoved,
    CustomerTagAdded,
    CustomerTagUpdated,
    CustomerTagRemoved,
    ActivityNoteAdded,
    ServiceExpiringDetected,
    NotificationPreferencesChanged,
    CommunicationRequested,
    CommunicationSent,
    CommunicationFailed,
)


# --- commands (``omnibus.commands``, routing key ``customers.<Name>``, queue ``customers.commands``) ---

COMMAND_QUEUE = "customers.commands"


class CustomersCommandReplied(CommandReplied):
    """The customers context's answer to one command (``result``: ``service_id``)."""

    context: ClassVar[str] = "customers"


PUBLISHED = (*PUBLISHED, CustomersCommandReplied)


class CustomersCommand(Command):
    """A command to the customers context from a provisioning job; idempotent by the service's state."""

    context: ClassVar[str] = "customers"
    queue: ClassVar[str] = COMMAND_QUEUE
    provision_id: int = Field(ge=1, description="The provisioning job")
    customer_id: int = Field(ge=1, description="Customer the job is for")
    service_uuid: str = Field(min_length=1, max_length=64, description="The service the job's play created")


class ActivateProvisionedService(CustomersCommand):
    """The job succeeded so far: its service becomes Active. ``result.service_id`` is the service's id, or null
    when the play created no service with this ``service_uuid`` (plays decide what they create)."""

    name: ClassVar[str] = "ActivateProvisionedService"


class DeactivateProvisionedService(CustomersCommand):
    """Compensation: the job's service becomes Deactivated (a no-op when there is none)."""

    name: ClassVar[str] = "DeactivateProvisionedService"


COMMANDS: tuple[type[CustomersCommand], ...] = (ActivateProvisionedService, DeactivateProvisionedService)
