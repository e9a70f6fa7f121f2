"""Events published by the customers context (customers.md §8).

Created/Added events carry the full public state. Updated events name the ``changed_fields`` and carry the new
value of exactly those fields (a field not named is unchanged, whatever its value here). Removed events carry the
ids. A subscriber never has to call back.
"""

from datetime import datetime
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import ConfigDict, Field, field_serializer

from omnibus.contracts.base import IntegrationEvent

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
)
