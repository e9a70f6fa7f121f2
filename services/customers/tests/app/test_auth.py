"""Authentication and permissions on the customers endpoints (api-conventions.md §5; permissions.md; D12, D14, D34)."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def test_a_request_without_credentials_is_401_with_a_message(api):
    response = api.client.get("/crm/customers")

    assert response.status_code == 401
    assert set(response.json()) == {"message"}


def test_a_token_that_is_not_a_jwt_is_401(api):
    response = api.client.get("/crm/customers", headers={"Authorization": "Bearer not-a-jwt"})

    assert response.status_code == 401
    assert "message" in response.json()


def test_a_token_signed_with_another_key_is_401(api):
    claims = {"sub": "7", "permissions": ["admin"], "token_type": "access", "exp": int(time.time()) + 600}
    forged = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA")

    response = api.client.get("/crm/customers", headers={"Authorization": f"Bearer {forged}"})

    assert response.status_code == 401


def test_an_expired_token_is_401(api):
    claims = {"sub": "7", "permissions": ["admin"], "token_type": "access", "exp": int(time.time()) - 60}
    expired = jwt.encode(claims, api.signing_key, algorithm="EdDSA")

    response = api.client.get("/crm/customers", headers={"Authorization": f"Bearer {expired}"})

    assert response.status_code == 401


def test_a_refresh_token_is_not_accepted_as_an_access_token(api):
    claims = {"sub": "7", "permissions": ["admin"], "token_type": "refresh", "exp": int(time.time()) + 600}
    refresh = jwt.encode(claims, api.signing_key, algorithm="EdDSA")

    response = api.client.get("/crm/customers", headers={"Authorization": f"Bearer {refresh}"})

    assert response.status_code == 401


def test_a_token_without_the_permission_is_403_with_a_message(api):
    response = api.get("/crm/customers", headers=api.auth("view_product"))

    assert response.status_code == 403
    assert set(response.json()) == {"message"}


def test_view_customer_can_read_customers(api):
    customer = api.new_customer()

    listed = api.get("/crm/customers", headers=api.auth("view_customer"))
    one = api.get(f"/crm/customer/customer_id/{customer['customer_id']}", headers=api.auth("view_customer"))

    assert listed.status_code == 200
    assert one.status_code == 200


def test_view_customer_cannot_create_a_customer(api, a_customer):
    response = api.put("/crm/customer/", json=a_customer(), headers=api.auth("view_customer"))

    assert response.status_code == 403
    assert api.get("/crm/customers").json()["data"] == []


def test_permission_names_are_case_insensitive(api):
    response = api.get("/crm/customers", headers=api.auth("VIEW_CUSTOMER"))

    assert response.status_code == 200


ENDPOINTS = [
    ("PUT", "/crm/customer/", "create_customer"),
    ("GET", "/crm/customer/customer_id/{customer_id}", "view_customer"),
    ("GET", "/crm/customers", "view_customer"),
    ("GET", "/crm/customer/", "view_customer"),
    ("PATCH", "/crm/customer/customer_id/{customer_id}", "update_customer"),
    ("DELETE", "/crm/customer/customer_id/{customer_id}", "delete_customer"),
    ("PUT", "/crm/contact/", "create_customer_contact"),
    ("GET", "/crm/contact/customer_id/{customer_id}", "view_customer_contact"),
    ("GET", "/crm/contact/contact_id/{contact_id}", "view_customer_contact"),
    ("PATCH", "/crm/contact/contact_id/{contact_id}", "update_customer_contact"),
    ("DELETE", "/crm/contact/contact_id/{contact_id}", "delete_customer_contact"),
    ("PUT", "/crm/site/", "create_customer_site"),
    ("GET", "/crm/site/customer_id/{customer_id}", "view_customer_site"),
    ("GET", "/crm/site/site_id/{site_id}", "view_customer_site"),
    ("PATCH", "/crm/site/site_id/{site_id}", "update_customer_site"),
    ("DELETE", "/crm/site/site_id/{site_id}", "delete_customer_site"),
]


def _call(api, method, path, headers):
    customer = api.new_customer(contact={"contact_firstname": "Ann"}, site={"city": "Leeds"})
    ids = {
        "customer_id": customer["customer_id"],
        "contact_id": customer["contacts"][0]["contact_id"],
        "site_id": customer["sites"][0]["site_id"],
    }
    bodies = {
        ("PUT", "/crm/customer/"): {"customer_name": "New"},
        ("PUT", "/crm/contact/"): {"customer_id": ids["customer_id"], "contact_firstname": "Bob"},
        ("PUT", "/crm/site/"): {"customer_id": ids["customer_id"], "city": "York"},
    }
    patches = {
        "customer": {"customer_name": "Renamed"},
        "contact": {"contact_firstname": "Al"},
        "site": {"city": "Hull"},
    }
    body = bodies.get((method, path))
    if method == "PATCH":
        body = patches[path.split("/")[2]]
    return api.request(method, path.format(**ids), json=body, headers=headers)


@pytest.mark.parametrize("method, path, permission", ENDPOINTS)
def test_each_endpoint_is_allowed_with_its_permission(api, method, path, permission):
    response = _call(api, method, path, api.auth(permission))

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("method, path, permission", ENDPOINTS)
def test_each_endpoint_is_403_without_its_permission(api, method, path, permission):
    others = sorted({p for _, _, p in ENDPOINTS} - {permission})

    response = _call(api, method, path, api.auth(*others))

    assert response.status_code == 403


def test_the_admin_api_key_in_x_api_key_is_accepted(api, a_customer):
    response = api.client.put("/crm/customer/", json=a_customer(), headers={"X-API-KEY": api.admin_key})

    assert response.status_code == 200


def test_a_wrong_api_key_is_401(api):
    response = api.client.get("/crm/customers", headers={"X-API-KEY": "x" * 40})

    assert response.status_code == 401
    assert set(response.json()) == {"message"}


@pytest.mark.parametrize("scheme", ["", "Bearer "])
def test_an_api_key_sent_in_authorization_is_401(api, scheme):
    response = api.client.get("/crm/customers", headers={"Authorization": f"{scheme}{api.admin_key}"})

    assert response.status_code == 401


def test_a_pinned_api_key_is_accepted_from_its_network(api):
    client = api.from_address("192.0.2.10")

    response = client.get("/crm/customers", headers={"X-API-KEY": api.pinned_key})

    assert response.status_code == 200


def test_a_pinned_api_key_used_from_another_address_is_403(api):
    client = api.from_address("10.1.2.3")

    response = client.get("/crm/customers", headers={"X-API-KEY": api.pinned_key})

    assert response.status_code == 403
    assert "message" in response.json()


def test_a_whitelisted_address_without_credentials_gets_its_roles(api):
    api.new_customer()
    client = api.from_address(api.whitelisted_ip)

    response = client.get("/crm/customers")

    assert response.status_code == 200
    assert response.json()["pagination"]["total_items"] == 1


def test_a_whitelisted_address_gets_only_its_roles(api, a_customer):
    client = api.from_address(api.whitelisted_ip)

    response = client.put("/crm/customer/", json=a_customer())

    assert response.status_code == 403


def test_an_address_that_is_not_whitelisted_needs_credentials(api):
    client = api.from_address("198.51.100.8")

    response = client.get("/crm/customers")

    assert response.status_code == 401


def test_a_bad_token_from_a_whitelisted_address_is_still_401(api):
    client = api.from_address(api.whitelisted_ip)

    response = client.get("/crm/customers", headers={"Authorization": "Bearer junk"})

    assert response.status_code == 401


class TestOwnScope:
    """A customer user (``view_own_*`` / ``update_own_*`` with a ``customer_id`` claim) sees only its customer."""

    @pytest.fixture
    def two_customers(self, api):
        mine = api.new_customer(customer_name="Mine", contact={"contact_firstname": "Me"}, site={"city": "Leeds"})
        other = api.new_customer(customer_name="Other", contact={"contact_firstname": "Them"}, site={"city": "York"})
        return mine["customer_id"], other["customer_id"]

    def test_an_own_scoped_user_can_read_its_customer(self, api, two_customers):
        mine, _ = two_customers

        response = api.get(f"/crm/customer/customer_id/{mine}", headers=api.auth("view_own_customer", customer_id=mine))

        assert response.status_code == 200
        assert response.json()["customer_name"] == "Mine"

    def test_another_customer_is_404_to_an_own_scoped_user(self, api, two_customers):
        mine, other = two_customers

        response = api.get(
            f"/crm/customer/customer_id/{other}", headers=api.auth("view_own_customer", customer_id=mine)
        )

        assert response.status_code == 404

    def test_an_own_scoped_user_lists_only_its_customer(self, api, two_customers):
        mine, _ = two_customers
        headers = api.auth("view_own_customer", customer_id=mine)

        listed = api.get("/crm/customers", headers=headers).json()
        bare = api.get("/crm/customer/", headers=headers).json()

        assert [c["customer_id"] for c in listed["data"]] == [mine]
        assert listed["pagination"]["total_items"] == 1
        assert [c["customer_id"] for c in bare] == [mine]

    def test_an_own_scoped_user_can_rename_its_customer(self, api, two_customers):
        mine, _ = two_customers

        response = api.patch(
            f"/crm/customer/customer_id/{mine}",
            json={"customer_name": "Mine Renamed"},
            headers=api.auth("update_own_customer", customer_id=mine),
        )

        assert response.status_code == 200
        assert response.json()["customer_name"] == "Mine Renamed"

    def test_an_own_scoped_user_cannot_change_its_status(self, api, two_customers):
        mine, _ = two_customers

        response = api.patch(
            f"/crm/customer/customer_id/{mine}",
            json={"customer_status": "Closed"},
            headers=api.auth("update_own_customer", customer_id=mine),
        )

        assert response.status_code == 403
        assert api.get(f"/crm/customer/customer_id/{mine}").json()["customer_status"] == "Open"

    def test_an_own_scoped_user_cannot_rename_another_customer(self, api, two_customers):
        mine, other = two_customers

        response = api.patch(
            f"/crm/customer/customer_id/{other}",
            json={"customer_name": "Hijacked"},
            headers=api.auth("update_own_customer", customer_id=mine),
        )

        assert response.status_code == 404
        assert api.get(f"/crm/customer/customer_id/{other}").json()["customer_name"] == "Other"

    def test_an_own_scoped_user_cannot_archive_its_customer(self, api, two_customers):
        mine, _ = two_customers

        response = api.delete(
            f"/crm/customer/customer_id/{mine}",
            headers=api.auth("view_own_customer", "update_own_customer", customer_id=mine),
        )

        assert response.status_code == 403

    def test_an_own_scoped_permission_without_a_customer_claim_is_403(self, api, two_customers):
        mine, _ = two_customers

        response = api.get(f"/crm/customer/customer_id/{mine}", headers=api.auth("view_own_customer"))

        assert response.status_code == 403

    def test_an_own_scoped_user_lists_only_its_contacts_and_sites(self, api, two_customers):
        mine, other = two_customers
        headers = api.auth("view_own_customer_contact", "view_own_customer_site", customer_id=mine)

        my_contacts = api.get(f"/crm/contact/customer_id/{mine}", headers=headers)
        my_sites = api.get(f"/crm/site/customer_id/{mine}", headers=headers)
        their_contacts = api.get(f"/crm/contact/customer_id/{other}", headers=headers)
        their_sites = api.get(f"/crm/site/customer_id/{other}", headers=headers)

        assert [c["contact_firstname"] for c in my_contacts.json()] == ["Me"]
        assert [s["city"] for s in my_sites.json()] == ["Leeds"]
        assert (their_contacts.status_code, their_sites.status_code) == (404, 404)

    def test_another_customers_contact_and_site_are_404_to_an_own_scoped_user(self, api, two_customers):
        mine, other = two_customers
        headers = api.auth("view_own_customer_contact", "view_own_customer_site", customer_id=mine)
        theirs = api.get(f"/crm/customer/customer_id/{other}").json()
        their_site = api.get(f"/crm/site/customer_id/{other}").json()[0]

        contact = api.get(f"/crm/contact/contact_id/{theirs['contacts'][0]['contact_id']}", headers=headers)
        site = api.get(f"/crm/site/site_id/{their_site['site_id']}", headers=headers)

        assert (contact.status_code, site.status_code) == (404, 404)
