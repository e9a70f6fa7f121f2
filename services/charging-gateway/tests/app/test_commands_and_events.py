"""The gateway's commands against the emulator over HTTP, and the events they publish (charging.md §8)."""

import json
from concurrent.futures import ThreadPoolExecutor

from omnibus.testing.helpers import eventually

GIB = 1024**3


def payload(message):
    return json.loads(message.body)


def test_creating_an_account_creates_it_in_cgrates_and_publishes_ocs_account_created(gateway_on_each_store):
    gw = gateway_on_each_store

    body = gw.new_account("Mobile_SIM_c2880638", allow_negative=False)

    assert body["service_uuid"] == "Mobile_SIM_c2880638" and body["disabled"] is False
    assert gw.emulator.account("Mobile_SIM_c2880638")["ID"] == "cgrates.org:Mobile_SIM_c2880638"
    [created] = gw.published("OcsAccountCreated")
    assert payload(created) == {
        "service_uuid": "Mobile_SIM_c2880638",
        "service_id": None,
        "tenant": "cgrates.org",
        "allow_negative": False,
        "disabled": False,
    }


def test_disable_enable_and_remove_publish_their_events_and_change_cgrates(gateway):
    gateway.new_account("SVC_1")

    gateway.post("/crm/ocs/account/service_uuid/SVC_1/disable", json={"reason": "Suspended"})
    disabled = gateway.emulator.account("SVC_1")["Disabled"]
    gateway.post("/crm/ocs/account/service_uuid/SVC_1/enable", json={"reason": "Active"})
    enabled = gateway.emulator.account("SVC_1")["Disabled"]
    removed = gateway.delete("/crm/ocs/account/service_uuid/SVC_1")

    assert (disabled, enabled) == (True, False)
    assert removed.json() == {"result": "success"}
    assert gateway.emulator.error("APIerSv2.GetAccount", {"Tenant": "cgrates.org", "Account": "SVC_1"}) == "NOT_FOUND"
    assert gateway.names() == ["OcsAccountCreated", "OcsAccountDisabled", "OcsAccountEnabled", "OcsAccountRemoved"]
    assert payload(gateway.published("OcsAccountDisabled")[0])["reason"] == "Suspended"


def test_a_top_up_adds_the_balance_and_publishes_ocs_balance_added(gateway):
    gateway.new_account("SVC_1")

    response = gateway.topup(
        "SVC_1", "pay-1", balance_type="*data", value=20 * GIB, balance_id="DATA_20GB", expiry="+720h", weight=20
    )

    assert response.status_code == 200 and response.json() == {
        "result": "success",
        "status": "applied",
        "duplicate": False,
    }
    balance = gateway.emulator.balance("SVC_1", "*data", "DATA_20GB")
    assert balance["Value"] == 20 * GIB and balance["ExpirationDate"] == "2026-02-14T10:00:00Z"
    [added] = gateway.published("OcsBalanceAdded")
    assert payload(added)["idempotency_key"] == "pay-1" and payload(added)["value"] == 20 * GIB


def test_a_duplicated_top_up_is_applied_once(gateway):
    gateway.new_account("SVC_1")

    first = gateway.topup("SVC_1", "pay-1", value=100)
    second = gateway.topup("SVC_1", "pay-1", value=100)

    assert first.json()["duplicate"] is False and second.json()["duplicate"] is True
    assert gateway.emulator.balance("SVC_1", "*data", "DATA")["Value"] == 100
    assert len(gateway.published("OcsBalanceAdded")) == 1


def test_concurrent_duplicates_of_a_top_up_are_applied_once(gateway):
    gateway.new_account("SVC_1")

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: gateway.topup("SVC_1", "pay-1", value=100), range(8)))

    assert {r.status_code for r in responses} <= {200, 409}
    assert any(r.status_code == 200 for r in responses)
    assert gateway.emulator.balance("SVC_1", "*data", "DATA")["Value"] == 100
    assert len(gateway.published("OcsBalanceAdded")) == 1


def test_reusing_a_key_for_a_different_top_up_is_refused(gateway):
    gateway.new_account("SVC_1")
    gateway.topup("SVC_1", "pay-1", value=100)

    response = gateway.topup("SVC_1", "pay-1", value=999)

    assert response.status_code == 409 and response.json()["code"] == "idempotency_key_reused"
    assert gateway.emulator.balance("SVC_1", "*data", "DATA")["Value"] == 100


def test_a_refused_top_up_releases_its_key(gateway):
    gateway.new_account("SVC_1")

    refused = gateway.topup("SVC_1", "pay-1", expiry="whenever")
    retried = gateway.topup("SVC_1", "pay-1", expiry="whenever")

    assert refused.status_code == 502 and "Unsupported time format" in refused.json()["message"]
    assert retried.status_code == 502
    assert gateway.published("OcsBalanceAdded") == []


def test_set_balance_is_absolute(gateway):
    gateway.new_account("SVC_1")
    gateway.topup("SVC_1", "k1", value=100)

    gateway.topup("SVC_1", "k2", operation="set", value=40)

    assert gateway.emulator.balance("SVC_1", "*data", "DATA")["Value"] == 40
    assert [payload(m)["operation"] for m in gateway.published("OcsBalanceAdded")] == ["add", "set"]


def test_executing_a_named_action_once_per_key(gateway):
    gateway.new_account("SVC_1")
    gateway.emulator.ok(
        "APIerSv1.SetActions",
        {
            "ActionsId": "Action_boost",
            "Actions": [
                {"Identifier": "*topup", "BalanceType": "*data", "BalanceId": "BOOST", "Units": 5 * GIB, "Weight": 10}
            ],
        },
    )
    path = "/crm/ocs/account/service_uuid/SVC_1/execute_action"

    gateway.post(path, json={"idempotency_key": "order-7", "actions_id": "Action_boost"})
    gateway.post(path, json={"idempotency_key": "order-7", "actions_id": "Action_boost"})

    assert gateway.emulator.balance("SVC_1", "*data", "BOOST")["Value"] == 5 * GIB
    [executed] = gateway.published("OcsActionExecuted")
    assert payload(executed)["actions_id"] == "Action_boost"


def test_a_low_balance_trigger_fires_once_until_re_armed(gateway):
    gateway.new_account("SVC_1")
    gateway.topup("SVC_1", "k1", value=1000, rearm_triggers=False)
    gateway.post(
        "/crm/ocs/account/service_uuid/SVC_1/triggers",
        json={"kind": "low", "balance_type": "*data", "threshold": 100, "balance_id": "DATA"},
    )

    for origin in ("u1", "u2", "u3"):  # 1000 -> 700 -> 50 (fires) -> 40 (latched)
        gateway.post(
            "/crm/ocs/account/service_uuid/SVC_1/usage",
            json={"origin_id": origin, "tor": "*data", "usage": {"u1": 300, "u2": 650, "u3": 10}[origin]},
        )
    once = eventually(lambda: _exactly(gateway.published("BalanceLow"), 1))
    gateway.emulator.advance("1m")  # a firing is named by its time: the frozen clock must move for a second one
    gateway.topup("SVC_1", "k2", value=10)  # re-arms; still below 100: fires again

    twice = eventually(lambda: _exactly(gateway.published("BalanceLow"), 2))

    assert payload(once[0])["current_balance"] == 50 and payload(once[0])["threshold"] == 100
    assert payload(once[0])["source"] == "callback"
    assert payload(twice[1])["current_balance"] == 50
    assert "OcsActionTriggersReset" in gateway.names()
    [attached] = gateway.published("OcsActionTriggersAttached")
    assert payload(attached)["group_ids"] == ["TRG_SVC_1"]


def _exactly(items, n):
    assert len(items) == n, items
    return items


def test_usage_is_posted_once_per_origin_id(gateway):
    gateway.new_account("SVC_1")
    gateway.topup("SVC_1", "k1", value=1000)
    path = "/crm/ocs/account/service_uuid/SVC_1/usage"

    first = gateway.post(path, json={"origin_id": "sess-1", "tor": "*data", "usage": 300, "destination": "web"})
    again = gateway.post(path, json={"origin_id": "sess-1", "tor": "*data", "usage": 300, "destination": "web"})

    assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
    assert gateway.emulator.balance("SVC_1", "*data", "DATA")["Value"] == 700
    [recorded] = gateway.published("UsageRecorded")
    assert payload(recorded)["usage"] == 300


def test_attaching_and_detaching_action_plans(gateway):
    gateway.new_account("SVC_1")
    gateway.emulator.ok(
        "APIerSv1.SetActions",
        {
            "ActionsId": "Action_renew",
            "Actions": [
                {"Identifier": "*topup_reset", "BalanceType": "*data", "BalanceId": "D", "Units": 100, "Weight": 10}
            ],
        },
    )
    plan_id = "ServiceID_SVC_1__ProductID_456__CustomerID_789__MonthlyRenewal"
    gateway.emulator.ok(
        "APIerSv1.SetActionPlan",
        {
            "Id": plan_id,
            "ActionPlan": [{"ActionsId": "Action_renew", "MonthDays": "1", "Time": "00:00:00", "Weight": 10}],
            "ReloadScheduler": True,
        },
    )

    attached = gateway.post("/crm/ocs/account/service_uuid/SVC_1/action_plans", json={"action_plan_ids": [plan_id]})
    detached = gateway.delete(f"/crm/ocs/account/service_uuid/SVC_1/action_plans/{plan_id}")

    assert attached.json()["action_plan_ids"] == [plan_id] and detached.status_code == 200
    [scheduled] = gateway.published("ActionPlanScheduled")
    assert payload(scheduled)["product_id"] == 456 and payload(scheduled)["customer_id"] == 789
    assert payload(scheduled)["next_exec_time"] == "2026-02-01T00:00:00Z"
    assert [payload(m)["action_plan_id"] for m in gateway.published("ActionPlanRemoved")] == [plan_id]
    assert gateway.emulator.ok("APIerSv1.GetAccountActionPlan", {"Tenant": "cgrates.org", "Account": "SVC_1"}) == []


def test_commands_on_unknown_accounts_are_404_and_bad_input_is_400(gateway):
    assert gateway.topup("Nobody_1", "k").status_code == 404
    assert gateway.put("/crm/ocs/account/", json={"service_uuid": "bad__uuid"}).status_code == 400
    assert gateway.put("/crm/ocs/account/", json={"service_uuid": "ok_1", "surprise": 1}).status_code == 400
    gateway.new_account("SVC_1")
    assert gateway.topup("SVC_1", "bad;key").status_code == 400
    assert gateway.topup("SVC_1", "k", value=-5).status_code == 400
    assert gateway.topup("SVC_1", "k", balance_type="*gold").status_code == 400
    assert gateway.emulator.account("SVC_1")["BalanceMap"] is None


def test_commands_need_the_write_permission(gateway):
    denied = gateway.put("/crm/ocs/account/", json={"service_uuid": "SVC_1"}, headers=gateway.auth("view_customer"))
    anonymous = gateway.put("/crm/ocs/account/", json={"service_uuid": "SVC_1"}, headers={})
    allowed = gateway.put(
        "/crm/ocs/account/", json={"service_uuid": "SVC_1"}, headers=gateway.auth("cgrates_api_write")
    )

    assert (denied.status_code, anonymous.status_code, allowed.status_code) == (403, 401, 200)


def test_idempotency_survives_snapshots_of_a_long_lived_account(gateway_on_each_store):
    gw = gateway_on_each_store
    gw.new_account("SVC_1")
    for i in range(40):  # 2 events each: past the snapshot interval (50)
        assert gw.topup("SVC_1", f"k{i}", value=1, rearm_triggers=False).status_code == 200

    replay = gw.topup("SVC_1", "k0", value=1, rearm_triggers=False)

    assert replay.json()["duplicate"] is True
    assert gw.emulator.balance("SVC_1", "*data", "DATA")["Value"] == 40
