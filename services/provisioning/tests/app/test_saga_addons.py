"""The other example plays through the saga, for real (ansible-runner, our API, the CGRateS emulator, the Stripe
and HSS stand-ins): a paid data add-on, a monetary top-up, a monthly plan renewed by its ActionPlan (D83), a
deprovision, and bulk orders (D68)."""

import json
import uuid
from typing import Any

import pytest

from omnibus.testing.helpers import eventually


def a_mobile_service(crm: Any, customer_id: int) -> dict[str, Any]:
    """A live mobile service with its OCS account, as a provisioned one would be."""
    service_uuid = f"Mobile_{uuid.uuid4().hex[:12]}"
    crm.call("PUT", "/crm/ocs/account/", json_body={"service_uuid": service_uuid})
    body = {
        "customer_id": customer_id,
        "service_name": f"Mobile - {service_uuid}",
        "service_uuid": service_uuid,
        "service_type": "mobile",
        "service_status": "Active",
        "retail_cost": 15,
    }
    return dict(crm.call("PUT", "/crm/service/", json_body=body))


def balances(crm: Any, service_uuid: str, kind: str) -> dict[str, float]:
    account = crm.ocs("ApierV2.GetAccount", Account=service_uuid)["result"]
    return {b["ID"]: b["Value"] for b in (account["BalanceMap"] or {}).get(kind, [])}


def test_a_data_add_on_charges_the_default_card_then_adds_the_data(crm: Any) -> None:
    customer_id = crm.new_customer(card=True)
    service = a_mobile_service(crm, customer_id)
    addon = crm.new_product(
        category="addon",
        service_type="mobile",
        provisioning_play="play_topup_charge_then_action",
        retail_cost=5,
        wholesale_cost=1.5,
        provisioning_json_vars=json.dumps({"data_gb": 5, "days": 7}),
    )

    job = crm.finished(crm.provision({"service_id": service["service_id"], "product_id": addon}))

    assert job["provisioning_status"] == 0, job
    assert job["saga"]["steps"] == ["run_playbook"]
    assert balances(crm, service["service_uuid"], "*data") == {f"DATA_5GB_Boost_{job['provision_id']}": 5 * 1073741824}
    [charge] = crm.charges(customer_id)
    assert (charge["retail_cost"], charge["provision_id"], charge["service_id"]) == (
        5.0,
        job["provision_id"],
        service["service_id"],
    )
    assert charge["invoice_id"] is not None


def test_a_declined_card_provisions_nothing(crm: Any) -> None:
    customer_id = crm.new_customer()
    eventually(
        lambda: crm.call(
            "PUT",
            "/crm/stripe/",
            json_body={"customer_id": customer_id, "customer_stripe_id": "pm_card_chargeDeclined"},
        ),
        timeout=30,
    )
    service = a_mobile_service(crm, customer_id)
    addon = crm.new_product(
        category="addon", service_type="mobile", provisioning_play="play_topup_charge_then_action", retail_cost=5
    )

    job = crm.finished(crm.provision({"service_id": service["service_id"], "product_id": addon}))

    assert (job["provisioning_status"], job["failed_task"]) == (2, "Charge the default card")
    assert job["saga"]["compensations"] == [{"action": "void_charges", "outcome": "completed", "reason": None}]
    assert balances(crm, service["service_uuid"], "*data") == {}
    assert crm.charges(customer_id) == []


@pytest.mark.parametrize("payment_taken", [False, True], ids=["charged here", "paid before (top-up purchase)"])
def test_a_monetary_top_up_credits_the_account_in_minor_units(crm: Any, payment_taken: bool) -> None:
    customer_id = crm.new_customer(card=not payment_taken)
    service = a_mobile_service(crm, customer_id)
    topup = crm.new_product(
        category="addon", service_type="mobile", provisioning_play="play_topup_monetary", retail_cost=20
    )
    body: dict[str, Any] = {"service_id": service["service_id"], "product_id": topup}
    if payment_taken:
        body |= {"payment_taken": True, "topup_amount": 12.5}

    job = crm.finished(crm.provision(body))

    assert job["provisioning_status"] == 0, job
    expected = 1250 if payment_taken else 2000
    assert balances(crm, service["service_uuid"], "*monetary") == {f"Topup_{job['provision_id']}": expected}
    assert [c["retail_cost"] for c in crm.charges(customer_id)] == ([] if payment_taken else [20.0])


def test_a_monthly_plan_schedules_its_renewal_and_staffs_renew_runs_it_again(crm: Any) -> None:
    customer_id = crm.new_customer(card=True)
    service = a_mobile_service(crm, customer_id)
    plan = crm.new_product(
        category="addon",
        service_type="mobile",
        provisioning_play="play_monthly_autorenew",
        retail_cost=10,
        allow_auto_renew=True,
        auto_renew="prompt",
        provisioning_json_vars=json.dumps({"data_gb": 10}),
    )
    first = crm.finished(crm.provision({"service_id": service["service_id"], "product_id": plan, "auto_renew": "true"}))
    plan_id = f"ServiceID_{service['service_uuid']}__ProductID_{plan}__CustomerID_{customer_id}__MonthlyRenewal"
    scheduled = crm.ocs("ApierV1.GetAccountActionPlan", Account=service["service_uuid"])["result"]

    crm.call("POST", f"/crm/oam/renew_action_plan/{plan_id}", json_body={"service_id": service["service_id"]})
    renewal = eventually(lambda: _renewal_of(crm, first["provision_id"]), timeout=60)

    assert first["provisioning_status"] == 0, first
    assert [p["ActionPlanId"] for p in scheduled] == [plan_id]
    renewed = crm.finished(renewal["provision_id"])
    assert renewed["provisioning_status"] == 0, renewed
    assert json.loads(renewed["provisioning_json_vars"])["renew_action_plan_id"] == plan_id
    assert len(crm.charges(customer_id)) == 2
    assert len(balances(crm, service["service_uuid"], "*data")) == 2


def _renewal_of(crm: Any, first_id: int) -> dict[str, Any]:
    jobs = crm.call("GET", "/crm/provision/", params={"sort": "provision_id", "order": "desc", "per_page": 5})["data"]
    later = [j for j in jobs if j["provision_id"] > first_id and "renew" in j["provisioning_json_vars"]]
    assert later, jobs
    return dict(later[0])


def test_a_deprovision_deactivates_the_service_and_releases_what_it_held(crm: Any) -> None:
    customer_id = crm.new_customer()
    sim_id, number_id, imsi = crm.new_sim()
    product_id = crm.mobile_product(deprovisioning_play="play_deprovision")
    body = {"customer_id": customer_id, "product_id": product_id, "SIM Card": sim_id, "Mobile Number": number_id}
    provisioned = crm.finished(crm.provision(body))
    service_id = provisioned["saga"]["service_id"]

    job = crm.finished(crm.provision({"service_id": service_id, "action": "deprovision"}))

    assert (provisioned["provisioning_status"], job["provisioning_status"]) == (0, 0), job
    assert job["provisioning_play"] == "play_deprovision"
    assert crm.call("GET", f"/crm/service/service_id/{service_id}")["service_status"] == "Deactivated"
    assert {crm.item(i)["item_state"] for i in (sim_id, number_id)} == {"Decommissioned"}
    subscriber = crm.hss_subscriber(imsi)
    assert subscriber["msisdn"] == "9999" + imsi[-10:]  # dormant: the SIM may be used again
    account = crm.ocs("ApierV2.GetAccount", Account=provisioned["saga"]["service_uuid"])["result"]
    assert account["Disabled"] is True and account["BalanceMap"]  # balances kept (reversible)


def test_bulk_orders_start_one_job_per_row_or_none_at_all(crm: Any) -> None:
    product_id = crm.new_product(category="standalone", service_type="generic", provisioning_play="play_simple_service")
    customers = [crm.new_customer(f"Bulk {n}") for n in range(2)]
    rows = [{"customer_id": c, "product_id": product_id, "vars": {"custom_cost": 9}} for c in customers]
    before = crm.call("GET", "/crm/provision/")["pagination"]

    refused = crm.call("POST", "/crm/provision/bulk", json_body={"rows": [*rows, {"customer_id": "x"}]}, ok=False)
    middle = crm.call("GET", "/crm/provision/")["pagination"]
    csv = f"customer_id,product_id,custom_cost\n{customers[0]},{product_id},9\n{customers[1]},{product_id},9\n"
    started = crm.call("POST", "/crm/provision/bulk", content=csv, headers={**_admin(crm), "content-type": "text/csv"})

    assert refused.status_code == 400
    assert refused.json()["details"] == {"rows": [{"row": 3, "error": "customer_id must be a positive integer"}]}
    assert middle == before
    jobs = [crm.finished(p) for p in started["provision_ids"]]
    assert [(j["provisioning_status"], j["customer_id"]) for j in jobs] == [(0, c) for c in customers]


def _admin(crm: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {crm.token('admin')}"}
