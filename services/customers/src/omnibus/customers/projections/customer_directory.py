"""The customer directory read model: customers, contacts and sites as rows for lists and lookups."""

from functools import singledispatchmethod
from typing import Any

from omnibus.customers.domain import ALL_EVENTS, Contact, Customer, Site
from omnibus.customers.readmodel.tables import contacts, customers, sites
from omnibus.platform.eventstore import topics_of
from omnibus.platform.projections import Projection
from omnibus.platform.readmodels import Rows


class CustomerDirectoryProjection(Projection):
    name = "customer_directory"
    tables = (customers, contacts, sites)
    topics = topics_of(*ALL_EVENTS)

    @singledispatchmethod
    def apply(self, event: Any, rows: Rows) -> None:
        """Events of other kinds do not change the directory."""

    @apply.register
    def _(self, e: Customer.Created, rows: Rows) -> None:
        rows(customers).put(
            {
                "customer_id": e.customer_id,
                "customer_name": e.customer_name,
                "customer_account_type": e.customer_account_type,
                "customer_status": e.customer_status,
                "customer_payment_type": e.customer_payment_type,
                "customer_enabled": e.customer_enabled,
                "tax_identifier": e.tax_identifier,
                "contract_start_date": e.contract_start_date,
                "contract_end_date": e.contract_end_date,
                "created": e.timestamp,
                "last_modified": e.timestamp,
            }
        )

    @apply.register
    def _(self, e: Customer.Updated, rows: Rows) -> None:
        rows(customers).update(e.customer_id, **e.changes, last_modified=e.timestamp)

    @apply.register
    def _(self, e: Customer.StatusChanged, rows: Rows) -> None:
        rows(customers).update(e.customer_id, customer_status=e.to_status, last_modified=e.timestamp)

    @apply.register
    def _(self, e: Contact.Added, rows: Rows) -> None:
        fields = {"contact_types": [], **e.fields}
        rows(contacts).put(
            {
                "contact_id": e.contact_id,
                "customer_id": e.customer_id,
                **fields,
                "created": e.timestamp,
                "last_modified": e.timestamp,
            }
        )

    @apply.register
    def _(self, e: Contact.Updated, rows: Rows) -> None:
        rows(contacts).update(e.contact_id, **e.changes, last_modified=e.timestamp)

    @apply.register
    def _(self, e: Contact.Removed, rows: Rows) -> None:
        rows(contacts).delete(e.contact_id)

    @apply.register
    def _(self, e: Site.Added, rows: Rows) -> None:
        fields = _site_columns(e.fields)
        rows(sites).put(
            {
                "site_id": e.site_id,
                "customer_id": e.customer_id,
                **fields,
                "created": e.timestamp,
                "last_modified": e.timestamp,
            }
        )

    @apply.register
    def _(self, e: Site.Updated, rows: Rows) -> None:
        rows(sites).update(e.site_id, **_site_columns(e.changes), last_modified=e.timestamp)

    @apply.register
    def _(self, e: Site.Removed, rows: Rows) -> None:
        rows(sites).delete(e.site_id)


def _site_columns(fields: dict[str, Any]) -> dict[str, Any]:
    """Coordinates are exact decimals in events and strings in rows (D42)."""
    return {k: (str(v) if k in ("latitude", "longitude") and v is not None else v) for k, v in fields.items()}
