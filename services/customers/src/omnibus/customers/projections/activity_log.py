"""The activity log (customers.md §2.7, D49): who did what to a customer, when, through which channel.

One entry per customers event that concerns a customer, with the actor recorded in the event's metadata (user,
API key, impersonating staff user, client IP, auth method). Other contexts' customer-scoped events come in through
a bus projection (``integration.activity_feed``) writing ``entry_row(...)`` rows of the same shape to a table of
its own, so that each can be rebuilt alone; the queries read both.
"""

from collections.abc import Callable
from typing import Any

from omnibus.customers.domain import Attribute, Communication, Contact, Customer, Note, Service, Site, Tag
from omnibus.customers.readmodel.activity_queries import Entry, entry_row
from omnibus.customers.readmodel.tables import activity
from omnibus.platform.eventstore import event_id, event_meta, topics_of
from omnibus.platform.projections import Projection
from omnibus.platform.readmodels import Rows


def _fields(changes: dict[str, Any]) -> str:
    return ", ".join(sorted(changes))


def _preferences(preferences: dict[str, bool]) -> str:
    return ", ".join(f"{name} {'on' if on else 'off'}" for name, on in sorted(preferences.items()))


def _medium(channel: str) -> str:
    return "E-mail" if channel == "email" else "SMS"


def _contact_name(fields: dict[str, Any]) -> str:
    return " ".join(str(fields[k]) for k in ("contact_firstname", "contact_lastname") if fields.get(k)) or "(no name)"


ENTRIES: dict[type, Callable[[Any], Entry]] = {
    Customer.Created: lambda e: Entry("customer", e.customer_id, "created", f"Customer created: {e.customer_name}"),
    Customer.Updated: lambda e: Entry("customer", e.customer_id, "updated", f"Customer changed: {_fields(e.changes)}"),
    Customer.StatusChanged: lambda e: Entry(
        "customer", e.customer_id, "status_changed", f"Customer status {e.from_status} -> {e.to_status}"
    ),
    Contact.Added: lambda e: Entry("contact", e.contact_id, "added", f"Contact added: {_contact_name(e.fields)}"),
    Contact.Updated: lambda e: Entry("contact", e.contact_id, "updated", f"Contact changed: {_fields(e.changes)}"),
    Contact.Removed: lambda e: Entry("contact", e.contact_id, "removed", f"Contact {e.contact_id} removed"),
    Site.Added: lambda e: Entry("site", e.site_id, "added", f"Site added: {e.fields.get('site_name') or e.site_id}"),
    Site.Updated: lambda e: Entry("site", e.site_id, "updated", f"Site changed: {_fields(e.changes)}"),
    Site.Removed: lambda e: Entry("site", e.site_id, "removed", f"Site {e.site_id} removed"),
    Service.Created: lambda e: Entry(
        "service",
        e.service_id,
        "created",
        f"Service created: {e.fields['service_name']} ({e.fields['service_uuid']}), {e.service_status}",
    ),
    Service.Updated: lambda e: Entry("service", e.service_id, "updated", f"Service changed: {_fields(e.changes)}"),
    Service.StatusChanged: lambda e: Entry(
        "service", e.service_id, "status_changed", f"Service status {e.from_status} -> {e.to_status}"
    ),
    Service.Deleted: lambda e: Entry("service", e.service_id, "deleted", f"Service {e.service_uuid} deleted"),
    Attribute.Set: lambda e: Entry(
        "attribute", e.attribute_id, "set", f"Attribute {e.attribute_name} set to {e.attribute_value!r}"
    ),
    Attribute.ValueChanged: lambda e: Entry(
        "attribute",
        e.attribute_id,
        "value_changed",
        f"Attribute {e.attribute_name}: {e.old_value!r} -> {e.new_value!r}",
    ),
    Attribute.Removed: lambda e: Entry("attribute", e.attribute_id, "removed", f"Attribute {e.attribute_name} removed"),
    Tag.Added: lambda e: Entry("tag", e.tag_id, "added", f"Tag added: {e.fields['tag_text']}"),
    Tag.Updated: lambda e: Entry("tag", e.tag_id, "updated", f"Tag changed: {_fields(e.changes)}"),
    Tag.Removed: lambda e: Entry("tag", e.tag_id, "removed", f"Tag {e.tag_id} removed"),
    Note.Added: lambda e: Entry("note", str(e.originator_id), "note_added", "Note added", note=e.note),  # as the route
    Customer.NotificationPreferencesChanged: lambda e: Entry(
        "customer", e.customer_id, "preferences_changed", f"Notification preferences: {_preferences(e.preferences)}"
    ),
    Service.ExpiringDetected: lambda e: Entry(
        "service",
        e.service_id,
        "expiring",
        f"Service {e.service_uuid} expires {e.service_deactivate_date:%Y-%m-%d} ({e.threshold_days}-day reminder)",
    ),
    Communication.Requested: lambda e: Entry(
        "communication",
        e.communication_id,
        "requested",
        f"{_medium(e.channel)} {e.template_key or 'message'} to {e.to} requested",
    ),
    Communication.Sent: lambda e: Entry(
        "communication", e.communication_id, "sent", f"Communication {e.communication_id} sent"
    ),
    Communication.AttemptFailed: lambda e: Entry(
        "communication",
        e.communication_id,
        "attempt_failed",
        f"Communication {e.communication_id}: attempt {e.attempt} failed ({e.error}); next {e.retry_at:%Y-%m-%d %H:%M}",
    ),
    Communication.Failed: lambda e: Entry(
        "communication", e.communication_id, "failed", f"Communication {e.communication_id} failed: {e.error}"
    ),
    Communication.RetryRequested: lambda e: Entry(
        "communication", e.communication_id, "retry_requested", f"Communication {e.communication_id} to be sent again"
    ),
}
# Not logged: Service.Deactivated, ExpiryExtended and VisibilityChanged repeat what StatusChanged and Updated say.


class ActivityLogProjection(Projection):
    name = "activity_log"
    tables = (activity,)
    topics = topics_of(*ENTRIES)

    def apply(self, event: Any, rows: Rows) -> None:
        describe = ENTRIES.get(type(event))
        if describe is None or event.customer_id is None:  # a communication to no customer (a user's) is not logged
            return
        row = entry_row(
            activity_id=str(event_id(event.originator_id, event.originator_version)),
            customer_id=event.customer_id,
            at=event.timestamp,
            source="customers",
            actor=event_meta(event).get("actor") or {},
            entry=describe(event),
        )
        rows(activity).put(row)
