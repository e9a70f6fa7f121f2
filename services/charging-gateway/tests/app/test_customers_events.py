"""What the gateway learns from customers' events (charging.md §9): the service behind each account, suspension, and
the check that a deleted service left no OCS account behind."""

import json
from datetime import UTC, datetime

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
