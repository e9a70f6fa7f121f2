"""Role -> permission resolution (permissions.md §1-§3, D19, D33).

Until identity publishes roles, the reference product's documented roles are built in. A role name that is itself
a permission (config keys like ``roles: ["view_customer", "view_service"]``) grants that permission. Names are
case-insensitive; the UI API-key aliases resolve to RBAC names.
"""

from collections.abc import Iterable, Mapping

CRUD = ("view", "create", "update", "delete")


def crud(resource: str) -> set[str]:
    return {f"{action}_{resource}" for action in CRUD}


CUSTOMER_RESOURCES = (
    "customer",
    "customer_site",
    "customer_contact",
    "customer_attribute",
    "customer_tag",
    "customer_service",
    "customer_activity",
    "communication",
)
OTHER_RESOURCES = (
    "product",
    "inventory",
    "inventory_template",
    "provision",
    "provision_event",
    "customer_stripe_card",
    "customer_transaction",
    "customer_invoice",
    "cbc_message",
)

OWN_PERMISSIONS = frozenset(
    {
        "view_own_customer",
        "update_own_customer",
        "view_own_customer_site",
        "view_own_customer_contact",
        "view_own_customer_service",
        "view_own_provision",
        "create_own_provision",
        "view_own_customer_transaction",
        "view_own_customer_invoice",
        "update_own_customer_invoice",
        "view_own_customer_stripe_card",
        "create_own_customer_stripe_card",
        "update_own_customer_stripe_card",
        "delete_own_customer_stripe_card",
    }
)

ALL_PERMISSIONS = frozenset(
    {"admin", "can_impersonate", "manage_api_keys", "cgrates_api_access", "cgrates_api_write", "approve_cbc_message"}
    | {p for r in CUSTOMER_RESOURCES + OTHER_RESOURCES for p in crud(r)}
    | OWN_PERMISSIONS
)

_PROVISIONING_SPECIALIST = frozenset(
    {
        "view_customer",
        "view_customer_service",
        "create_customer_service",
        "update_customer_service",
        "view_provision",
        "create_provision",
        "view_inventory",
        "view_product",
    }
)

DEFAULT_ROLES: Mapping[str, frozenset[str]] = {
    "admin": frozenset({"admin"}),
    "support": frozenset(
        {
            "view_customer",
            "update_customer",
            "view_customer_service",
            "update_customer_service",
            "view_communication",
            "create_communication",
            "view_provision",
            "create_provision",
            "view_customer_contact",
            "view_customer_site",
            "view_customer_attribute",
            "view_customer_tag",
            "view_customer_activity",
            "create_customer_activity",
            "can_impersonate",
        }
    ),
    "finance": frozenset(
        {
            "view_customer_invoice",
            "view_customer_transaction",
            "view_product",
            "create_customer_invoice",
            "view_customer",
        }
    ),
    "customer": OWN_PERMISSIONS,
    "read-only": frozenset(p for p in ALL_PERMISSIONS if p.startswith("view_") and "_own_" not in p),
    "provisioning_specialist": _PROVISIONING_SPECIALIST,
    "provisioning": _PROVISIONING_SPECIALIST,
}

ALIASES: Mapping[str, frozenset[str]] = {
    "view_service": frozenset({"view_customer_service"}),
    "create_service": frozenset({"create_customer_service"}),
    "provisioning": frozenset({"create_provision", "view_provision"}),
}


def resolve_permission(name: str) -> frozenset[str]:
    """A stored permission name -> the RBAC permissions it grants (D19, D33)."""
    lowered = name.strip().lower()
    return ALIASES.get(lowered, frozenset({lowered}))


def resolve_permissions(names: Iterable[str]) -> frozenset[str]:
    return frozenset(p for name in names for p in resolve_permission(name))


def permissions_for_roles(
    roles: Iterable[str], role_table: Mapping[str, frozenset[str]] = DEFAULT_ROLES
) -> frozenset[str]:
    """Union of the roles' permissions; a role named like a permission grants that permission."""
    granted: set[str] = set()
    for role in roles:
        key = role.strip().lower()
        if key in role_table:
            granted |= role_table[key]
        else:
            granted |= resolve_permission(key)
    return frozenset(granted)
