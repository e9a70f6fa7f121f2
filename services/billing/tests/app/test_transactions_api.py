"""Transaction endpoints over HTTP (billing.md §2.1, §3.1, §4.4, §5)."""

import pytest


def test_recording_a_charge_returns_every_field_of_the_spec(api_on_each_store):
    api = api_on_each_store
    customer_id = api.new_customer()

    response = api.put(
        "/crm/transaction/",
        json={
            "customer_id": customer_id,
            "service_id": 2,
            "title": "Mobile - Setup Costs",
            "description": "SIM",
            "invoice_id": None,
            "retail_cost": 5.00,
            "wholesale_cost": 1.50,
            "tax_percentage": 10,
        },
    )

    body = response.json()
    assert response.status_code == 200, body
    assert isinstance(body["transaction_id"], int)
    assert (body["customer_id"], body["service_id"], body["invoice_id"]) == (customer_id, 2, None)
    assert (body["retail_cost"], body["wholesale_cost"]) == (5.0, 1.5)
    assert (body["tax_percentage"], body["tax_amount"]) == (10.0, 0.5)
    assert (body["transaction_type"], body["source"], body["currency"], body["void"]) == (
        "charge",
        "manual",
        "usd",
        False,
    )
    assert body["created"].endswith("Z")


def test_post_is_an_alias_of_put(api):
    customer_id = api.new_customer()

    response = api.post("/crm/transaction/", json={"customer_id": customer_id, "title": "Fee", "retail_cost": 1})

    assert response.status_code == 200


def test_a_credit_typed_as_a_positive_amount_is_stored_negative(api):
    customer_id = api.new_customer()

    body = api.new_transaction(customer_id, title="Outage credit", retail_cost="10.00", transaction_type="credit")

    assert (body["retail_cost"], body["transaction_type"]) == (-10.0, "credit")


def test_a_negative_amount_without_a_type_is_a_credit(api):
    customer_id = api.new_customer()

    body = api.new_transaction(customer_id, retail_cost=-10, tax_percentage=10)

    assert (body["transaction_type"], body["retail_cost"], body["tax_amount"]) == ("credit", -10.0, -1.0)


@pytest.mark.parametrize(
    "retail, percentage, tax",
    [
        ("9.99", "17.5", 1.75),
        ("0.05", "10", 0.01),
        ("0.04", "12.5", 0.01),
        ("33.33", "33.3333", 11.11),
        ("-0.05", "10", -0.01),
        ("1000000.00", "20", 200000.0),
        ("19.99", "0", 0.0),
    ],
)
def test_tax_is_rounded_half_up_to_the_cent_per_line(api, retail, percentage, tax):
    customer_id = api.new_customer()

    body = api.new_transaction(customer_id, retail_cost=retail, tax_percentage=percentage)

    assert body["tax_amount"] == tax


@pytest.mark.parametrize(
    "field, value",
    [
        ("retail_cost", "abc"),
        ("retail_cost", "1.005"),
        ("retail_cost", True),
        ("retail_cost", "NaN"),
        ("retail_cost", 1e12),
        ("tax_percentage", 101),
        ("tax_percentage", -1),
        ("title", ""),
        ("customer_id", 0),
        ("transaction_type", "gift"),
        ("payment_method", "bitcoin"),
        ("unknown_field", 1),
    ],
)
def test_bad_input_is_refused_with_400_and_records_nothing(api, field, value):
    customer_id = api.new_customer()
    body = {"customer_id": customer_id, "title": "Fee", "retail_cost": "1.00", field: value}

    response = api.put("/crm/transaction/", json=body)

    assert response.status_code == 400, response.text
    assert api.get(f"/crm/transaction/customer_id/{customer_id}").json()["data"] == []


def test_a_negative_charge_is_refused(api):
    customer_id = api.new_customer()

    response = api.put(
        "/crm/transaction/",
        json={"customer_id": customer_id, "title": "x", "retail_cost": -1, "transaction_type": "charge"},
    )

    assert response.status_code == 400


def test_numbers_as_strings_are_accepted_as_playbooks_send_them(api):
    customer_id = api.new_customer()

    response = api.put(
        "/crm/transaction/",
        json={"customer_id": str(customer_id), "title": "Fee", "retail_cost": "45.00", "service_id": "12"},
    )

    assert response.status_code == 200
    assert (response.json()["retail_cost"], response.json()["service_id"]) == (45.0, 12)


def test_an_unknown_customer_is_404(api):
    response = api.put("/crm/transaction/", json={"customer_id": 999, "title": "Fee", "retail_cost": 1})

    assert response.status_code == 404


def test_a_reused_idempotency_key_is_409_and_records_nothing_more(api):
    customer_id = api.new_customer()
    first = api.new_transaction(customer_id, idempotency_key="addon-42")

    again = api.put(
        "/crm/transaction/",
        json={"customer_id": customer_id, "title": "Fee", "retail_cost": 1, "idempotency_key": "addon-42"},
    )

    assert again.status_code == 409
    assert again.json()["details"] == {"transaction_id": first["transaction_id"]}
    assert len(api.get(f"/crm/transaction/customer_id/{customer_id}").json()["data"]) == 1


def test_get_one_transaction_and_404_for_unknown(api):
    customer_id = api.new_customer()
    created = api.new_transaction(customer_id)

    found = api.get(f"/crm/transaction/transaction_id/{created['transaction_id']}")
    missing = api.get("/crm/transaction/transaction_id/999999")

    assert found.json() == created
    assert missing.status_code == 404


def test_lists_filter_not_invoiced_and_page(api_on_each_store):
    api = api_on_each_store
    customer_id = api.new_customer()
    ids = [api.new_transaction(customer_id, title=f"Line {n}")["transaction_id"] for n in range(3)]
    api.put(
        "/crm/invoice/",
        json={
            "customer_id": customer_id,
            "start_date": "2000-01-01",
            "end_date": "2100-01-01",
            "transaction_ids": [ids[0]],
        },
    )

    not_invoiced = api.get(
        f"/crm/transaction/customer_id/{customer_id}",
        params={"filters": '{"invoice_id": [null]}', "sort": "transaction_id", "order": "asc"},
    )
    page = api.get("/crm/transaction/", params={"per_page": 2, "page": 2, "sort": "transaction_id", "order": "asc"})

    assert [t["transaction_id"] for t in not_invoiced.json()["data"]] == ids[1:]
    assert page.json()["pagination"] == {"current_page": 2, "per_page": 2, "total_pages": 2, "total_items": 3}
    assert [t["transaction_id"] for t in page.json()["data"]] == [ids[2]]


def test_bad_filters_and_sorts_are_400(api):
    assert api.get("/crm/transaction/", params={"filters": '{"colour": ["red"]}'}).status_code == 400
    assert api.get("/crm/transaction/", params={"sort": "colour"}).status_code == 400


def test_editing_an_uninvoiced_line_recomputes_its_tax(api):
    customer_id = api.new_customer()
    line = api.new_transaction(customer_id, retail_cost="50.00")

    edited = api.patch(
        f"/crm/transaction/transaction_id/{line['transaction_id']}",
        json={"tax_percentage": 10, "title": "Installation"},
    )

    assert edited.status_code == 200
    assert (edited.json()["tax_amount"], edited.json()["title"]) == (5.0, "Installation")


def test_void_by_patch_or_delete_keeps_the_line_marked_void(api):
    customer_id = api.new_customer()
    one, two = api.new_transaction(customer_id), api.new_transaction(customer_id)

    patched = api.patch(f"/crm/transaction/transaction_id/{one['transaction_id']}", json={"void": True})
    deleted = api.delete(f"/crm/transaction/transaction_id/{two['transaction_id']}")

    assert patched.json()["void"] is True
    assert deleted.json() == {"result": "success"}
    assert api.get(f"/crm/transaction/transaction_id/{two['transaction_id']}").json()["void"] is True


def test_an_invoiced_line_cannot_be_edited_voided_or_deleted(api):
    customer_id = api.new_customer()
    line = api.new_transaction(customer_id)
    api.put("/crm/invoice/", json={"customer_id": customer_id, "start_date": "2000-01-01", "end_date": "2100-01-01"})
    path = f"/crm/transaction/transaction_id/{line['transaction_id']}"

    assert api.patch(path, json={"title": "x"}).status_code == 409
    assert api.patch(path, json={"void": True}).status_code == 409
    assert api.delete(path).status_code == 409


def test_stats_sum_non_void_charges_and_credits(api):
    customer_id = api.new_customer()
    api.new_transaction(customer_id, retail_cost="50.00")
    api.new_transaction(customer_id, retail_cost="45.00")
    api.new_transaction(customer_id, retail_cost="10.00", transaction_type="credit")
    voided = api.new_transaction(customer_id, retail_cost="99.00")
    api.delete(f"/crm/transaction/transaction_id/{voided['transaction_id']}")

    stats = api.get("/crm/transaction/stats", params={"customer_id": customer_id}).json()

    assert stats == {"total": 85.0, "uninvoiced": 85.0, "this_month": 85.0, "last_month": 0.0}


def test_permissions_are_checked_on_every_endpoint(api):
    customer_id = api.new_customer()
    line = api.new_transaction(customer_id)
    viewer = api.auth("view_customer_transaction")

    assert (
        api.put(
            "/crm/transaction/", json={"customer_id": customer_id, "title": "x", "retail_cost": 1}, headers=viewer
        ).status_code
        == 403
    )
    assert (
        api.patch(
            f"/crm/transaction/transaction_id/{line['transaction_id']}", json={"title": "y"}, headers=viewer
        ).status_code
        == 403
    )
    assert api.delete(f"/crm/transaction/transaction_id/{line['transaction_id']}", headers=viewer).status_code == 403
    assert api.get("/crm/transaction/", headers=api.auth("view_customer")).status_code == 403
    assert api.get("/crm/transaction/", headers={}).status_code == 401


def test_self_care_users_see_only_their_own_lines(api):
    mine, theirs = api.new_customer("Mine"), api.new_customer("Theirs")
    own_line = api.new_transaction(mine)
    other_line = api.new_transaction(theirs)
    me = api.auth("view_own_customer_transaction", customer_id=mine)

    listed = api.get("/crm/transaction/", headers=me).json()["data"]

    assert [t["transaction_id"] for t in listed] == [own_line["transaction_id"]]
    assert api.get(f"/crm/transaction/customer_id/{theirs}", headers=me).status_code == 404
    assert api.get(f"/crm/transaction/transaction_id/{other_line['transaction_id']}", headers=me).status_code == 404


def test_a_payment_row_may_name_an_invoice_of_the_same_customer_only(api):
    mine, theirs = api.new_customer("Mine"), api.new_customer("Theirs")
    api.new_transaction(theirs)
    their_invoice = api.put(
        "/crm/invoice/", json={"customer_id": theirs, "start_date": "2000-01-01", "end_date": "2100-01-01"}
    ).json()
    body = {
        "customer_id": mine,
        "title": "Cash",
        "retail_cost": 5,
        "transaction_type": "payment",
        "payment_method": "cash",
    }

    assert api.put("/crm/transaction/", json={**body, "invoice_id": their_invoice["invoice_id"]}).status_code == 400
    assert api.put("/crm/transaction/", json={**body, "invoice_id": 999}).status_code == 400
    assert api.put("/crm/transaction/", json={**body, "invoice_id": None}).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/crm/transaction/transaction_id/99999999999999999999",
        "/crm/transaction/customer_id/99999999999999999999",
        "/crm/invoice/invoice_id/99999999999999999999",
        "/crm/invoice/99999999999999999999/pdf",
        "/crm/transaction/transaction_id/0",
        "/crm/transaction/stats?customer_id=99999999999999999999",
    ],
)
def test_out_of_range_ids_are_refused_with_400_not_a_server_error(api, path):
    assert api.get(path).status_code == 400
