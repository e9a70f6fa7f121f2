"""The reference product's endpoints: the OCS proxy, remove_action_plan, live balances for service views, usage."""

import json

from omnibus.contracts.catalog import ProductCreated, ProductUpdated
from omnibus.testing.helpers import eventually

T = "cgrates.org"
GIB = 1024**3


def payload(message):
    return json.loads(message.body)


def proxy(gateway, method, params, headers=None, **extra):
    return gateway.post("/crm/ocs/proxy", json={"method": method, "params": params, **extra}, headers=headers)


def test_proxy_reads_need_cgrates_api_access_and_get_the_tenant_default(gateway):
    gateway.new_account("SVC_1")

    response = proxy(
        gateway,
        "APIerSv2.GetAccount",
        [{"Account": "SVC_1"}],
        headers=gateway.auth("cgrates_api_access"),
        customer_id=123,
        service_id=456,
    )

    assert response.status_code == 200 and response.json()["ID"] == "cgrates.org:SVC_1"
    [audit] = gateway.published("OcsProxyCallMade")
    assert payload(audit)["params"] == [{"Account": "SVC_1", "Tenant": "cgrates.org"}]
    assert payload(audit)["customer_id"] == 123 and payload(audit)["result_status"] == "ok"
    assert payload(audit)["user_id"] == "7"


def test_proxy_writes_need_admin_or_cgrates_api_write(gateway):
    params = [{"Account": "SVC_9", "BalanceType": "*sms", "Value": 5, "Balance": {"ID": "S"}}]

    reader = proxy(gateway, "APIerSv1.AddBalance", params, headers=gateway.auth("cgrates_api_access"))
    writer = proxy(
        gateway, "APIerSv1.AddBalance", params, headers=gateway.auth("cgrates_api_access", "cgrates_api_write")
    )
    nobody = proxy(gateway, "APIerSv2.GetAccount", [{"Account": "SVC_9"}], headers=gateway.auth("view_customer"))

    assert (reader.status_code, writer.status_code, nobody.status_code) == (403, 200, 403)
    assert gateway.emulator.balance("SVC_9", "*sms", "S")["Value"] == 5


def test_proxy_refuses_unlisted_methods_and_non_array_params_and_maps_ocs_errors_to_502(gateway):
    assert proxy(gateway, "Emulator.Reset", [{}]).status_code == 400
    assert proxy(gateway, "APIerSv1.LoadTariffPlanFromFolder", [{}]).status_code == 400
    assert gateway.post("/crm/ocs/proxy", json={"method": "APIerSv2.GetAccount", "params": {}}).status_code == 400
    assert gateway.post("/crm/ocs/proxy", json=["not", "an", "object"]).status_code == 400

    missing = proxy(gateway, "APIerSv2.GetAccount", [{"Account": "Ghost"}], tenant="other.org")

    assert missing.status_code == 502 and missing.json()["details"] == {"error": "NOT_FOUND"}
    audits = [payload(m) for m in gateway.published("OcsProxyCallMade")]
    assert [(a["tenant"], a["result_status"]) for a in audits] == [("other.org", "NOT_FOUND")]


def plan_for(gateway, service_uuid="SVC_1"):
    gateway.new_account(service_uuid)
    gateway.emulator.ok(
        "APIerSv1.SetActions",
        {
            "ActionsId": "Action_renew",
            "Overwrite": True,
            "Actions": [
                {"Identifier": "*topup", "BalanceType": "*monetary", "BalanceId": "M", "Units": 1, "Weight": 10}
            ],
        },
    )
    plan_id = f"ServiceID_{service_uuid}__ProductID_456__CustomerID_789__MonthlyRenewal"
    gateway.emulator.ok(
        "APIerSv1.SetActionPlan",
        {
            "Id": plan_id,
            "Overwrite": True,
            "ReloadScheduler": True,
            "ActionPlan": [{"ActionsId": "Action_renew", "MonthDays": "1", "Time": "00:00:00", "Weight": 10}],
        },
    )
    gateway.post(f"/crm/ocs/account/service_uuid/{service_uuid}/action_plans", json={"action_plan_ids": [plan_id]})
    return plan_id


def test_remove_action_plan_removes_it_stops_renewals_and_answers_the_reference_message(gateway):
    plan_id = plan_for(gateway)

    response = gateway.delete(f"/crm/oam/remove_action_plan/{plan_id}", headers=gateway.auth("update_customer_service"))
    gateway.emulator.ok("Emulator.AdvanceClock", {"To": "2026-03-01T12:00:00Z"})

    assert response.status_code == 200
    assert response.json()["message"] == f"Removed ActionPlan {plan_id} from SVC_1"
    assert gateway.emulator.error("APIerSv1.GetActionPlan", {"ID": plan_id}) == "NOT_FOUND"
    assert gateway.emulator.ok("Emulator.Executions", {}) == []  # the scheduler was reloaded
    [removed] = gateway.published("ActionPlanRemoved")
    assert payload(removed)["by_user"] == "7"


def test_remove_action_plan_is_404_for_an_unknown_plan_and_needs_its_permission(gateway):
    plan_id = plan_for(gateway)

    assert gateway.delete("/crm/oam/remove_action_plan/ServiceID_X__ProductID_1__Nope").status_code == 404
    assert (
        gateway.delete(f"/crm/oam/remove_action_plan/{plan_id}", headers=gateway.auth("view_customer")).status_code
        == 403
    )


def test_live_balances_are_enriched_for_the_service_view(gateway):
    plan_for(gateway)
    gateway.topup(
        "SVC_1",
        "k1",
        balance_type="*data",
        value=13421772800,
        balance_id="monthly_data_20GB",
        expiry="2026-01-25T23:59:59Z",
        weight=10,
    )
    gateway.topup(
        "SVC_1", "k2", balance_type="*voice", value=7500000000000, balance_id="monthly_voice_500min", weight=10
    )
    gateway.topup("SVC_1", "k3", balance_type="*monetary", value=1550, balance_id="prepaid_credit")

    response = gateway.get("/crm/ocs/balance/service_uuid/SVC_1", headers=gateway.auth("view_customer_service"))

    cgrates = response.json()["cgrates"]
    [data] = cgrates["BalanceMap"]["*data"]
    assert data["Value"] == 13421772800 and data["ExpiryTime"] == "2026-01-25T23:59:59Z"
    assert data["custom_Description_String"] == "12.5 GB remaining of 20 GB"
    assert data["custom_Expiration"] == "in 10 days" and data["band"] == "high" and data["remaining_percent"] == 62.5
    assert cgrates["BalanceMap"]["*voice"][0]["custom_Description_String"] == "125 minutes remaining of 500 minutes"
    assert cgrates["totals"]["*monetary"]["display"] == "$15.50"
    [plan] = cgrates["ActionPlans"]
    assert plan["ActionPlanId_split_dict"] == {
        "ServiceID": "SVC_1",
        "ProductID": 456,
        "CustomerID": 789,
        "Suffix": "MonthlyRenewal",
    }
    assert plan["NextExecTime"] == "2026-02-01T00:00:00Z" and plan["custom_NextExecTime_hr"] == "in 17 days"
    assert cgrates["stale"] is False


def test_a_burst_of_views_makes_one_round_trip_and_cgrates_down_serves_the_last_known_marked_stale(
    tmp_path, make_emulator, make_gateway
):
    with (
        make_emulator() as emulator,
        make_gateway(f"sqlite:///{tmp_path}", emulator, charging_live_cache_seconds=0.5) as gw,
    ):
        gw.new_account("SVC_1")
        gw.topup("SVC_1", "k1", value=GIB, balance_id="DATA_1GB")
        path = "/crm/ocs/balance/service_uuid/SVC_1"
        calls_before = gw.live.calls
        burst = [gw.get(path).json()["cgrates"] for _ in range(5)]
        calls = gw.live.calls - calls_before
        emulator.stop()
        gw.live.forget("SVC_1")
        stale = gw.get(path)

    assert calls == 2  # GetAccount + GetAccountActionPlan (cold), once for the whole burst
    assert {b["stale"] for b in burst} == {False}
    assert stale.status_code == 200 and stale.json()["cgrates"]["stale"] is True
    assert stale.json()["cgrates"]["BalanceMap"]["*data"][0]["Value"] == GIB
    assert stale.json()["cgrates"]["fetched_at"] == burst[0]["fetched_at"]


def test_a_view_reads_balances_with_one_call_and_plans_again_only_when_a_run_is_due(
    tmp_path, make_emulator, make_gateway
):
    with (
        make_emulator() as emulator,
        make_gateway(f"sqlite:///{tmp_path}", emulator, charging_live_cache_seconds=0) as gw,
    ):
        plan_for(gw)
        path = "/crm/ocs/balance/service_uuid/SVC_1"
        gw.get(path)  # cold: GetAccount + GetAccountActionPlan
        before = gw.live.calls
        warm = [gw.get(path).json()["cgrates"] for _ in range(3)]
        warm_calls = gw.live.calls - before
        emulator.ok("Emulator.AdvanceClock", {"To": "2026-02-01T06:00:00Z"})  # the renewal ran
        before = gw.live.calls
        after_run = gw.get(path).json()["cgrates"]
        after_run_calls = gw.live.calls - before

    assert warm_calls == 3  # one JSON-RPC call per view: balances are live, plans cached
    assert warm[0]["ActionPlans"][0]["NextExecTime"] == "2026-02-01T00:00:00Z"
    assert after_run_calls == 2 and after_run["ActionPlans"][0]["NextExecTime"] == "2026-03-01T00:00:00Z"
    assert after_run["BalanceMap"]["*monetary"][0]["Value"] == 1  # the renewal's top-up, read live


def test_usage_view_answers_by_source_address(gateway):
    gateway.new_account("SVC_1")
    gateway.topup("SVC_1", "k1", balance_type="*data", value=GIB, balance_id="DATA_1GB", expiry="+240h")
    put = gateway.put(
        "/crm/ocs/usage_endpoint/",
        json={
            "address": "127.0.0.1",
            "service_uuid": "SVC_1",
            "service_name": "Mobile - 0412345678",
            "service_status": "Active",
            "imsi": "310120123456789",
        },
    )

    response = gateway.get("/oam/usage", headers={})

    assert put.status_code == 200
    body = response.json()
    assert body["imsi"] == "310120123456789" and body["requestingIp"] == "127.0.0.1"
    assert body["service"] == {
        "service_uuid": "SVC_1",
        "service_name": "Mobile - 0412345678",
        "service_status": "Active",
    }
    assert body["balance"]["expiry"] == "2026-01-25T10:00:00Z" and body["balance"]["unlimited"] is False


def test_usage_view_is_404_for_an_unknown_address(gateway):
    response = gateway.get("/oam/usage", headers={})

    assert response.status_code == 404 and response.json()["message"] == "Service not detected for this address"


def test_cdrs_of_a_service(gateway):
    gateway.new_account("SVC_1")
    gateway.topup("SVC_1", "k1", value=1000)
    gateway.post("/crm/ocs/account/service_uuid/SVC_1/usage", json={"origin_id": "s1", "tor": "*data", "usage": 10})

    rows = gateway.get("/crm/ocs/cdrs", params={"service_uuid": "SVC_1"}, headers=gateway.auth("cgrates_api_access"))

    assert {r["Source"] for r in rows.json()["data"]} == {"omnibus", "*cdrlog"}
    assert (
        gateway.get(
            "/crm/ocs/cdrs", params={"service_uuid": "SVC_1"}, headers=gateway.auth("view_customer")
        ).status_code
        == 403
    )


def test_a_write_only_user_may_write_through_the_proxy_but_not_read(gateway):
    headers = gateway.auth("cgrates_api_write")
    params = [{"Account": "SVC_9", "BalanceType": "*sms", "Value": 5, "Balance": {"ID": "S"}}]

    write = proxy(gateway, "APIerSv1.AddBalance", params, headers=headers)
    read = proxy(gateway, "APIerSv2.GetAccount", [{"Account": "SVC_9"}], headers=headers)

    assert (write.status_code, read.status_code) == (200, 403)


def test_renewing_an_action_plan_publishes_a_request_for_provisioning(gateway):
    plan_id = plan_for(gateway)

    response = gateway.post(
        f"/crm/oam/renew_action_plan/{plan_id}", json={"service_id": 456}, headers=gateway.auth("create_provision")
    )
    bad = gateway.post("/crm/oam/renew_action_plan/ActionPlan_Monthly", json={})
    denied = gateway.post(f"/crm/oam/renew_action_plan/{plan_id}", json={}, headers=gateway.auth("view_customer"))

    assert response.status_code == 200 and response.json()["product_id"] == 456
    assert (bad.status_code, denied.status_code) == (400, 403)
    [renew] = gateway.published("ActionPlanRenewRequested")
    assert payload(renew)["service_id"] == 456 and payload(renew)["by_user"] == "7"


def test_cdrs_refuse_bad_times_and_filter_by_answer_time(gateway):
    gateway.new_account("SVC_1")
    gateway.topup("SVC_1", "k1", value=1000)
    gateway.post("/crm/ocs/account/service_uuid/SVC_1/usage", json={"origin_id": "s1", "tor": "*data", "usage": 10})
    path = "/crm/ocs/cdrs"

    bad = gateway.get(path, params={"service_uuid": "SVC_1", "start": "yesterday-ish"})
    later = gateway.get(path, params={"service_uuid": "SVC_1", "start": "2026-01-16"})
    today = gateway.get(path, params={"service_uuid": "SVC_1", "start": "2026-01-15 00:00:00"})

    assert bad.status_code == 400
    assert later.json()["data"] == [] and len(today.json()["data"]) == 2


def rpc(gateway, method, params, headers=None):
    body = {"method": method, "params": params, "id": 42}
    response = gateway.post("/jsonrpc", json=body, headers=headers or gateway.auth("cgrates_api_write"))
    assert response.status_code == 200, response.text
    return response.json()


def test_the_jsonrpc_relay_forwards_unchanged_and_records_the_facts_of_playbook_calls(gateway):
    created = rpc(gateway, "ApierV2.SetAccount", [{"Account": "Play_1", "ExtraOptions": {"Disabled": False}}])
    added = rpc(
        gateway,
        "ApierV1.AddBalance",
        [
            {
                "Account": "Play_1",
                "BalanceType": "*data",
                "Value": 1024,
                "Balance": {"ID": "DATA", "ExpiryTime": "+720h"},
            }
        ],
    )
    missing = rpc(gateway, "ApierV2.GetAccount", [{"Account": "Ghost"}])
    read = rpc(gateway, "ApierV2.GetAccount", [{"Account": "Play_1"}])
    removed = rpc(gateway, "ApierV1.RemoveAccount", [{"Account": "Play_1"}])

    assert (created["result"], added["result"], removed["result"]) == ("OK", "OK", "OK")
    assert missing == {"id": 42, "result": None, "error": "NOT_FOUND"}
    assert read["result"]["BalanceMap"]["*data"][0]["Value"] == 1024
    assert gateway.names() == ["OcsAccountCreated", "OcsBalanceAdded", "OcsAccountRemoved"]
    assert payload(gateway.published("OcsBalanceAdded")[0])["idempotency_key"].startswith("relay:")


def test_the_relay_needs_the_write_permission(gateway):
    body = {"method": "APIerSv1.Ping", "params": [], "id": 1}

    assert gateway.post("/jsonrpc", json=body, headers={}).status_code == 401
    assert gateway.post("/jsonrpc", json=body, headers=gateway.auth("cgrates_api_access")).status_code == 403


def second_plan(gateway, service_uuid="SVC_1", suffix="Boost"):
    plan_id = f"ServiceID_{service_uuid}__ProductID_457__{suffix}"
    gateway.emulator.ok(
        "APIerSv1.SetActionPlan",
        {
            "Id": plan_id,
            "Overwrite": True,
            "ReloadScheduler": True,
            "ActionPlan": [{"ActionsId": "Action_renew", "MonthDays": "15", "Time": "00:00:00", "Weight": 10}],
        },
    )
    gateway.emulator.ok(
        "APIerSv2.SetAccount",
        {"Tenant": T, "Account": service_uuid, "ActionPlanIDs": [plan_id], "ReloadScheduler": True},
    )  # attached by a play straight in CGRateS: the gateway has no record of it
    return plan_id


def account_plans(gateway, service_uuid):
    rows = gateway.emulator.ok("APIerSv1.GetAccountActionPlan", {"Tenant": T, "Account": service_uuid})
    return sorted(r["ActionPlanId"] for r in rows)


def test_the_deprovision_plays_wildcard_removes_every_plan_of_that_service_through_the_relay(gateway):
    renewal, boost = plan_for(gateway, "SVC_1"), second_plan(gateway, "SVC_1")
    other = plan_for(gateway, "SVC_2")

    reply = rpc(gateway, "ApierV1.RemoveActionPlan", [{"Id": "ServiceID_SVC_1__*"}])
    gateway.emulator.ok("Emulator.AdvanceClock", {"To": "2026-02-02T00:00:00Z"})

    assert reply == {"id": 42, "result": "OK", "error": None}
    assert account_plans(gateway, "SVC_1") == []
    assert account_plans(gateway, "SVC_2") == [other]
    assert {e["Account"] for e in gateway.emulator.ok("Emulator.Executions", {})} == {"cgrates.org:SVC_2"}
    [removed] = gateway.published("ActionPlanRemoved")  # the one the gateway knew of; the other was never its fact
    assert payload(removed)["action_plan_id"] == renewal
    assert boost not in gateway.get("/crm/ocs/account/service_uuid/SVC_1").json()["action_plan_ids"]


def test_an_exact_remove_through_the_relay_reloads_the_scheduler_and_is_recorded(gateway):
    plan_id = plan_for(gateway, "SVC_1")

    reply = rpc(gateway, "APIerSv1.RemoveActionPlan", [{"Id": plan_id}])
    gateway.emulator.ok("Emulator.AdvanceClock", {"To": "2026-02-02T00:00:00Z"})

    assert reply["result"] == "OK"
    assert gateway.emulator.ok("Emulator.Executions", {}) == []  # without the reload the old plan would still fire
    assert [payload(m)["action_plan_id"] for m in gateway.published("ActionPlanRemoved")] == [plan_id]


def test_remove_action_plan_accepts_the_wildcard_and_is_404_when_nothing_matches(gateway):
    plan_for(gateway, "SVC_1")
    second_plan(gateway, "SVC_1")
    headers = gateway.auth("update_customer_service")

    first = gateway.delete("/crm/oam/remove_action_plan/ServiceID_SVC_1__*", headers=headers)
    again = gateway.delete("/crm/oam/remove_action_plan/ServiceID_SVC_1__*", headers=headers)
    unnamed = gateway.delete("/crm/oam/remove_action_plan/ServiceID_*", headers=headers)

    assert first.status_code == 200 and first.json()["message"] == "Removed ActionPlan ServiceID_SVC_1__* from SVC_1"
    assert account_plans(gateway, "SVC_1") == []
    assert (again.status_code, unnamed.status_code) == (404, 400)


def product(product_id, name, retail_cost):
    return ProductCreated(
        product_id=product_id,
        product_slug=f"p-{product_id}",
        product_name=name,
        category="standalone",
        retail_cost=retail_cost,
        wholesale_cost=0,
        retail_setup_cost=0,
        wholesale_setup_cost=0,
        tax_percentage=0,
        enabled=True,
        residential=True,
        business=True,
        customer_can_purchase=True,
        contract_days=30,
        auto_renew="true",
        allow_auto_renew=True,
        inventory_items_list=[],
        relies_on_list=[],
    )


def test_each_action_plan_shows_its_products_name_and_cost_or_unknown_product(gateway):
    plan_for(gateway)  # ProductID 456
    second_plan(gateway)  # ProductID 457, which catalog never told about
    gateway.deliver(product(456, "Prepaid Mobile 20GB", "15.00"))
    gateway.deliver(ProductUpdated(product_id=456, changed_fields=["retail_cost"], changes={"retail_cost": "17.50"}))

    def shown():
        gateway.live.forget("SVC_1")
        plans = gateway.get("/crm/ocs/balance/service_uuid/SVC_1").json()["cgrates"]["ActionPlans"]
        names = {p["product_id"]: (p["product_name"], p["retail_cost"]) for p in plans}
        assert names == {456: ("Prepaid Mobile 20GB", 17.5), 457: ("Unknown product", None)}, names

    eventually(shown)
