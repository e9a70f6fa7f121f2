"""Response shapes: the reference product's field names, ISO-8601 UTC dates, coordinates as strings (D42);
attributes and tags in the ``YYYY-MM-DD HH:MM:SS`` form (D7)."""

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from omnibus.customers.domain import Attribute, Communication, Contact, Customer, Service, Site, Tag
from omnibus.platform.http.types import iso_z, space_form

SERVICE_DATES = (
    "service_provisioned_date",
    "service_active_date",
    "service_deactivate_date",
    "contract_end_date",
    "created",
    "last_modified",
)


def customer_view(customer: Customer) -> dict[str, Any]:
    return {
        "customer_id": customer.customer_id,
        "customer_name": customer.customer_name,
        "customer_account_type": customer.customer_account_type,
        "customer_status": customer.customer_status,
        "customer_payment_type": customer.customer_payment_type,
        "customer_enabled": customer.customer_enabled,
        "tax_identifier": customer.tax_identifier,
        "contract_start_date": iso_z(customer.contract_start_date),
        "contract_end_date": iso_z(customer.contract_end_date),
        "created": iso_z(customer.created_on),
        "last_modified": iso_z(customer.modified_on),
    }


def customer_row_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        **{k: iso_z(row[k]) for k in ("contract_start_date", "contract_end_date", "created", "last_modified")},
    }


def contact_view(contact: Contact) -> dict[str, Any]:
    return {
        "contact_id": contact.contact_id,
        "customer_id": contact.customer_id,
        **contact.public_fields(),
        "created": iso_z(contact.created_on),
        "last_modified": iso_z(contact.modified_on),
    }


def site_view(site: Site) -> dict[str, Any]:
    state = site.public_fields()
    for key in ("latitude", "longitude"):
        state[key] = None if state[key] is None else str(state[key])
    return {
        "site_id": site.site_id,
        "customer_id": site.customer_id,
        **state,
        "created": iso_z(site.created_on),
        "last_modified": iso_z(site.modified_on),
    }


def row_view(row: dict[str, Any]) -> dict[str, Any]:
    """A contact or site row as the API shows it."""
    return {**row, "created": iso_z(row["created"]), "last_modified": iso_z(row["last_modified"])}


def service_view(service: Service) -> dict[str, Any]:
    return service_row_view(
        {
            "service_id": service.service_id,
            "customer_id": service.customer_id,
            "service_status": service.service_status,
            "invoiced": service.invoiced,
            **service.public_fields(),
            "created": service.created_on,
            "last_modified": service.modified_on,
        }
    )


def service_row_view(row: dict[str, Any]) -> dict[str, Any]:
    """Dates ISO-8601 ``Z``; money as numbers with two decimals (playbooks read them with ``| float``)."""
    view = {**row, **{k: iso_z(row[k]) for k in SERVICE_DATES}}
    for cost in ("retail_cost", "wholesale_cost"):
        view[cost] = float(Decimal(row[cost]).quantize(Decimal("0.01")))
    return view


def attribute_view(attribute: Attribute) -> dict[str, Any]:
    return attribute_row_view(
        {
            "attribute_id": attribute.attribute_id,
            "customer_id": attribute.customer_id,
            "attribute_name": attribute.attribute_name,
            "attribute_value": attribute.attribute_value,
            "created": attribute.created_on,
            "last_modified": attribute.modified_on,
        }
    )


def attribute_row_view(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "created": space_form(row["created"]), "last_modified": space_form(row["last_modified"])}


def tag_view(tag: Tag, now: datetime) -> dict[str, Any]:
    row = {"tag_id": tag.tag_id, "customer_id": tag.customer_id, **tag.public_fields()}
    return tag_row_view({**row, "created": tag.created_on, "last_modified": tag.modified_on}, now)


def tag_row_view(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The stored tag plus ``tag_active``: whether it shows as a pill now (§4.3)."""
    dates = ("tag_active_date", "tag_deactivate_date", "created", "last_modified")
    active = _aware(row["tag_active_date"]) <= now < _aware(row["tag_deactivate_date"])
    return {**row, **{k: space_form(row[k]) for k in dates}, "tag_active": active}


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def activity_view(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "at": iso_z(row["at"])}


_SECRET_NAME = re.compile(r"password|secret|token|api_?key|otp", re.IGNORECASE)


def redacted(variables: dict[str, Any]) -> dict[str, Any]:
    """Template variables as shown: secrets (by name) hidden (customers.md §2.8)."""
    return {k: "***" if _SECRET_NAME.search(k) else v for k, v in variables.items()}


def communication_view(c: Communication) -> dict[str, Any]:
    trigger = c.trigger or {}
    return {
        "communication_id": c.communication_id,
        "customer_id": c.customer_id,
        "user_id": None,
        "channel": c.channel,
        "template_key": c.template_key,
        "template_id": c.template_id,
        "to": c.to,
        "subject": c.subject,
        "message": c.message,
        "variables": redacted(c.variables),
        "related": c.related,
        "status": c.status,
        "attempts": c.attempts,
        "next_attempt_at": iso_z(c.next_attempt_at),
        "provider_message_id": c.provider_message_id,
        "error": c.error,
        "trigger_event_type": trigger.get("event_type"),
        "trigger_event_id": trigger.get("event_id"),
        "created": iso_z(c.created_on),
        "last_modified": iso_z(c.modified_on),
    }


def communication_row_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "communication_id": row["communication_id"],
        "customer_id": row["customer_id"],
        "user_id": None,
        "channel": row["channel"],
        "template_key": row["template_key"],
        "template_id": row["template_id"],
        "to": row["to_address"],
        "subject": row["subject"],
        "message": row["message"],
        "variables": redacted(row["variables"] or {}),
        "related": row["related"] or {},
        "status": row["status"],
        "attempts": row["attempts"],
        "next_attempt_at": iso_z(row["next_attempt_at"]),
        "provider_message_id": row["provider_message_id"],
        "error": row["error"],
        "trigger_event_type": row["trigger_event_type"],
        "trigger_event_id": row["trigger_event_id"],
        "created": iso_z(row["created"]),
        "last_modified": iso_z(row["last_modified"]),
    }
