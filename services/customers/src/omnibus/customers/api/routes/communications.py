"""Communication endpoints (customers.md §3, §2.8, §2.9): a customer's messages, ad-hoc sends, retries, the
service-expiry sweep, and the customer's notification preferences."""

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from omnibus.customers.api.deps import CustomersAppDep, ReadDep
from omnibus.customers.api.views import communication_row_view, communication_view
from omnibus.customers.integration.service_expiry import ExpiryReminders
from omnibus.customers.readmodel.communication_queries import customer_contacts, list_communications
from omnibus.platform.auth import Access, require
from omnibus.platform.auth.deps import NotVisible
from omnibus.platform.channels.smsc import MAX_BODY, msisdn
from omnibus.platform.http.types import Paging

router = APIRouter(tags=["communications"])

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_VARIABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
Scalar = str | int | float | bool | None


class CommunicationCreate(BaseModel):
    """``{customer_id, channel: "email", template_key, variables}`` or ``{customer_id, channel: "sms", message}``;
    ``to`` [new] writes to that address instead of the customer's preferred contact."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer_id: Annotated[int, Field(ge=1)]
    channel: Literal["email", "sms"]
    template_key: Annotated[str | None, Field(default=None, min_length=1, max_length=100)]
    variables: Annotated[dict[str, Scalar], Field(default_factory=dict, max_length=50)]
    message: Annotated[str | None, Field(default=None, min_length=1, max_length=MAX_BODY)]
    to: Annotated[str | None, Field(default=None, min_length=3, max_length=254)]

    @field_validator("variables")
    @classmethod
    def _names(cls, value: dict[str, Scalar]) -> dict[str, Scalar]:
        for name, item in value.items():
            if not _VARIABLE_NAME.match(name):
                raise ValueError(f"variable name {name!r} must be letters, digits and _ (a template's var:name)")
            if isinstance(item, str) and len(item) > 2000:
                raise ValueError(f"variable {name} is longer than 2000 characters")
        return value

    @model_validator(mode="after")
    def _shape(self) -> "CommunicationCreate":
        if self.channel == "email" and (self.template_key is None or self.message is not None):
            raise ValueError("an e-mail names a template_key (and its variables), not a message")
        if self.channel == "sms" and (self.message is None or self.template_key is not None):
            raise ValueError("an SMS carries a message, not a template_key")
        if self.to is not None and self.channel == "email" and not _EMAIL.match(self.to):
            raise ValueError("to must be an e-mail address")
        if self.to is not None and self.channel == "sms":
            msisdn(self.to)  # ValueError: not a phone number
        return self


class PreferencesPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email_enabled: bool | None = None
    sms_enabled: bool | None = None
    balance_alerts: bool | None = None
    expiry_reminders: bool | None = None

    @model_validator(mode="after")
    def _something(self) -> "PreferencesPatch":
        if not self.model_dump(exclude_none=True):
            raise ValueError("name at least one of email_enabled, sms_enabled, balance_alerts, expiry_reminders")
        return self


VIEW = require("view_communication", own="view_own_communication")


@router.get("/crm/communication/customer_id/{customer_id}")
def list_customer_communications(
    customer_id: int,
    read: ReadDep,
    paging: Annotated[Paging, Depends()],
    access: Annotated[Access, Depends(VIEW)],
) -> dict[str, Any]:
    """A customer's e-mails and SMS, newest first; ``filters`` on channel, status, template_key; paging."""
    access.check_customer(customer_id, "Customer")
    rows, total = list_communications(
        read,
        customer_id,
        filters=paging.filters,
        descending=paging.descending,
        offset=paging.offset,
        limit=paging.per_page,
    )
    return paging.envelope([communication_row_view(r) for r in rows], total)


@router.get("/crm/communication/communication_id/{communication_id}")
def get_communication(
    communication_id: int, app: CustomersAppDep, access: Annotated[Access, Depends(VIEW)]
) -> dict[str, Any]:
    """One communication with its status, attempts and last error [new]."""
    communication = app.get_communication(communication_id)
    if access.scoped and communication.customer_id != access.own_customer_id:
        raise NotVisible("Communication not found")
    return communication_view(communication)


@router.put("/crm/communication/")
@router.post("/crm/communication/", include_in_schema=False)
def create_communication(
    body: CommunicationCreate,
    app: CustomersAppDep,
    read: ReadDep,
    _: Annotated[Access, Depends(require("create_communication"))],
) -> dict[str, Any]:
    """Send a template e-mail or an SMS to a customer now; answers the communication (status ``requested``)."""
    customer = app.get_customer(body.customer_id)
    request = app.notices.explicit(
        customer_id=customer.customer_id,
        customer_name=customer.customer_name,
        contacts=customer_contacts(read, customer.customer_id),
        channel=body.channel,
        template_key=body.template_key,
        variables=body.variables,
        message=body.message,
        to=body.to,
    )
    return communication_view(app.send_communication(request))


@router.post("/crm/communication/communication_id/{communication_id}/retry")
def retry_communication(
    communication_id: int, app: CustomersAppDep, _: Annotated[Access, Depends(require("create_communication"))]
) -> dict[str, Any]:
    """Send a failed communication again [new] (409 unless it failed)."""
    return communication_view(app.retry_communication(communication_id))


@router.post("/crm/service/expiring/remind")
def remind_expiring_services(
    request: Request, _: Annotated[Access, Depends(require("create_communication"))]
) -> dict[str, Any]:
    """Record and send the service-expiry reminders due now (D98; the workers also do it hourly) [new]."""
    reminders: ExpiryReminders = request.app.state.expiry_reminders
    found = reminders.sweep(datetime.now(UTC))
    return {"reminders": [{"service_id": s, "threshold_days": t} for s, t in found]}


@router.get("/crm/customer/customer_id/{customer_id}/notification_preferences")
def get_notification_preferences(
    customer_id: int,
    app: CustomersAppDep,
    access: Annotated[Access, Depends(require("view_customer", own="view_own_customer"))],
) -> dict[str, Any]:
    """The customer's notification preferences (customers.md §2.9) [new path]."""
    access.check_customer(customer_id, "Customer")
    return {"customer_id": customer_id, **app.get_customer(customer_id).notification_preferences}


@router.patch("/crm/customer/customer_id/{customer_id}/notification_preferences")
def update_notification_preferences(
    customer_id: int,
    body: PreferencesPatch,
    app: CustomersAppDep,
    access: Annotated[Access, Depends(require("update_customer", own="update_own_customer"))],
) -> dict[str, Any]:
    """Turn e-mail, SMS, balance alerts or expiry reminders on or off (self-care may change its own)."""
    access.check_customer(customer_id, "Customer")
    preferences = app.change_notification_preferences(customer_id, body.model_dump(exclude_none=True))
    return {"customer_id": customer_id, **preferences}
