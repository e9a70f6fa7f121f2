"""The activity log across contexts (customers.md §2.7, §9; D49): billing, charging, provisioning, catalog and identity
events in the customer's log with who, when and how; and the feed replayed from zero gives the same entries."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from omnibus.contracts import Actor
from omnibus.contracts import billing as b
from omnibus.contracts import catalog as ca
from omnibus.contracts import charging as ch
from omnibus.contracts import identity as i
from omnibus.contracts import provisioning as p
from omnibus.customers.integration.activity_feed import ActivityFeed
from omnibus.customers.readmodel.tables import activity_feed
from omnibus.platform.consumers import reset_bus_projection
from omnibus.testing.helpers import eventually

STAFF = Actor(user_id=3, auth_method="jwt", client_ip="192.0.2.10")
KEY = Actor(api_key_id="Provisioning automation system", auth_method="api_key")


def log_of(api, customer_id: int, **filters: list[Any]) -> list[dict[str, Any]]:
    params = {"per_page": 100, **({"filters": json.dumps(filters)} if filters else {})}
    response = api.get(f"/crm/activity/customer_id/{customer_id}", params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def foreign(api, customer_id: int, count: int) -> list[dict[str, Any]]:
    """The customer's entries from other contexts, once there are ``count``."""

    def enough() -> list[dict[str, Any]]:
        found = [e for e in log_of(api, customer_id) if e["source"] != "customers"]
        assert len(found) >= count, found
        return found

    return eventually(enough)


def the_events(customer_id: int, service: dict[str, Any]) -> list[Any]:
    uuid = service["service_uuid"]
    return [
        b.TransactionRecorded(
            transaction_id=5,
            customer_id=customer_id,
            title="Setup",
            retail_cost=Decimal("10.00"),
            wholesale_cost=Decimal("1.00"),
            tax_percentage="10",
            tax_amount=Decimal("1.00"),
            transaction_type="charge",
            source="provisioning",
            currency="gbp",
            created=datetime(2026, 1, 5, tzinfo=UTC),
        ),  # fmt: skip
        b.InvoicePaid(
            invoice_id=77,
            customer_id=customer_id,
            payment_id=1,
            method="stripe",
            amount=Decimal("44.00"),
            currency="gbp",
            paid_date=date(2026, 2, 2),
            channel="self_care",
        ),  # fmt: skip
        ch.OcsAccountDisabled(service_uuid=uuid, reason="service suspended"),
        ch.ActionPlanRemoved(service_uuid=uuid, service_id=service["service_id"], action_plan_id="AP_1"),
        p.ProvisionFailed(provision_id=12, customer_id=customer_id, failed_task="Create OCS account", error="timeout"),
        ca.InventoryItemAssigned(
            inventory_id=5001,
            item="SIM Card",
            customer_id=customer_id,
            service_id=service["service_id"],
            sold_date=datetime(2026, 1, 5, tzinfo=UTC),
            retail_cost=Decimal("0.00"),
        ),  # fmt: skip
        i.UserCreated(
            user_id=40, username="jane", email="jane@acme.example", roles=["Customer"], customer_id=customer_id
        ),
        i.ImpersonationStarted(
            impersonation_id=1,
            impersonating_user_id=3,
            target_user_id=40,
            impersonation_start=datetime(2026, 1, 6, tzinfo=UTC),
        ),  # fmt: skip
        i.ImpersonationStarted(  # staff impersonating staff: in no customer's log
            impersonation_id=2,
            impersonating_user_id=3,
            target_user_id=41,
            impersonation_start=datetime(2026, 1, 6, tzinfo=UTC),
        ),  # fmt: skip
    ]


def test_every_context_writes_to_the_customers_log_with_its_actor(api):
    customer_id = api.new_customer()["customer_id"]
    service = api.new_service(customer_id)

    for event in the_events(customer_id, service):
        api.deliver(event, actor=KEY if isinstance(event, b.TransactionRecorded) else STAFF)

    entries = foreign(api, customer_id, 8)
    by_action = {(e["source"], e["entity_type"], e["action"]): e for e in entries}
    assert set(by_action) == {
        ("billing", "transaction", "recorded"),
        ("billing", "invoice", "paid"),
        ("charging", "ocs_account", "disabled"),
        ("charging", "action_plan", "removed"),
        ("provisioning", "provision", "failed"),
        ("catalog", "inventory", "assigned"),
        ("identity", "user", "created"),
        ("identity", "user", "impersonation_started"),
    }
    charge = by_action[("billing", "transaction", "recorded")]
    assert (charge["channel"], charge["api_key_id"], charge["summary"]) == (
        "api_key", "Provisioning automation system", "Charge Setup: 10.00 GBP",
    )  # fmt: skip
    failed = by_action[("provisioning", "provision", "failed")]
    assert (failed["actor_user_id"], failed["client_ip"], failed["entity_id"]) == (3, "192.0.2.10", "12")
    assert failed["summary"] == "Provision 12 failed at Create OCS account: timeout"


def test_the_log_is_filtered_by_source_and_paged_across_both_halves(api):
    customer_id = api.new_customer()["customer_id"]
    service = api.new_service(customer_id)
    for event in the_events(customer_id, service)[:4]:
        api.deliver(event)
    foreign(api, customer_id, 4)

    billing = log_of(api, customer_id, source=["billing"])
    page = api.get(f"/crm/activity/customer_id/{customer_id}", params={"per_page": 3, "page": 2}).json()

    assert [e["entity_type"] for e in billing] == ["invoice", "transaction"]
    assert page["pagination"]["total_items"] == 6 and len(page["data"]) == 3  # 2 own entries + 4 others


def test_a_charging_event_for_a_service_not_known_yet_is_applied_once_the_service_is(api):
    customer_id = api.new_customer()["customer_id"]
    early = ch.OcsAccountCreated(service_uuid="Mobile_later01", tenant="t", allow_negative=False, disabled=False)

    api.deliver(early)
    api.new_service(customer_id, service_uuid="Mobile_later01")

    (entry,) = foreign(api, customer_id, 1)  # after the first retry (1 s)
    assert entry["summary"] == "OCS account Mobile_later01 created"


def test_replaying_the_feed_from_zero_gives_the_same_entries(api):
    customer_id = api.new_customer()["customer_id"]
    service = api.new_service(customer_id)
    messages = [api.deliver(event, actor=STAFF) for event in the_events(customer_id, service)]
    foreign(api, customer_id, 8)
    engine = api.runtime.engine
    live = _feed(engine)
    projection = next(p for p in api.runtime.parts.bus_projections if isinstance(p, ActivityFeed))

    queues = reset_bus_projection(engine, "customers", projection)
    emptied = _feed(engine)
    api.publish(*messages)  # the sources' streams, replayed (same event ids and positions)

    assert emptied == [] and "customers.from.identity" in queues
    assert eventually(lambda: _same(engine, live)) == live


def _feed(engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(activity_feed).order_by(activity_feed.c.activity_id)).mappings()
        return [dict(r) for r in rows]


def _same(engine, live: list[dict[str, Any]]) -> list[dict[str, Any]]:
    replayed = _feed(engine)
    assert replayed == live
    return replayed


def test_a_self_care_user_sees_the_other_contexts_entries_of_its_own_log_only(api):
    mine, other = api.new_customer()["customer_id"], api.new_customer()["customer_id"]
    api.deliver(p.ProvisionSucceeded(provision_id=1, customer_id=mine))
    api.deliver(p.ProvisionSucceeded(provision_id=2, customer_id=other))
    foreign(api, mine, 1)
    me = api.auth("view_own_customer_activity", customer_id=mine)

    response = api.get(f"/crm/activity/customer_id/{mine}", headers=me).json()["data"]

    assert [e["entity_id"] for e in response if e["source"] == "provisioning"] == ["1"]
    assert api.get(f"/crm/activity/customer_id/{other}", headers=me).status_code == 404


def test_a_self_care_user_of_a_contact_binds_the_contact(api, a_contact):
    customer = api.new_customer(contact=a_contact())
    other = api.new_customer(contact=a_contact())
    contact_id = customer["contacts"][0]["contact_id"]

    api.deliver(i.UserCreated(user_id=50, username="jo", email="jo@x.example", roles=["Customer"],
                              customer_id=customer["customer_id"], contact_id=contact_id))  # fmt: skip
    api.deliver(i.UserCreated(user_id=51, username="eve", email="eve@x.example", roles=["Customer"],
                              customer_id=other["customer_id"], contact_id=contact_id))  # fmt: skip

    def bound() -> None:
        (contact,) = api.get(f"/crm/contact/customer_id/{customer['customer_id']}").json()
        assert contact["user_id"] == 50

    eventually(bound)
    foreign(api, other["customer_id"], 1)  # eve's user was seen (and her claim on jo's contact ignored)
    eventually(bound)
