"""Benchmark data: a CustomersApp on a given database, and fast recording of many customers' events.

Aggregates are built directly (ids from a counter, not the id sequences) and saved many per transaction, each
batch inside a command context like an HTTP request's, so events carry realistic metadata.
"""

import time
import uuid
from collections.abc import Callable
from typing import Any

from omnibus.contracts import Actor
from omnibus.customers.api.schemas import ContactFields, SiteFields
from omnibus.customers.application import CustomersApp
from omnibus.customers.domain import Contact, Customer, Site
from omnibus.platform.context import CommandContext, command_context
from omnibus.platform.eventstore import aggregate_uuid, eventstore_env
from omnibus.platform.settings import ServiceSettings

CONTACT = ContactFields(
    contact_firstname="Jo",
    contact_lastname="Bloggs",
    contact_email="jo@acme.example",
    contact_phone="+61 2 5550 1234",
    contact_types=["primary", "billing"],
).model_dump()
SITE = SiteFields(
    site_name="Head office",
    address_line_1="1 Main Street",
    city="Sydney",
    state="NSW",
    zip_code="2000",
    country="Australia",
).model_dump()


def settings(url: str, amqp_url: str = "memory://") -> ServiceSettings:
    return ServiceSettings(database_url=url, amqp_url=amqp_url).for_service("customers")


def customers_app(url: str) -> CustomersApp:
    return CustomersApp(env=eventstore_env(settings(url), CustomersApp.name))


def request_context() -> CommandContext:
    request_id = uuid.uuid4().hex
    actor = Actor(user_id=1, auth_method="jwt", client_ip="127.0.0.1")
    return CommandContext(actor=actor, correlation_id=request_id, causation_id=request_id)


def customer_fields(i: int) -> dict[str, Any]:
    return {
        "customer_name": f"Acme Networks {i} Pty Ltd",
        "customer_account_type": "Business",
        "customer_status": "Open",
        "customer_payment_type": "postpaid",
        "customer_enabled": True,
        "tax_identifier": None,
        "contract_start_date": None,
        "contract_end_date": None,
    }


def new_aggregates(i: int, full: bool) -> list[Any]:
    """Customer ``i``: just created (1 event), or (full) created, updated, with a contact and a site (4 events)."""
    customer = Customer(id=aggregate_uuid("customer", i), customer_id=i, **customer_fields(i))
    if not full:
        return [customer]
    customer.update({"tax_identifier": f"ABN {i:011d}"})
    contact = Contact(id=aggregate_uuid("contact", i), contact_id=i, customer_id=i, fields=dict(CONTACT))
    site = Site(id=aggregate_uuid("site", i), site_id=i, customer_id=i, fields=dict(SITE))
    return [customer, contact, site]


def record_customers(
    app: CustomersApp,
    first: int,
    count: int,
    *,
    full: bool,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Record customers ``first .. first+count-1``, ``batch`` customers per transaction."""
    for start in range(first, first + count, batch):
        aggregates = [a for i in range(start, min(start + batch, first + count)) for a in new_aggregates(i, full)]
        with command_context(request_context()):
            app.save(*aggregates)
        if progress is not None:
            progress(start + batch - first)


def analyze(url: str) -> None:
    """Refresh the event table's planner statistics, as autovacuum would after a bulk load (it is off on some
    dev servers). Without them, PostgreSQL plans the topic-filtered notification query as a scan and sort of the
    whole rest of the log for every batch (see README.md, "Findings")."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE eventstore.customers_events")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value
