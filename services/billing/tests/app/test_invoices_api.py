"""Invoice endpoints over HTTP (billing.md §2.2, §3.2, §4.3, §4.5, §5; D86-D90)."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

PERIOD = {"start_date": "2000-01-01", "end_date": "2100-12-31"}


def generate(api, customer_id, **fields):
    response = api.put("/crm/invoice/", json={"customer_id": customer_id, **PERIOD, **fields})
    assert response.status_code == 200, response.text
    return response.json()


def test_first_bill_scenario_totals_and_stamps_the_lines(api_on_each_store):
    api = api_on_each_store
    customer_id = api.new_customer()
    setup = api.new_transaction(customer_id, title="Setup", retail_cost="50.00")
    month = api.new_transaction(customer_id, title="First month", retail_cost="45.00")

    invoice = generate(api, customer_id, title="January 2025", due_date="2025-02-15")

    assert (invoice["retail_cost"], invoice["total_tax"], invoice["total"]) == (95.0, 0.0, 95.0)
    assert (invoice["title"], invoice["due_date"], invoice["status"], invoice["paid"]) == (
        "January 2025",
        "2025-02-15",
        "Unpaid",
        False,
    )
    assert invoice["transaction_ids"] == [setup["transaction_id"], month["transaction_id"]]
    for line in (setup, month):
        stored = api.get(f"/crm/transaction/transaction_id/{line['transaction_id']}").json()
        assert stored["invoice_id"] == invoice["invoice_id"]
    uninvoiced = api.get("/crm/transaction/stats", params={"customer_id": customer_id}).json()["uninvoiced"]
    assert uninvoiced == 0.0


def test_awkward_amounts_total_right_to_the_cent(api):
    customer_id = api.new_customer()
    for amount in ("0.10", "0.20", "0.70", "33.33", "33.33", "33.34"):
        api.new_transaction(customer_id, retail_cost=amount, tax_percentage="17.5")
    api.new_transaction(customer_id, retail_cost="0.01", tax_percentage="33.3333")

    invoice = generate(api, customer_id)

    # line taxes: 0.02 + 0.04 + 0.12 + 5.83 + 5.83 + 5.83 + 0.00
    assert (invoice["retail_cost"], invoice["total_tax"], invoice["total"]) == (101.01, 17.67, 118.68)


def test_a_credit_reduces_the_next_invoice(api):
    customer_id = api.new_customer()
    api.new_transaction(customer_id, retail_cost="45.00")
    api.new_transaction(customer_id, retail_cost="10.00", transaction_type="credit", title="Outage 8-9")

    preview = api.post("/crm/invoice/proforma", json={"customer_id": customer_id, **PERIOD}).json()

    assert preview["total"] == 35.0


def test_proforma_previews_without_changing_anything(api):
    customer_id = api.new_customer()
    line = api.new_transaction(customer_id, retail_cost="30.00", tax_percentage=10)

    preview = api.post("/crm/invoice/proforma", json={"customer_id": customer_id, **PERIOD})

    assert preview.status_code == 200
    body = preview.json()
    assert (body["retail_cost"], body["total_tax"], body["total"]) == (30.0, 3.0, 33.0)
    assert [row["transaction_id"] for row in body["lines"]] == [line["transaction_id"]]
    assert api.get(f"/crm/transaction/transaction_id/{line['transaction_id']}").json()["invoice_id"] is None
    assert api.get(f"/crm/invoice/customer_id/{customer_id}").json()["data"] == []


def test_only_lines_of_the_period_and_not_void_or_payments_are_invoiced(api):
    customer_id = api.new_customer()
    kept = api.new_transaction(customer_id)
    voided = api.new_transaction(customer_id)
    api.delete(f"/crm/transaction/transaction_id/{voided['transaction_id']}")
    api.new_transaction(customer_id, transaction_type="payment", payment_method="cash", retail_cost="5.00")

    invoice = generate(api, customer_id)
    empty = api.put(
        "/crm/invoice/", json={"customer_id": customer_id, "start_date": "1990-01-01", "end_date": "1990-01-31"}
    )

    assert invoice["transaction_ids"] == [kept["transaction_id"]]
    assert empty.status_code == 400


def test_chosen_lines_only_and_a_line_already_invoiced_is_409(api):
    customer_id = api.new_customer()
    mobile = api.new_transaction(customer_id, title="Mobile")
    data = api.new_transaction(customer_id, title="Data")

    first = generate(api, customer_id, transaction_ids=[mobile["transaction_id"]])
    again = api.put(
        "/crm/invoice/",
        json={
            "customer_id": customer_id,
            **PERIOD,
            "transaction_ids": [mobile["transaction_id"], data["transaction_id"]],
        },
    )

    assert first["transaction_ids"] == [mobile["transaction_id"]]
    assert again.status_code == 409
    assert api.get(f"/crm/transaction/transaction_id/{data['transaction_id']}").json()["invoice_id"] is None


def test_another_customers_line_cannot_be_invoiced(api):
    mine, theirs = api.new_customer("Mine"), api.new_customer("Theirs")
    their_line = api.new_transaction(theirs)

    response = api.put(
        "/crm/invoice/", json={"customer_id": mine, **PERIOD, "transaction_ids": [their_line["transaction_id"]]}
    )

    assert response.status_code == 400


def test_default_due_date_is_14_days_after_issue(api):
    customer_id = api.new_customer()
    api.new_transaction(customer_id)

    invoice = generate(api, customer_id)

    from datetime import UTC, datetime, timedelta

    assert invoice["due_date"] == (datetime.now(UTC).date() + timedelta(days=14)).isoformat()


def test_voiding_releases_the_lines_for_a_new_invoice(api_on_each_store):
    api = api_on_each_store
    customer_id = api.new_customer()
    line = api.new_transaction(customer_id)
    invoice = generate(api, customer_id)

    voided = api.post(f"/crm/invoice/invoice_id/{invoice['invoice_id']}/void")
    second = generate(api, customer_id)

    assert (voided.json()["void"], voided.json()["status"]) == (True, "Void")
    assert second["transaction_ids"] == [line["transaction_id"]]
    assert (
        api.post(
            f"/crm/invoice/invoice_id/{invoice['invoice_id']}/pay", json={"method": "cash", "reference": "x"}
        ).status_code
        == 409
    )


def test_manual_payment_with_reference_records_a_payment_line(api_on_each_store):
    api = api_on_each_store
    customer_id = api.new_customer()
    api.new_transaction(customer_id, retail_cost="100.00")
    invoice = generate(api, customer_id)

    paid = api.post(
        f"/crm/invoice/invoice_id/{invoice['invoice_id']}/pay",
        json={"method": "cash", "reference": "Cash 2025-02-10 - Receipt #001", "paid_date": "2025-02-10"},
    )

    body = paid.json()
    assert paid.status_code == 200, body
    assert (body["paid"], body["status"], body["paid_date"]) == (True, "Paid", "2025-02-10")
    assert body["payment_reference"] == "Cash 2025-02-10 - Receipt #001"
    assert (body["payment"]["method"], body["payment"]["amount"]) == ("cash", 100.0)
    payments = api.get(
        f"/crm/transaction/customer_id/{customer_id}", params={"filters": '{"transaction_type": ["payment"]}'}
    ).json()["data"]
    assert [(p["retail_cost"], p["invoice_id"], p["payment_method"]) for p in payments] == [
        (-100.0, invoice["invoice_id"], "cash")
    ]
    assert (
        api.post(
            f"/crm/invoice/invoice_id/{invoice['invoice_id']}/pay", json={"method": "cash", "reference": "again"}
        ).status_code
        == 409
    )
    assert api.post(f"/crm/invoice/invoice_id/{invoice['invoice_id']}/void").status_code == 409


def test_manual_payment_needs_a_reference(api):
    customer_id = api.new_customer()
    api.new_transaction(customer_id)
    invoice = generate(api, customer_id)

    response = api.post(f"/crm/invoice/invoice_id/{invoice['invoice_id']}/pay", json={"method": "cash"})

    assert response.status_code == 400
    assert api.get(f"/crm/invoice/invoice_id/{invoice['invoice_id']}").json()["paid"] is False


def test_partial_then_full_manual_refunds(api):
    customer_id = api.new_customer()
    api.new_transaction(customer_id, retail_cost="60.00")
    invoice = generate(api, customer_id)
    path = f"/crm/invoice/invoice_id/{invoice['invoice_id']}"
    assert api.post(f"{path}/refund", json={"reference": "x"}).status_code == 409
    api.post(f"{path}/pay", json={"method": "bank_transfer", "reference": "TRF-1"})

    partial = api.post(f"{path}/refund", json={"amount": "20.00", "reference": "Cash back #1"})
    too_much = api.post(f"{path}/refund", json={"amount": "40.01", "reference": "Cash back #2"})
    rest = api.post(f"{path}/refund", json={"reference": "Cash back #3"})

    assert (partial.json()["status"], partial.json()["refunded_amount"]) == ("Partially Refunded", 20.0)
    assert too_much.status_code == 400
    assert (rest.json()["status"], rest.json()["refunded_amount"]) == ("Refunded", 60.0)


def test_editing_title_and_dates_of_an_unpaid_invoice(api):
    customer_id = api.new_customer()
    api.new_transaction(customer_id)
    invoice = generate(api, customer_id)
    path = f"/crm/invoice/invoice_id/{invoice['invoice_id']}"

    edited = api.patch(path, json={"title": "February", "due_date": "2030-03-01"})
    bad = api.patch(path, json={"total": 1})

    assert (edited.json()["title"], edited.json()["due_date"]) == ("February", "2030-03-01")
    assert bad.status_code == 400


def test_list_search_filters_and_overdue(api_on_each_store):
    api = api_on_each_store
    customer_id = api.new_customer()
    api.new_transaction(customer_id)
    old = generate(api, customer_id, due_date="2020-01-01")
    api.new_transaction(customer_id)
    paid = generate(api, customer_id)
    api.post(f"/crm/invoice/invoice_id/{paid['invoice_id']}/pay", json={"method": "pos", "reference": "POS 1"})

    unpaid = api.get(f"/crm/invoice/customer_id/{customer_id}", params={"filters": json.dumps({"paid": [False]})})
    found = api.get("/crm/invoice/", params={"search": str(paid["invoice_id"])})

    assert [(i["invoice_id"], i["overdue"]) for i in unpaid.json()["data"]] == [(old["invoice_id"], True)]
    assert [i["invoice_id"] for i in found.json()["data"]] == [paid["invoice_id"]]
    stats = api.get("/crm/invoice/stats").json()
    assert (stats["unpaid"], stats["overdue"]) == (30.0, 30.0)


def test_email_request_is_published_for_communications(api):
    customer_id = api.new_customer()
    api.new_transaction(customer_id)
    invoice = generate(api, customer_id)

    response = api.post(f"/crm/invoice/invoice_id/{invoice['invoice_id']}/email", json={"to": "ap@acme.example"})

    assert response.status_code == 200
    from omnibus.testing.helpers import eventually

    message = eventually(lambda: api.published("billing.InvoiceEmailRequested")[0])
    assert json.loads(message.body)["to"] == "ap@acme.example"
    assert api.delete(f"/crm/invoice/invoice_id/{invoice['invoice_id']}").status_code == 409


def test_self_care_sees_own_invoices_only_and_cannot_generate(api):
    mine, theirs = api.new_customer("Mine"), api.new_customer("Theirs")
    api.new_transaction(mine)
    api.new_transaction(theirs)
    own = generate(api, mine)
    other = generate(api, theirs)
    me = api.auth("view_own_customer_invoice", "update_own_customer_invoice", customer_id=mine)

    assert [i["invoice_id"] for i in api.get("/crm/invoice/", headers=me).json()["data"]] == [own["invoice_id"]]
    assert api.get(f"/crm/invoice/invoice_id/{other['invoice_id']}", headers=me).status_code == 404
    assert api.put("/crm/invoice/", json={"customer_id": mine, **PERIOD}, headers=me).status_code == 403
    assert (
        api.post(
            f"/crm/invoice/invoice_id/{own['invoice_id']}/pay", json={"method": "cash", "reference": "x"}, headers=me
        ).status_code
        == 403
    )
    assert api.post(f"/crm/invoice/invoice_id/{own['invoice_id']}/void", headers=me).status_code == 403


@pytest.mark.parametrize("attempts", [8])
def test_concurrent_invoicing_of_one_customer_and_period_yields_one_invoice(api_on_each_store, attempts):
    api = api_on_each_store
    customer_id = api.new_customer()
    for _ in range(3):
        api.new_transaction(customer_id)
    body = {"customer_id": customer_id, "start_date": "2000-01-01", "end_date": "2100-12-31"}

    with ThreadPoolExecutor(attempts) as pool:
        responses = list(pool.map(lambda _: api.put("/crm/invoice/", json=body), range(attempts)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 1, [r.text for r in responses]
    assert set(statuses) <= {200, 400, 409}
    listed = api.get(f"/crm/invoice/customer_id/{customer_id}").json()["data"]
    assert len(listed) == 1 and listed[0]["total"] == 90.0


def test_invoice_events_are_published(api):
    customer_id = api.new_customer()
    line = api.new_transaction(customer_id)
    invoice = generate(api, customer_id)
    api.post(f"/crm/invoice/invoice_id/{invoice['invoice_id']}/pay", json={"method": "cash", "reference": "R1"})
    from omnibus.testing.helpers import eventually

    paid = eventually(lambda: api.published("billing.InvoicePaid")[0])
    generated = json.loads(api.published("billing.InvoiceGenerated")[0].body)

    assert generated["transaction_ids"] == [line["transaction_id"]]
    assert (generated["total"], generated["currency"]) == ("30.00", "usd")
    assert json.loads(paid.body)["amount"] == "30.00"
    assert [json.loads(m.body)["transaction_type"] for m in api.published("billing.TransactionRecorded")] == [
        "charge",
        "payment",
    ]
