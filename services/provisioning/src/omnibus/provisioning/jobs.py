"""Turning a provision request into a job (provisioning.md §2.4, §4.2 steps 4-6, §4.3, §5.1; D14, D64, D65, D66).

Looks up the service (add-ons, deprovision) and the product, checks the play and the inventory picks, merges the
extra vars (product, then request, then system) and records the job with its secrets redacted. The job token is
not minted here: the runner mints it when the run starts (it may run in another process, and is never stored).
"""

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnibus.platform.auth import Access
from omnibus.platform.auth.deps import NotVisible
from omnibus.provisioning.application import NewProvision, ProvisioningApp
from omnibus.provisioning.directory import Directory, DirectoryUnavailable
from omnibus.provisioning.domain import InvalidProvisionRequest, Provision, ProvisioningError
from omnibus.provisioning.domain.variables import REDACTED, merge_vars, parse_product_vars, redact, secret_values
from omnibus.provisioning.runner.playbooks import resolve_play

log = logging.getLogger(__name__)
ACTIONS = (None, "deprovision")
MAX_KEYS = 200


class NotFound(ProvisioningError):
    http_status = 404
    code = "not_found"


@dataclass
class JobRequests:
    app: ProvisioningApp
    directory: Directory
    plays_dir: Path

    def submit(self, body: dict[str, Any], access: Access, simple_provision: str | None = None) -> Provision:
        if len(body) > MAX_KEYS:
            raise InvalidProvisionRequest(f"at most {MAX_KEYS} variables per request")
        action = body.get("action") or None
        if action not in ACTIONS:
            raise InvalidProvisionRequest('action must be "deprovision" or absent')
        service_id = _optional_id(body, "service_id")
        if action == "deprovision" and service_id is None:
            raise InvalidProvisionRequest("deprovision needs service_id")
        service = self._service(service_id, access) if service_id is not None else None
        customer_id = _optional_id(body, "customer_id")
        if customer_id is None and service is not None:
            customer_id = _optional_id(service, "customer_id")
        if customer_id is None:
            raise InvalidProvisionRequest("customer_id is required (or the service_id of an existing service)")
        if service is not None and _optional_id(service, "customer_id") not in (None, customer_id):
            raise InvalidProvisionRequest(f"service {service_id} does not belong to customer {customer_id}")
        access.check_customer(customer_id, "Customer")
        product_id = _optional_id(body, "product_id")
        if product_id is None and service is not None:
            product_id = _optional_id(service, "product_id")
        product = self._product(product_id)
        if product is not None and product.get("category") == "addon" and service_id is None:
            raise InvalidProvisionRequest("an add-on needs the service_id of the service it is added to")
        play_name = _play(body, product, service, action, access.principal.is_admin)
        play = resolve_play(self.plays_dir, play_name)
        inventory = _inventory(body, product)
        product_vars = _product_vars(product, action)
        system_vars: dict[str, Any] = {
            "customer_id": customer_id,
            "access_token": REDACTED,
            "initiating_user": access.principal.user_id,
        }
        if product_id is not None:
            system_vars["product_id"] = product_id
        if service_id is not None:
            system_vars["service_id"] = service_id
        if simple_provision is not None:
            system_vars["simple_provision"] = simple_provision
        merged = merge_vars(product_vars, body, system_vars)
        stored = redact(merged, secret_values(merged))
        return self.app.request_provision(
            NewProvision(
                customer_id=customer_id,
                product_id=product_id,
                service_id=service_id,
                provisioning_play=play.name,
                playbook_description=play.description,
                provisioning_json_vars=json.dumps(stored, sort_keys=True, default=str),
                task_count=play.task_count,
                initiating_user=access.principal.user_id,
                action=action,
                auth_method="ip" if access.principal.auth_method == "ip_whitelist" else access.principal.auth_method,
                inventory=inventory,
                granted_permissions=sorted(access.principal.permissions),
            )
        )

    def _service(self, service_id: int, access: Access) -> dict[str, Any]:
        try:
            service = self.directory.service(service_id)
        except DirectoryUnavailable:
            raise
        if service is None:
            raise NotFound(f"Service {service_id} not found")
        customer_id = _optional_id(service, "customer_id")
        if access.scoped and customer_id != access.own_customer_id:
            raise NotVisible("Service not found")
        return service

    def _product(self, product_id: int | None) -> dict[str, Any] | None:
        if product_id is None:
            return None
        try:
            product = self.directory.product(product_id)
        except DirectoryUnavailable as error:
            log.warning("catalog unavailable (%s): running the requested play without product vars", error)
            return None
        if product is None:
            raise NotFound(f"Product {product_id} not found")
        return product


def _optional_id(source: dict[str, Any], key: str) -> int | None:
    value = source.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
        raise InvalidProvisionRequest(f"{key} must be a positive integer")
    number = int(value)
    if number < 1:
        raise InvalidProvisionRequest(f"{key} must be a positive integer")
    return number


def _play(
    body: dict[str, Any],
    product: dict[str, Any] | None,
    service: dict[str, Any] | None,
    action: str | None,
    is_admin: bool,
) -> str:
    """The request's play must be one of the product's or service's plays unless the caller is admin (§5.1); by
    default the product's play, or for a deprovision the service's, else the product's, deprovisioning play (D64)."""
    requested = body.get("provisioning_play")
    if requested is not None and not isinstance(requested, str):
        raise InvalidProvisionRequest("provisioning_play must be a string")
    owners = [o for o in (service, product) if o is not None]
    allowed = {o.get(k) for o in owners for k in ("provisioning_play", "deprovisioning_play")} - {None, ""}
    if requested:
        if allowed and requested not in allowed and not is_admin:
            raise InvalidProvisionRequest(f"provisioning_play {requested!r} is not a play of this product")
        return requested
    keys = ("deprovisioning_play", "provisioning_play") if action == "deprovision" else ("provisioning_play",)
    for key in keys:
        for owner in owners:
            if owner.get(key):
                return str(owner[key])
    raise InvalidProvisionRequest("provisioning_play is required")


def _inventory(body: dict[str, Any], product: dict[str, Any] | None) -> dict[str, int]:
    """One ``"<type name>": inventory_id`` per type the product lists (400 when one is missing). Without the
    product, keys with a space holding an integer are taken as picks (``"SIM Card": 5001``)."""
    if product is None:
        return {k: v for k, v in body.items() if " " in k and isinstance(v, int) and not isinstance(v, bool)}
    raw = product.get("inventory_items_list") or []
    try:
        types = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        types = []
    picks = {}
    for type_name in [str(t) for t in types if t] if isinstance(types, list) else []:
        picked = _optional_id(body, type_name)
        if picked is None:
            raise InvalidProvisionRequest(f"Missing inventory item for type {type_name!r}")
        picks[type_name] = picked
    return picks


def _product_vars(product: dict[str, Any] | None, action: str | None) -> dict[str, Any]:
    if product is None:
        return {}
    raw = product.get("provisioning_json_vars")
    if action == "deprovision" and product.get("deprovisioning_json_vars"):
        raw = product["deprovisioning_json_vars"]
    try:
        return parse_product_vars(raw)
    except (ValueError, json.JSONDecodeError):
        raise InvalidProvisionRequest(
            f"product {product.get('product_id')} has invalid provisioning_json_vars"
        ) from None
