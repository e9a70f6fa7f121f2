"""The billing run (a batch job, safe to re-run) and the dunning timeline (D99) over HTTP."""

import json
from datetime import UTC, date, datetime, timedelta

from omnibus.testing.helpers import eventually

TODAY = datetime.now(UTC).date()
PERIOD = {"start_date": TODAY.replace(day=1).isoformat(), "end_date": TODAY.isoformat()}


def finished(api, run_id):
    def check():
        status = api.get(f"/crm/invoice/billing_run/{run_id}").json()
        assert status["status"] == "completed", status
        return status

    return eventually(check)


def test_a_billing_run_invoices_every_customer_once_and_a_rerun_invoices_nobody(api_on_each_store):
    api = api_on_each_store
    customers = [api.new_customer(f"Customer {n}") for n in range(3)]
    for customer_id in customers:
        api.new_transaction(customer_id, retail_cost="30.00")
        api.new_transaction(customer_id, retail_cost="15.00", tax_percentage="10")

    started = api.post("/crm/invoice/billing_run", json={**PERIOD, "title": "This month"})
    first = finished(api, started.json()["run_id"])
    rerun = finished(api, api.post("/crm/invoice/billing_run", json=PERIOD).json()["run_id"])

    assert started.status_code == 202
    assert (first["total"], first["done"], first["invoiced"], first["failed"]) == (3, 3, 3, 0)
    assert rerun["invoiced"] == 0
    for customer_id in customers:
        invoices = api.get(f"/crm/invoice/customer_id/{customer_id}").json()["data"]
        assert [(i["title"], i["total"]) for i in invoices] == [("This month", 46.5)]


def test_a_rerun_after_new_lines_still_does_not_invoice_the_period_twice(api):
    customer_id = api.new_customer()
    api.new_transaction(customer_id)
    finished(api, api.post("/crm/invoice/billing_run", json=PERIOD).json()["run_id"])
    api.new_transaction(customer_id, title="Late line")

    rerun = finished(api, api.post("/crm/invoice/billing_run", json=PERIOD).json()["run_id"])

    assert (rerun["invoiced"], rerun["skipped"]) == (0, 1)
    assert len(api.get(f"/crm/invoice/customer_id/{customer_id}").json()["data"]) == 1


def test_billing_run_validation_and_permissions(api):
    assert (
        api.post("/crm/invoice/billing_run", json={"start_date": "2025-02-01", "end_date": "2025-01-01"}).status_code
        == 400
    )
    assert (
        api.post("/crm/invoice/billing_run", json=PERIOD, headers=api.auth("view_customer_invoice")).status_code == 403
    )
    assert api.get("/crm/invoice/billing_run/999").status_code == 404


def overdue_invoice(api, due: date, **line):
    customer_id = api.new_customer()
    api.new_transaction(customer_id, service_id=77, **line)
    response = api.put(
        "/crm/invoice/",
        json={
            "customer_id": customer_id,
            "start_date": "2000-01-01",
            "end_date": "2100-01-01",
            "due_date": due.isoformat(),
        },
    )
    return response.json()


def test_dunning_reminds_then_requests_suspension_then_restoration_on_payment(api):
    due = date(2025, 1, 31)
    invoice = overdue_invoice(api, due)

    day5 = api.post("/crm/invoice/dunning/run", json={"today": (due + timedelta(days=5)).isoformat()}).json()
    day5_again = api.post("/crm/invoice/dunning/run", json={"today": (due + timedelta(days=5)).isoformat()}).json()
    day15 = api.post("/crm/invoice/dunning/run", json={"today": (due + timedelta(days=15)).isoformat()}).json()
    api.post(f"/crm/invoice/invoice_id/{invoice['invoice_id']}/pay", json={"method": "cash", "reference": "late"})
    day30 = api.post("/crm/invoice/dunning/run", json={"today": (due + timedelta(days=30)).isoformat()}).json()

    assert [s["action"] for s in day5["steps"]] == ["retry", "retry", "retry", "reminder"]
    assert day5_again["steps"] == []
    assert [(s["day"], s["action"]) for s in day15["steps"]] == [(7, "reminder"), (8, "final_warning"), (15, "suspend")]
    assert day30["steps"] == []
    suspended = eventually(lambda: api.published("billing.ServiceSuspensionRequested")[0])
    restored = eventually(lambda: api.published("billing.ServiceRestorationRequested")[0])
    assert json.loads(suspended.body)["service_ids"] == [77]
    assert json.loads(suspended.body)["reason"] == "non_payment"
    assert json.loads(restored.body)["service_ids"] == [77]
    assert len(api.published("billing.DunningStepReached")) == 7


def test_dunning_escalates_on_day_30(api):
    due = date(2025, 1, 31)
    overdue_invoice(api, due)

    api.post("/crm/invoice/dunning/run", json={"today": (due + timedelta(days=30)).isoformat()})

    escalated = eventually(lambda: api.published("billing.DunningEscalated")[0])
    assert json.loads(escalated.body)["day"] == 30


def test_two_billing_runs_at_once_invoice_each_customer_once(api_on_each_store):
    api = api_on_each_store
    customers = [api.new_customer(f"Customer {n}") for n in range(6)]
    for customer_id in customers:
        api.new_transaction(customer_id)

    runs = [api.post("/crm/invoice/billing_run", json=PERIOD).json()["run_id"] for _ in range(2)]
    results = [finished(api, run_id) for run_id in runs]

    assert sum(r["invoiced"] for r in results) == 6
    assert all(r["failed"] == 0 for r in results)
    for customer_id in customers:
        assert len(api.get(f"/crm/invoice/customer_id/{customer_id}").json()["data"]) == 1


def test_closed_customers_are_not_dunned(api):
    due = date(2025, 1, 31)
    invoice = overdue_invoice(api, due)
    api.patch(f"/crm/customer/customer_id/{invoice['customer_id']}", json={"customer_status": "Closed"})
    from omnibus.billing.readmodel.ledger import SqlLedgerLookups

    lookups = SqlLedgerLookups(api.runtime.engine)
    eventually(lambda: _assert_closed(lookups, invoice["customer_id"]))

    steps = api.post("/crm/invoice/dunning/run", json={"today": (due + timedelta(days=20)).isoformat()}).json()

    assert steps["steps"] == []


def _assert_closed(lookups, customer_id):
    assert lookups.billing_profile(customer_id)["customer_status"] == "Closed"
