"""Global search over HTTP (customers.md §4.7; D48): matches, relevance, paging, closed records, permissions."""

import pytest


def search(api, term, **params):
    response = api.get("/utilities/search_everything", params={"search": term, **params})
    assert response.status_code == 200, response.text
    return response.json()


def hits(body):
    return [(r["type"], r["id"]) for r in body["data"]]


def test_a_name_finds_the_customer_and_its_contact_in_the_documented_shape(api_on_each_store, a_contact):
    customer = api_on_each_store.new_customer(customer_name="John Smith", contact=a_contact())
    contact = api_on_each_store.get(f"/crm/contact/customer_id/{customer['customer_id']}").json()[0]

    body = search(api_on_each_store, "Smith")

    assert body["data"] == [
        {
            "id": customer["customer_id"],
            "name": "John Smith",
            "customer_id": customer["customer_id"],
            "type": "customer",
        },
        {"id": contact["contact_id"], "name": "John Smith", "customer_id": customer["customer_id"], "type": "contact"},
    ]
    assert body["pagination"] == {"current_page": 1, "per_page": 10, "total_pages": 1, "total_items": 2}


@pytest.mark.parametrize(
    "term, kind",
    [
        ("john@acme.example", "contact"),
        ("7700 900", "contact"),
        ("Downing", "site"),
        ("SW1A", "site"),
        ("Head office", "site"),
        ("SIM - 0412", "service"),
        ("8f14e45f-ceea", "service"),
        ("ACME corp", "customer"),
    ],
)
def test_each_kind_is_found_by_its_fields(api, a_contact, a_site, term, kind):
    customer = api.new_customer(customer_name="Acme Corporation", contact=a_contact(), site=a_site())
    api.new_service(customer["customer_id"], service_uuid="Mobile_8f14e45f-ceea-467f")

    body = search(api, term)

    assert [r["type"] for r in body["data"]] == [kind]
    assert body["data"][0]["customer_id"] == customer["customer_id"]


def test_exact_names_rank_before_prefixes_before_other_matches(api):
    inside = api.new_customer(customer_name="Big Nova Ltd")
    prefix = api.new_customer(customer_name="Nova Systems")
    exact = api.new_customer(customer_name="Nova")

    body = search(api, "nova")

    assert hits(body) == [
        ("customer", exact["customer_id"]),
        ("customer", prefix["customer_id"]),
        ("customer", inside["customer_id"]),
    ]


def test_results_are_paged(api_on_each_store):
    ids = [api_on_each_store.new_customer(customer_name=f"Pagina {n}")["customer_id"] for n in range(5)]

    first = search(api_on_each_store, "pagina", per_page=2)
    third = search(api_on_each_store, "pagina", per_page=2, page=3)
    beyond = search(api_on_each_store, "pagina", per_page=2, page=4)

    assert [r["id"] for r in first["data"]] == ids[:2]
    assert [r["id"] for r in third["data"]] == ids[4:]
    assert third["pagination"] == {"current_page": 3, "per_page": 2, "total_pages": 3, "total_items": 5}
    assert beyond["data"] == [] and beyond["pagination"]["total_items"] == 5


def test_closed_customers_show_only_when_asked(api_on_each_store, a_contact):
    closed = api_on_each_store.new_customer(
        customer_name="Acme Closedown", contact=a_contact(contact_lastname="Closedown")
    )
    api_on_each_store.patch(f"/crm/customer/customer_id/{closed['customer_id']}", json={"customer_status": "Closed"})

    default = search(api_on_each_store, "closedown")
    everything = search(api_on_each_store, "closedown", search_closed_records="true")

    assert [r["type"] for r in default["data"]] == ["contact"]  # D48: the filter is on the customer branch only
    assert [r["type"] for r in everything["data"]] == ["customer", "contact"]


def test_renames_removals_and_deletions_are_reflected(api, a_contact):
    customer = api.new_customer(customer_name="Oldname Ltd", contact=a_contact(contact_lastname="Zebedee"))
    contact = api.get(f"/crm/contact/customer_id/{customer['customer_id']}").json()[0]
    service = api.new_service(customer["customer_id"], service_name="Zebedee line")

    api.patch(f"/crm/customer/customer_id/{customer['customer_id']}", json={"customer_name": "Newname Ltd"})
    api.delete(f"/crm/contact/contact_id/{contact['contact_id']}")
    api.delete(f"/crm/service/service_id/{service['service_id']}")

    assert search(api, "oldname")["data"] == []
    assert [r["name"] for r in search(api, "newname")["data"]] == ["Newname Ltd"]
    assert search(api, "zebedee")["data"] == []


def test_a_contact_update_keeps_its_other_fields_searchable(api, a_contact):
    customer = api.new_customer(contact=a_contact(contact_email="keep@acme.example"))
    contact = api.get(f"/crm/contact/customer_id/{customer['customer_id']}").json()[0]

    api.patch(f"/crm/contact/contact_id/{contact['contact_id']}", json={"contact_firstname": "Jonathan"})

    assert [r["name"] for r in search(api, "keep@acme")["data"]] == ["Jonathan Smith"]


def test_like_wildcards_in_the_term_are_matched_literally(api):
    api.new_customer(customer_name="100% Fibre")
    api.new_customer(customer_name="1000 Fibres")

    assert [r["name"] for r in search(api, "100%")["data"]] == ["100% Fibre"]


@pytest.mark.parametrize(
    "params", [{}, {"search": ""}, {"search": "   "}, {"search": "x", "page": 0}, {"search": "x", "per_page": 101}]
)
def test_bad_parameters_are_400(api, params):
    assert api.get("/utilities/search_everything", params=params).status_code == 400


def test_search_needs_view_customer(api):
    assert api.client.get("/utilities/search_everything", params={"search": "x"}).status_code == 401
    assert (
        api.get(
            "/utilities/search_everything", params={"search": "x"}, headers=api.auth("view_customer_site")
        ).status_code
        == 403
    )


def test_rows_of_types_the_caller_cannot_view_are_left_out(api, a_contact, a_site):
    customer = api.new_customer(
        customer_name="Vortex Ltd", contact=a_contact(contact_lastname="Vortex"), site=a_site(site_name="Vortex HQ")
    )
    api.new_service(customer["customer_id"], service_name="Vortex line")

    only_customers = api.get(
        "/utilities/search_everything", params={"search": "vortex"}, headers=api.auth("view_customer")
    ).json()
    with_sites = api.get(
        "/utilities/search_everything",
        params={"search": "vortex"},
        headers=api.auth("view_customer", "view_customer_site"),
    ).json()

    assert [r["type"] for r in only_customers["data"]] == ["customer"]
    assert [r["type"] for r in with_sites["data"]] == ["customer", "site"]
    assert with_sites["pagination"]["total_items"] == 2
