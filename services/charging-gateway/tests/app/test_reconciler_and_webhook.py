"""Facts from CGRateS: the verified webhook and the reconciler that emits what callbacks missed, once."""

import json

from omnibus.testing.helpers import eventually

T = "cgrates.org"


def payload(message):
    return json.loads(message.body)


def low_balance_account(gateway, service_uuid="SVC_1"):
    gateway.new_account(service_uuid)
    gateway.topup(service_uuid, f"{service_uuid}-k1", value=1000, rearm_triggers=False)
    gateway.post(
        f"/crm/ocs/account/service_uuid/{service_uuid}/triggers",
        json={"kind": "low", "balance_type": "*data", "threshold": 100},
    )


def drain(gateway, service_uuid="SVC_1", usage=950, origin="u1"):
    response = gateway.post(
        f"/crm/ocs/account/service_uuid/{service_uuid}/usage",
        json={"origin_id": origin, "tor": "*data", "usage": usage},
    )
    assert response.status_code == 200, response.text


def reconcile(gateway):
    response = gateway.post("/crm/ocs/reconcile")
    assert response.status_code == 200, response.text
    return response.json()


def test_after_a_missed_callback_the_reconciler_emits_exactly_the_missing_events(gateway):
    low_balance_account(gateway, "SVC_1")
    low_balance_account(gateway, "SVC_2")
    gateway.emulator.ok("Emulator.SetPoster", {"Mode": "fail"})  # the CRM misses SVC_1's callback
    drain(gateway, "SVC_1")
    gateway.emulator.ok("Emulator.SetPoster", {"Mode": "deliver"})
    drain(gateway, "SVC_2")  # this one is delivered
    eventually(lambda: _count(gateway.published("BalanceLow"), 1))

    first = reconcile(gateway)
    second = reconcile(gateway)

    low = gateway.published("BalanceLow")
    assert [(payload(m)["service_uuid"], payload(m)["source"]) for m in low] == [
        ("SVC_2", "callback"),
        ("SVC_1", "reconciler"),
    ]
    assert first["signals"] == 1 and second["signals"] == 0
    failed = [d for d in gateway.emulator.ok("Emulator.Webhooks", {}) if d["Status"] == "failed"]
    assert len(failed) == 1


def test_a_late_callback_after_the_reconciler_is_not_a_duplicate(gateway):
    low_balance_account(gateway)
    gateway.emulator.ok("Emulator.SetPoster", {"Mode": "fail"})
    drain(gateway)
    reconcile(gateway)
    [missed] = [d for d in gateway.emulator.ok("Emulator.Webhooks", {}) if d["Status"] == "failed"]

    late = gateway.post("/crm/ocs/notify", params={"token": "s3cret-token"}, json=missed["Body"], headers={})

    assert late.status_code == 200 and late.json()["new_events"] == 0
    assert len(gateway.published("BalanceLow")) == 1


def _count(items, n):
    assert len(items) == n, items
    return items


def test_expired_balances_are_reported_once(gateway):
    gateway.new_account("SVC_1")
    gateway.topup("SVC_1", "k1", value=10, balance_id="WEEK", expiry="+168h")
    gateway.emulator.advance("170h")

    reconcile(gateway)
    reconcile(gateway)

    [expired] = gateway.published("BalanceExpired")
    assert payload(expired)["balance_id"] == "WEEK"
    assert payload(expired)["expiry_date"] == "2026-01-22T10:00:00Z"


def test_a_monthly_renewal_is_observed_as_action_plan_executed_once_per_run(gateway):
    gateway.new_account("SVC_1")
    emulator = gateway.emulator
    emulator.ok(
        "APIerSv2.SetActions",
        {
            "ActionsId": "Action_renew",
            "Overwrite": True,
            "Actions": [
                {
                    "Identifier": "*set_balance",
                    "BalanceType": "*data",
                    "BalanceId": "DATA_20GB",
                    "Units": "100",
                    "ExpiryTime": "+720h",
                    "Weight": 10,
                }
            ],
        },
    )
    plan_id = "ServiceID_SVC_1__ProductID_5__CustomerID_9__MonthlyRenewal"
    emulator.ok(
        "APIerSv1.SetActionPlan",
        {
            "Id": plan_id,
            "Overwrite": True,
            "ReloadScheduler": True,
            "ActionPlan": [{"ActionsId": "Action_renew", "MonthDays": "1", "Time": "00:00:00", "Weight": 10}],
        },
    )
    gateway.post("/crm/ocs/account/service_uuid/SVC_1/action_plans", json={"action_plan_ids": [plan_id]})

    emulator.ok("Emulator.AdvanceClock", {"To": "2026-02-01T12:00:00Z"})
    reconcile(gateway)
    reconcile(gateway)
    emulator.ok("Emulator.AdvanceClock", {"To": "2026-03-01T12:00:00Z"})
    reconcile(gateway)

    runs = [payload(m) for m in gateway.published("ActionPlanExecuted")]
    assert [(r["executed_at"], r["next_exec_time"]) for r in runs] == [
        ("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"),
        ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"),
    ]
    assert emulator.balance("SVC_1", "*data", "DATA_20GB")["ExpirationDate"] == "2026-03-31T00:00:00Z"


def test_the_webhook_refuses_bad_tokens_unknown_accounts_and_malformed_bodies(gateway):
    gateway.new_account("SVC_1")
    body = {"ID": "cgrates.org:SVC_1", "BalanceMap": None, "ActionTriggers": None}

    assert gateway.post("/crm/ocs/notify", params={"token": "wrong"}, json=body, headers={}).status_code == 401
    assert gateway.post("/crm/ocs/notify", json=body, headers={}).status_code == 401
    assert gateway.post("/crm/ocs/notify", json=body, headers=gateway.auth("view_customer")).status_code == 403
    ok = gateway.post("/crm/ocs/notify", params={"token": "s3cret-token"}, json=body, headers={})
    unknown = gateway.post(
        "/crm/ocs/notify", params={"token": "s3cret-token"}, json={**body, "ID": "cgrates.org:Ghost_1"}, headers={}
    )
    malformed = gateway.post("/crm/ocs/notify", params={"token": "s3cret-token"}, json={"ID": "no-colon"}, headers={})
    bad_map = gateway.post(
        "/crm/ocs/notify", params={"token": "s3cret-token"}, json={**body, "BalanceMap": {"*data": "lots"}}, headers={}
    )

    assert (ok.status_code, unknown.status_code, malformed.status_code, bad_map.status_code) == (200, 404, 400, 400)


def test_the_d81_notify_body_and_an_api_key_are_accepted(gateway):
    gateway.new_account("SVC_1")
    headers = {"X-API-KEY": "notify-key-" + "n" * 30}
    body = {"account": "SVC_1", "event": "out", "balance_type": "*monetary", "value": 0, "event_id": "e1"}

    first = gateway.post("/crm/ocs/notify", json=body, headers=headers)
    again = gateway.post("/crm/ocs/notify", json=body, headers=headers)

    assert first.json()["new_events"] == 1 and again.json()["new_events"] == 0
    [depleted] = gateway.published("BalanceDepleted")
    assert payload(depleted)["balance_type"] == "*monetary"


def test_the_background_reconciler_catches_a_missed_callback_by_itself(tmp_path, emulator, make_gateway):
    with make_gateway(f"sqlite:///{tmp_path}", emulator, charging_reconcile_interval=0.2) as gw:
        low_balance_account(gw)
        emulator.ok("Emulator.SetPoster", {"Mode": "fail"})
        drain(gw)

        low = eventually(lambda: _count(gw.published("BalanceLow"), 1))

    assert payload(low[0])["source"] == "reconciler"
