"""Replay and rebuild over 1,000,000 recorded events while writers keep writing: nothing lost, nothing doubled.

The store holds 250,000 customers recorded in bulk (created, updated, with a contact and a site: 4 events each).
Writers create more customers through the application during both operations. The replay must deliver every
published event up to the head it started from, once (positions and event ids compared as sets and checksums);
the rebuilt directory must hold exactly the customers the store explains, bulk and concurrent alike.
"""

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from uuid import uuid4

import aio_pika
import pytest
from sqlalchemy import select

from omnibus.customers.domain import Contact, Customer, Site
from omnibus.customers.readmodel.tables import contacts as contact_rows
from omnibus.customers.readmodel.tables import customers as customer_rows
from omnibus.customers.readmodel.tables import sites as site_rows
from omnibus.platform.cli import main
from omnibus.platform.eventstore import aggregate_uuid, event_id
from omnibus.platform.projections import rebuild
from omnibus.platform.runtime import build_services
from omnibus.platform.settings import ServiceSettings

pytestmark = [pytest.mark.integration, pytest.mark.long, pytest.mark.timeout(1800)]

EVENTS = int(os.environ.get("OMNIBUS_SCALE_EVENTS", "1000000"))
CUSTOMERS = EVENTS // 4
FIRST_BULK_ID = 10_000_000  # far from the ids the live writers allocate
CUSTOMER = {
    "customer_account_type": "Business",
    "customer_status": "Open",
    "customer_payment_type": "postpaid",
    "customer_enabled": True,
    "tax_identifier": None,
    "contract_start_date": None,
    "contract_end_date": None,
}
CONTACT = {"contact_firstname": "Jo", "contact_lastname": "Bloggs", "contact_email": "jo@acme.example"}
SITE = {"site_name": "Head office", "address_line_1": "1 Main Street", "city": "Sydney", "country": "Australia"}


def record_bulk(app: Any) -> None:
    for start in range(0, CUSTOMERS, 1000):
        aggregates: list[Any] = []
        for n in range(start, min(start + 1000, CUSTOMERS)):
            i = FIRST_BULK_ID + n
            customer = Customer(id=aggregate_uuid("customer", i), customer_id=i, customer_name=f"Bulk {i}", **CUSTOMER)
            customer.update({"tax_identifier": f"ABN {i}"})
            contact = Contact(id=aggregate_uuid("contact", i), contact_id=i, customer_id=i, fields=dict(CONTACT))
            site = Site(id=aggregate_uuid("site", i), site_id=i, customer_id=i, fields=dict(SITE))
            aggregates += [customer, contact, site]
        app.save(*aggregates)


WRITER = r"""
import signal, sys, time
from omnibus.platform.runtime import build_services
from omnibus.platform.settings import ServiceSettings

CUSTOMER = {customer!r}
stopping = []
signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
_, (runtime,) = build_services(ServiceSettings(database_url=sys.argv[1]), ["customers"])
with open(sys.argv[2], "w") as out:
    count = 0
    while not stopping:
        name = f"Live {{sys.argv[3]}}-{{count}}"
        customer, _, _ = runtime.app.create_customer({{**CUSTOMER, "customer_name": name}}, [], [])
        out.write(f"{{customer.customer_id}}\t{{name}}\n")
        out.flush()
        count += 1
        time.sleep(0.01)
"""


class Writers:
    """Two processes creating customers while the operation runs, as the service's API would: separate
    processes, so they do not share the operation's interpreter lock. Remembers what they created."""

    def __init__(self, database_url: str, folder: Path) -> None:
        script = WRITER.format(customer=CUSTOMER)
        self._outputs = [folder / f"writer-{uuid4().hex[:6]}.tsv" for _ in range(2)]
        self._commands = [
            [sys.executable, "-c", script, database_url, str(out), str(n)] for n, out in enumerate(self._outputs)
        ]
        self._processes: list[subprocess.Popen[bytes]] = []
        self.created: list[tuple[int, str]] = []

    def __enter__(self) -> "Writers":
        self._processes = [subprocess.Popen(command) for command in self._commands]
        return self

    def __exit__(self, *_: object) -> None:
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            assert process.wait(timeout=60) == 0, "a writer failed"
        for out in self._outputs:
            for line in out.read_text().splitlines():
                customer_id, name = line.split("\t")
                self.created.append((int(customer_id), name))


async def drain(url: str, queue: str) -> tuple[list[int], list[str]]:
    """Every message in ``queue``: its position header and message id."""
    positions: list[int] = []
    ids: list[str] = []
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=5000)
        declared = await channel.declare_queue(queue, passive=True)
        expected = declared.declaration_result.message_count or 0
        done = asyncio.Event()

        async def take(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            positions.append(int(message.headers["position"]))  # type: ignore[arg-type]
            ids.append(message.message_id or "")
            if len(positions) >= expected:
                done.set()

        await declared.consume(take, no_ack=True)
        if expected:
            await asyncio.wait_for(done.wait(), timeout=600)
    return positions, ids


def test_replay_and_rebuild_of_a_million_events_with_concurrent_writers(
    fresh_database: str, fresh_vhost: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OMNIBUS_DATABASE_URL", fresh_database)
    monkeypatch.setenv("OMNIBUS_AMQP_URL", fresh_vhost)
    _, (runtime,) = build_services(ServiceSettings(), ["customers"])
    app = runtime.app
    record_bulk(app)
    assert app.max_notification_id() == EVENTS

    with Writers(fresh_database, tmp_path) as during_replay:
        started = time.monotonic()
        assert main(["events", "replay", "customers", "--queue", "scale.replay"]) == 0
        replay_seconds = time.monotonic() - started
    positions, message_ids = asyncio.run(drain(fresh_vhost, "scale.replay"))

    published = set(runtime.parts.outbound.topics)
    head = max(positions)
    with runtime.engine.connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT notification_id, originator_id, originator_version, topic FROM eventstore.customers_events "
            f"WHERE notification_id <= {head} ORDER BY notification_id"
        ).all()
    expected = [(r[0], str(event_id(r[1], r[2]))) for r in stored if r[3] in published]
    assert len(positions) == len(set(positions)) == len(expected) >= EVENTS  # every event once, none skipped
    assert sorted(positions) == [p for p, _ in expected]
    assert sum(hash(i) for i in message_ids) == sum(hash(i) for _, i in expected)
    assert during_replay.created, "the writers ran during the replay"

    projection = runtime.runners["customer_directory"].projection
    with Writers(fresh_database, tmp_path) as during_rebuild:
        started = time.monotonic()
        rebuild(app, runtime.engine, projection)
        rebuild_seconds = time.monotonic() - started
    runtime.runners["customer_directory"].catch_up()  # what was written after the switch

    with runtime.engine.connect() as conn:
        names = dict(conn.execute(select(customer_rows.c.customer_id, customer_rows.c.customer_name)).all())
        contacts = conn.execute(select(contact_rows.c.contact_id)).all()
        sites = conn.execute(select(site_rows.c.site_id)).all()
    live = during_replay.created + during_rebuild.created
    assert names == {**{FIRST_BULK_ID + n: f"Bulk {FIRST_BULK_ID + n}" for n in range(CUSTOMERS)}, **dict(live)}
    assert len(contacts) == len(sites) == CUSTOMERS  # the live writers create customers only
    replay_rate, rebuild_rate = len(positions) / replay_seconds, app.max_notification_id() / rebuild_seconds
    print(f"\nreplay {replay_rate:,.0f} events/s; rebuild {rebuild_rate:,.0f} events/s")
