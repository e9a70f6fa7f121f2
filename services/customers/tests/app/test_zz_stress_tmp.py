import pytest
@pytest.mark.parametrize("i", range(300))
def test_stress(api, i):
    a = api.new_customer(customer_account_type="Individual")
    b = api.new_customer(customer_account_type="Business")
    r = api.get("/crm/customers")
    assert r.status_code == 200, r.text
    assert {c["customer_id"] for c in r.json()["data"]} == {a["customer_id"], b["customer_id"]}
    assert len(api.all_published()) == 2
