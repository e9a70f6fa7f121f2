"""Every endpoint needs its permission (permissions.md: CRUD sets product, inventory, inventory_template)."""

from typing import Any

import pytest

# (method, path, permission, body); {p}, {t}, {i} are filled with a product, a template and an item.
ENDPOINTS = [
    ("GET", "/crm/product/", "view_product", None),
    ("GET", "/crm/product/paginated", "view_product", None),
    ("GET", "/crm/product/available?customer_type=Individual", "view_product", None),
    ("GET", "/crm/product/product_id/{p}", "view_product", None),
    ("PUT", "/crm/product/", "create_product", "product"),
    ("PATCH", "/crm/product/product_id/{p}", "update_product", {"comment": "x"}),
    ("POST", "/crm/product/product_id/{p}/clone", "create_product", None),
    ("DELETE", "/crm/product/product_id/{p}", "delete_product", None),
    ("PUT", "/crm/inventory_template/", "create_inventory_template", "template"),
    ("GET", "/crm/inventory_template/", "view_inventory_template", None),
    ("GET", "/crm/inventory_template/inventory_template_id/{t}", "view_inventory_template", None),
    ("PATCH", "/crm/inventory_template/inventory_template_id/{t}", "update_inventory_template", {"icon": "x"}),
    ("DELETE", "/crm/inventory_template/inventory_template_id/{e}", "delete_inventory_template", None),
    ("PUT", "/crm/inventory/", "create_inventory", "item"),
    ("GET", "/crm/inventory/", "view_inventory", None),
    ("GET", "/crm/inventory/stats", "view_inventory", None),
    ("GET", "/crm/inventory/customer_id/5", "view_inventory", None),
    ("GET", "/crm/inventory/inventory_id/{i}", "view_inventory", None),
    ("PATCH", "/crm/inventory/inventory_id/{i}", "update_inventory", {"inventory_notes": "x"}),
    ("POST", "/crm/inventory/reserve", "update_inventory", {"job_id": "j", "item": "SIM Card"}),
    ("POST", "/crm/inventory/inventory_id/{i}/release_reservation", "update_inventory", {"job_id": "j"}),
    ("POST", "/crm/inventory/inventory_id/{i}/assign_reserved", "update_inventory", {"job_id": "j", "customer_id": 1}),
    ("DELETE", "/crm/inventory/inventory_id/{i}", "delete_inventory", None),
    ("GET", "/crm/inventory/import/1", "view_inventory", None),
]
ROLE_PERMISSIONS = {"finance": "view_product", "read-only": "view_inventory"}


@pytest.fixture
def ids(api: Any) -> dict[str, Any]:
    template = api.new_template(item="SIM Card")
    empty = api.new_template(item="Unused")
    return {
        "p": api.new_product()["product_id"],
        "t": template["inventory_template_id"],
        "e": empty["inventory_template_id"],
        "i": api.new_item(template["inventory_template_id"])["inventory_id"],
    }


def _call(api: Any, ids: dict[str, Any], endpoint: tuple[str, str, str, Any], headers: dict[str, str]) -> Any:
    method, path, _, body = endpoint
    if body == "product":
        body = api.product_body()
    elif body == "template":
        body = api.template_body()
    elif body == "item":
        body = {"inventory_template_id": ids["t"], "itemtext1": "8944000000000000999"}
    return api.client.request(method, path.format(**ids), json=body, headers=headers)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e[0]} {e[1]}")
def test_without_credentials_the_answer_is_401(api: Any, ids: dict[str, Any], endpoint: Any) -> None:
    assert _call(api, ids, endpoint, {}).status_code == 401


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e[0]} {e[1]}")
def test_without_the_permission_the_answer_is_403(api: Any, ids: dict[str, Any], endpoint: Any) -> None:
    others = [p for p in ("view_customer", "view_product", "view_inventory", "update_inventory") if p != endpoint[2]]

    response = _call(api, ids, endpoint, api.auth(*others))

    assert response.status_code == 403, response.text
    assert response.json() == {"message": f"Permission denied: requires {endpoint[2]}"}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e[0]} {e[1]}")
def test_with_only_the_permission_the_call_is_allowed(api: Any, ids: dict[str, Any], endpoint: Any) -> None:
    response = _call(api, ids, endpoint, api.auth(endpoint[2]))

    assert response.status_code not in (401, 403), response.text
    assert response.status_code < 500


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("Finance", "/crm/product/", 200),
        ("Finance", "/crm/inventory/", 403),
        ("Provisioning_Specialist", "/crm/inventory/", 200),
        ("read-only", "/crm/inventory_template/", 200),
        ("Support", "/crm/product/", 403),
    ],
)
def test_the_documented_roles_reach_the_catalog(api: Any, role: str, path: str, status: int) -> None:
    import time

    import jwt

    claims = {"sub": "9", "roles": [role], "token_type": "access", "exp": int(time.time()) + 600}
    token = jwt.encode(claims, api.signing_key, algorithm="EdDSA")

    assert api.client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == status


def test_an_api_key_from_the_config_works(api: Any) -> None:
    assert api.client.get("/crm/product/", headers={"X-API-KEY": api.admin_key}).status_code == 200
    assert api.client.get("/crm/product/", headers={"X-API-KEY": "wrong" * 8}).status_code == 401


def test_include_disabled_is_for_product_editors(api: Any) -> None:
    viewer = api.auth("view_product")

    assert api.get("/crm/product/paginated", params={"include_disabled": "true"}, headers=viewer).status_code == 403
    assert (
        api.get(
            "/crm/product/paginated",
            params={"include_disabled": "true"},
            headers=api.auth("view_product", "update_product"),
        ).status_code
        == 200
    )


def test_self_care_users_cannot_see_inventory_or_change_products(api: Any, ids: dict[str, Any]) -> None:
    customer = api.auth("view_own_customer", customer_id=5)

    assert api.get(f"/crm/inventory/inventory_id/{ids['i']}", headers=customer).status_code == 403
    assert api.patch(f"/crm/product/product_id/{ids['p']}", json={"comment": "x"}, headers=customer).status_code == 403
    assert api.get("/crm/product/paginated", headers=customer).status_code == 403
