"""The saga end to end with the mobile SIM play (deploy/playbooks/play_local_mobile_sim.yaml), on SQLite and on
PostgreSQL with RabbitMQ: real ansible-runner runs against our API, the CGRateS emulator and the HSS stand-in."""

from typing import Any

import pytest

from omnibus.contracts import billing, catalog, charging, customers
from omnibus.testing.helpers import eventually


def order(crm: Any) -> tuple[int, dict[str, Any], tuple[int, int, str]]:
    customer_id = crm.new_customer()
    sim = crm.new_sim()
    body = {"customer_id": customer_id, "product_id": crm.mobile_product(), "SIM Card": sim[0], "Mobile Number": sim[1]}
    return customer_id, body, sim


ON_EACH_STORE = ["crm", pytest.param("crm_pg", marks=pytest.mark.integration)]


@pytest.mark.parametrize("store", ON_EACH_STORE)
def test_a_mobile_sim_is_provisioned_end_to_end(store: str, request: pytest.FixtureRequest) -> None:
    crm = request.getfixturevalue(store)
    customer_id, body, (sim_id, number_id, imsi) = order(crm)

    job = crm.finished(crm.provision(body))

    assert job["provisioning_status"] == 0, job["saga"]
    saga = job["saga"]
    assert saga["steps"] == [
        "reserve_inventory",
        "prepare_charging_account",
        "run_playbook",
        "activate_service",
        "assign_inventory",
        "record_setup_charge",
    ]
    service = crm.service_by_uuid(saga["service_uuid"])
    assert (service["service_status"], service["service_type"], service["customer_id"]) == (
        "Active",
        "mobile",
        customer_id,
    )
    assert service["service_id"] == saga["service_id"]
    for item_id in (sim_id, number_id):
        item = crm.item(item_id)
        assert (item["item_state"], item["service_id"], item["customer_id"]) == (
            "Assigned",
            service["service_id"],
            customer_id,
        )
    account = crm.ocs("ApierV2.GetAccount", Account=saga["service_uuid"])["result"]
    assert set(account["BalanceMap"]) == {"*data", "*voice", "*sms"}
    assert account["BalanceMap"]["*data"][0]["Value"] == 20 * 1073741824
    assert crm.hss_subscriber(imsi)["msisdn"] == crm.item(number_id)["itemtext1"]
    [setup] = crm.charges(customer_id)
    assert (setup["retail_cost"], setup["provision_id"]) == (25.0, job["provision_id"])
    assert "eyJ" not in str(job)


STEP_FAULTS = {
    "prepare_charging_account": charging.PrepareOcsAccount,
    "activate_service": customers.ActivateProvisionedService,
    "assign_inventory": catalog.AssignReservedInventoryItem,
    "record_setup_charge": billing.RecordSetupCharge,
}


STEPS = ["reserve_inventory", *STEP_FAULTS, "run_playbook"]
# On PostgreSQL and RabbitMQ: a refusal before the play, a play failing on a task, and the longest rollback.
ON_POSTGRES = ["reserve_inventory", "run_playbook", "record_setup_charge"]


@pytest.mark.parametrize(
    ("store", "step"),
    [("crm", step) for step in STEPS]
    + [pytest.param("crm_pg", step, marks=pytest.mark.integration) for step in ON_POSTGRES],
)
def test_a_failure_at_each_step_leaves_nothing_behind(store: str, step: str, request: pytest.FixtureRequest) -> None:
    crm = request.getfixturevalue(store)
    customer_id, body, (sim_id, number_id, imsi) = order(crm)
    if step == "reserve_inventory":  # the SIM was sold meanwhile
        crm.call(
            "PATCH", f"/crm/inventory/inventory_id/{sim_id}", json_body={"customer_id": 1, "item_state": "Assigned"}
        )
    if step == "run_playbook":  # the HSS does not answer: the play fails at its HSS task and runs its rescue
        body["hss_server"] = "127.0.0.1:9"

    if step in STEP_FAULTS:
        with crm.faults.refuse(STEP_FAULTS[step], f"{step} refused"):
            job = crm.finished(crm.provision(body))
    else:
        job = crm.finished(crm.provision(body))

    saga = job["saga"]
    assert (job["provisioning_status"], saga["failed_step"]) == (2, step), saga
    assert all(c["outcome"] == "completed" for c in saga["compensations"]), saga["compensations"]
    for item_id in (number_id,) if step == "reserve_inventory" else (sim_id, number_id):
        item = crm.item(item_id)  # back in stock, neither reserved nor assigned
        assert (item["item_state"] in ("New", "In Stock"), item["customer_id"], item["service_id"]) == (
            True,
            None,
            None,
        )
    eventually(lambda: _no_reservations(crm))
    assert crm.ocs("ApierV2.GetAccount", Account=saga["service_uuid"])["error"] == "NOT_FOUND"
    service = crm.service_by_uuid(saga["service_uuid"])
    assert service is None or service["service_status"] != "Active"
    assert crm.charges(customer_id) == []
    assert crm.hss_subscriber(imsi) is None


@pytest.mark.parametrize("store", ON_EACH_STORE)
def test_two_orders_for_the_last_sim_one_wins_and_the_other_compensates_cleanly(
    store: str, request: pytest.FixtureRequest
) -> None:
    crm = request.getfixturevalue(store)
    product_id = crm.mobile_product()
    sim_id, number_id, imsi = crm.new_sim()
    _, spare_number, _ = crm.new_sim()
    first, second = crm.new_customer("First"), crm.new_customer("Second")

    jobs = [
        crm.provision({"customer_id": first, "product_id": product_id, "SIM Card": sim_id, "Mobile Number": number_id}),
        crm.provision(
            {"customer_id": second, "product_id": product_id, "SIM Card": sim_id, "Mobile Number": spare_number}
        ),
    ]
    ended = [crm.finished(job) for job in jobs]

    outcomes = sorted((j["provisioning_status"], j["customer_id"]) for j in ended)
    assert [status for status, _ in outcomes] == [0, 2]
    [winner] = [j for j in ended if j["provisioning_status"] == 0]
    [loser] = [j for j in ended if j["provisioning_status"] == 2]
    assert loser["saga"]["failed_step"] == "reserve_inventory"
    assert crm.item(sim_id)["customer_id"] == winner["customer_id"]
    loser_number = number_id if loser["customer_id"] == first else spare_number
    assert crm.item(loser_number)["item_state"] == "New" and crm.item(loser_number)["customer_id"] is None
    assert crm.charges(loser["customer_id"]) == []


def _no_reservations(crm: Any) -> None:
    stats = {row["item"]: row for row in crm.call("GET", "/crm/inventory/stats")["data"]}
    assert stats["SIM Card"]["reserved"] == stats["Mobile Number"]["reserved"] == 0, stats
