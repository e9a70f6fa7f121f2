"""Read-your-writes (api-conventions.md §2; playbooks create then list at once): a write's answer is sent only
once the read model holds it, so the next request sees it. No sleeps and no ``eventually`` here on purpose."""


def test_each_new_site_is_in_the_site_list_on_the_very_next_request(api_on_each_store, a_site):
    api = api_on_each_store
    customer_id = api.new_customer()["customer_id"]
    created = []

    for n in range(8):
        created.append(
            api.put("/crm/site/", json=a_site(customer_id=customer_id, site_name=f"Site {n}")).json()["site_id"]
        )
        listed = api.get(f"/crm/site/customer_id/{customer_id}").json()

        assert [s["site_id"] for s in listed] == created


def test_each_new_customer_is_in_the_customer_list_on_the_very_next_request(api_on_each_store, a_customer):
    api = api_on_each_store
    created = set()

    for n in range(8):
        created.add(api.put("/crm/customer/", json=a_customer(customer_name=f"Customer {n}")).json()["customer_id"])
        listed = api.get("/crm/customers").json()

        assert {c["customer_id"] for c in listed["data"]} == created


def test_a_new_contact_is_embedded_in_its_customer_on_the_very_next_request(api_on_each_store, a_contact):
    api = api_on_each_store
    customer_id = api.new_customer()["customer_id"]

    contact = api.put("/crm/contact/", json=a_contact(customer_id=customer_id)).json()
    embedded = api.get(f"/crm/customer/customer_id/{customer_id}").json()["contacts"]

    assert [c["contact_id"] for c in embedded] == [contact["contact_id"]]


def test_an_archived_customer_leaves_the_list_on_the_very_next_request(api_on_each_store):
    api = api_on_each_store
    customer_id = api.new_customer()["customer_id"]

    api.delete(f"/crm/customer/customer_id/{customer_id}")
    listed = api.get("/crm/customers").json()

    assert listed["data"] == []
