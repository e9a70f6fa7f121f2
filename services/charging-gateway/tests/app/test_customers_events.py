"""What the gateway learns from other contexts' events (charging.md §9, D85): the service behind each account,
suspension, the check that a deleted service left no OCS account behind, and the inventory that tells ``/oam/usage``
who is calling."""

import json
from datetime import UTC, datetime

from omnibus.charging_gateway.integration.inventory_directory import address_slots
from omnibus.contracts.catalog import (
    InventoryItemAssigned,
    InventoryItemCreated,
    InventoryItemReleased,
    InventoryTemplateDefined,
)
from omnibus.contracts.customers import ServiceCreated, ServiceDeleted, ServiceStatusChanged
from omnibus.testing.helpers import eventually

T = "cgrates.org"


def payload(message):
    return json.loads(message.body)


def service_created(gateway, service_id, service_uuid, customer_id=9):
    gateway.deliver(
        ServiceCreated(
            service_id=service_id,
            customer_id=customer_id,
            service_uuid=service_uuid,
            service_status="Active",
            service_type="mobile",
            created=datetime.now(UTC),
        )
    )
    eventually(lambda: _known(gateway, service_uuid, service_id))


def _known(gateway, service_uuid, service_id):
    assert gateway.app.service_id_of(service_uuid) == service_id


def deleted(service_id, service_uuid, customer_id=9):
    return ServiceDeleted(service_id=service_id, customer_id=customer_id, service_uuid=service_uuid)


def test_balance_signals_and_plan_removals_carry_the_service_id_learnt_from_service_created(gateway):
    service_created(gateway, 12, "SVC_1")
    gateway.new_account("SVC_1")
    gateway.topup("SVC_1", "k1", value=1000, rearm_triggers=False)
    gateway.post(
        "/crm/ocs/account/service_uuid/SVC_1/triggers", json={"kind": "low", "balance_type": "*data", "threshold": 100}
    )
    gateway.new_account("SVC_2")  # customers has not told about this one
    gateway.post("/crm/ocs/notify", json={"account": "SVC_2", "event": "out", "balance_type": "*monetary", "value": 0})

    gateway.post("/crm/ocs/account/service_uuid/SVC_1/usage", json={"origin_id": "u1", "tor": "*data", "usage": 950})

    [low] = gateway.published("BalanceLow")
    [depleted] = gateway.published("BalanceDepleted")
    assert (payload(low)["service_uuid"], payload(low)["service_id"]) == ("SVC_1", 12)
    assert payload(depleted)["service_id"] is None


def test_a_suspended_service_disables_its_account_and_resuming_enables_it(gateway):
    gateway.new_account("SVC_1")

    def status(from_status, to_status):
        gateway.deliver(
            ServiceStatusChanged(
                service_id=12, customer_id=9, service_uuid="SVC_1", from_status=from_status, to_status=to_status
            )
        )

    status("Active", "Suspended")
    eventually(lambda: _disabled(gateway, True))
    status("Suspended", "Active")
    eventually(lambda: _disabled(gateway, False))

    assert gateway.names()[-2:] == ["OcsAccountDisabled", "OcsAccountEnabled"]


def _disabled(gateway, expected):
    assert gateway.emulator.account("SVC_1")["Disabled"] is expected


def test_a_deleted_service_whose_account_the_play_removed_is_recorded_removed(gateway):
    service_created(gateway, 12, "SVC_1")
    gateway.new_account("SVC_1")
    gateway.emulator.ok("ApierV1.RemoveAccount", {"Tenant": T, "Account": "SVC_1"})  # the rollback play, directly

    gateway.deliver(deleted(12, "SVC_1"))

    removed = eventually(lambda: _one(gateway.published("OcsAccountRemoved")))
    assert payload(removed)["service_uuid"] == "SVC_1"
    assert gateway.published("OcsAccountLeftBehind") == []


def test_a_deleted_service_whose_account_is_still_in_cgrates_raises_one_alert(gateway):
    gateway.new_account("SVC_1")
    gateway.topup("SVC_1", "k1", value=1000)
    gateway.new_account("SVC_2")

    gateway.deliver(deleted(12, "SVC_1"))
    gateway.deliver(deleted(12, "SVC_1"))  # redelivered by the bus (a new position): still one alert
    gateway.deliver(deleted(13, "SVC_2"))

    alerts = eventually(lambda: _n(gateway.published("OcsAccountLeftBehind"), 2))
    assert [(payload(a)["service_uuid"], payload(a)["service_id"], payload(a)["balance_types"]) for a in alerts] == [
        ("SVC_1", 12, ["*data"]),
        ("SVC_2", 13, []),
    ]
    assert gateway.emulator.account("SVC_1")["BalanceMap"]["*data"][0]["Value"] == 1000  # kept: removal is the play's


def test_a_deleted_service_that_never_had_an_account_records_nothing(gateway):
    gateway.new_account("SVC_1")

    gateway.deliver(deleted(14, "Never_1"))
    gateway.deliver(deleted(12, "SVC_1"))

    eventually(lambda: _one(gateway.published("OcsAccountLeftBehind")))
    assert [payload(a)["service_uuid"] for a in gateway.published("OcsAccountLeftBehind")] == ["SVC_1"]
    assert gateway.published("OcsAccountRemoved") == []


def _one(items):
    return _n(items, 1)[0]


def _n(items, n):
    assert len(items) == n, items
    return items


def catalog(gateway, *events):
    for e in events:
        gateway.deliver(e)


def template(template_id, item, slots=None):
    """``slots``: {slot number: (label, key or None)}."""
    slots = slots or {}
    labels = {f"itemtext{n}_label": label for n, (label, _) in slots.items()}
    keys = {f"itemtext{n}_key": key for n, (_, key) in slots.items() if key}
    return InventoryTemplateDefined(
        inventory_template_id=template_id, item=item, labels=labels, keys=keys, wholesale_cost=0, retail_cost=0
    )


def item(inventory_id, template_id, name, itemtext1, itemtext2=None):
    return InventoryItemCreated(
        inventory_id=inventory_id,
        inventory_template_id=template_id,
        item=name,
        itemtext1=itemtext1,
        itemtext2=itemtext2,
        item_state="In Stock",
        wholesale_cost=0,
        retail_cost=0,
    )


def assigned(inventory_id, name, service_id):
    return InventoryItemAssigned(
        inventory_id=inventory_id,
        item=name,
        customer_id=9,
        service_id=service_id,
        sold_date=datetime.now(UTC),
        retail_cost=0,
    )


def usage(gateway):
    response = gateway.get("/oam/usage", headers={})
    return response.status_code, response.json()


def test_the_usage_view_finds_the_callers_service_from_catalogs_inventory_d85(gateway):
    gateway.deliver(
        ServiceCreated(
            service_id=12,
            customer_id=9,
            service_uuid="SVC_1",
            service_name="Mobile - 0412345678",
            service_status="Active",
            created=datetime.now(UTC),
        )
    )
    gateway.new_account("SVC_1")
    gateway.topup("SVC_1", "k1", value=1024, balance_id="DATA_1GB", expiry="+240h")
    catalog(
        gateway,
        template(5, "SIM Card", {1: ("ICCID", "iccid"), 2: ("IMSI", "imsi")}),
        template(7, "IPv4 Address"),
        template(8, "Modem Router", {1: ("MAC", None)}),
        item(501, 5, "SIM Card", "8944000000000000501", "310120123456789"),
        item(701, 7, "IPv4 Address", "127.0.0.1"),
        item(801, 8, "Modem Router", "127.0.0.1"),  # not an address slot
        assigned(801, "Modem Router", 12),
    )
    before = eventually(lambda: _status(usage(gateway), 404))

    catalog(gateway, assigned(501, "SIM Card", 12), assigned(701, "IPv4 Address", 12))
    found = eventually(lambda: _status(usage(gateway), 200))[1]
    gateway.deliver(
        ServiceStatusChanged(
            service_id=12, customer_id=9, service_uuid="SVC_1", **{"from": "Active", "to": "Suspended"}
        )
    )
    suspended = eventually(lambda: _label(usage(gateway), "Suspended"))
    gateway.deliver(
        InventoryItemReleased(inventory_id=701, from_customer_id=9, from_service_id=12, new_state="In Stock")
    )
    released = eventually(lambda: _status(usage(gateway), 404))

    assert before[1]["message"] == "Service not detected for this address"
    assert found["imsi"] == "310120123456789" and found["requestingIp"] == "127.0.0.1"
    assert found["service"] == {
        "service_uuid": "SVC_1",
        "service_name": "Mobile - 0412345678",
        "service_status": "Active",
    }
    assert found["balance"]["expiry"] == "2026-01-25T10:00:00Z"
    assert suspended["service"]["service_status"] == "Suspended"
    assert released[0] == 404


def _status(answer, status):
    assert answer[0] == status, answer
    return answer


def _label(answer, status):
    assert answer[0] == 200 and answer[1]["service"]["service_status"] == status, answer
    return answer[1]


def test_address_slots_are_found_by_key_label_or_type():
    assert address_slots("SIM Card", {}, {"itemtext2_key": "imsi"}) == (2, None)
    assert address_slots("eSIM", {"itemtext4_label": "IMSI"}, {}) == (4, None)
    assert address_slots("SIM Card", {}, {}) == (2, None)
    assert address_slots("Static IP Address", {}, {}) == (None, 1)
    assert address_slots("Fixed Wireless CPE", {"itemtext6_label": "IPv4 address"}, {}) == (None, 6)
    assert address_slots("IPv6 Prefix", {}, {}) == (None, None)
    assert address_slots("Modem Router", {"itemtext1_label": "MAC"}, {}) == (None, None)
