"""Turning a provision request into a job (provisioning.md §2.4, §4.2 steps 4-6, §4.3, §5.1; D14, D64, D65, D66).

Looks up the service (add-ons, deprovision) and the product, checks the play and the inventory picks, merges the
extra vars (product, then request, then system) and records the job with its secrets redacted. The job token is
not minted here: the runner mints it when the run starts (it may run in another process, and is never stored).
"""

import ast
import json
import logging
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from omnibus.platform.auth import Access
from omnibus.platform.auth.deps import NotVisible
from omnibus.provisioning.application import NewProvision, ProvisioningApp
from omnibus.provisioning.directory import Directory, DirectoryUnavailable
from omnibus.provisioning.domain import (
    InvalidProvisionRequest,
    PlanRequest,
    Provision,
    ProvisioningError,
    ProvisionNotFinishedError,
    SagaPlan,
    plan_steps,
)
from omnibus.provisioning.domain.variables import REDACTED, merge_vars, parse_product_vars, redact, secret_values
from omnibus.provisioning.runner.playbooks import resolve_play

log = logging.getLogger(__name__)
ACTIONS = (None, "deprovision")
MAX_KEYS = 200
MAX_BULK_ROWS = 500
SERVICE_UUID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
NEW_SERVICE_CATEGORIES = ("standalone", "bundle", "promo")  # D55: promo is sold like standalone
OCS_SERVICE_TYPES = frozenset({"mobile", "data", "dongle", "hotspot", "omnicharge"})


class NotFound(ProvisioningError):
    http_status = 404
    code = "not_found"


class BulkRequestError(InvalidProvisionRequest):
    """400 with every bad row (D68): nothing was started."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(rows)} row(s) are invalid; nothing was started")
        self.details = {"rows": rows}


@dataclass(frozen=True)
class SagaSettings:
    """How the saga runs (provisioning settings): step deadline, attempts, which service types get an OCS account."""

    step_timeout_seconds: int = 120
    max_attempts: int = 3
    ocs_service_types: frozenset[str] = OCS_SERVICE_TYPES


@dataclass
class JobRequests:
    app: ProvisioningApp
    directory: Directory
    plays_dir: Path
    saga: SagaSettings = SagaSettings()

    def submit(
        self,
        body: dict[str, Any],
        access: Access,
        simple_provision: str | None = None,
        *,
        renewal: str | None = None,
        key: str | None = None,
    ) -> Provision:
        """Validate the request and start its job (``key``: at most one job per key, e.g. a renewal event)."""
        request, plan = self.prepare(body, access, simple_provision, renewal=renewal)
        return self.app.request_provision(request, plan, key=key)

    def retry(self, provision_id: int, access: Access) -> Provision:
        """A new job with an ended job's play and vars (§10), validated again (the product may have changed), with
        a fresh token and the caller as initiating user. A job that made a new service gets a new
        ``service_uuid``; an add-on or deprovision keeps its service's."""
        old = self.app.get_provision(provision_id)
        if not old.finished:
            raise ProvisionNotFinishedError(provision_id)
        stored = json.loads(old.provisioning_json_vars)
        dropped = {"access_token", "initiating_user", "simple_provision", "renew_action_plan_id"}
        if old.service_id is None and old.action is None:
            dropped.add("service_uuid")
        body = {k: v for k, v in stored.items() if k not in dropped and v != REDACTED}
        body |= {"provisioning_play": old.provisioning_play, **old.inventory}
        if old.action is not None:
            body["action"] = old.action
        return self.submit(body, access, stored.get("simple_provision"))

    def submit_many(self, rows: list[dict[str, Any]], access: Access) -> list[Provision]:
        """D68: every row validated first (400 with each bad row, nothing started), then one job per row, all in
        one save."""
        if not rows or len(rows) > MAX_BULK_ROWS:
            raise InvalidProvisionRequest(f"rows: 1 to {MAX_BULK_ROWS} rows")
        prepared, errors = [], []
        for number, row in enumerate(rows, start=1):
            try:
                if not isinstance(row, dict):
                    raise InvalidProvisionRequest("a row is an object")
                prepared.append(self.prepare(_flatten_row(row), access, None))
            except (ProvisioningError, NotVisible) as error:
                errors.append({"row": number, "error": str(error)})
        if errors:
            raise BulkRequestError(errors)
        return self.app.request_many(prepared)

    def prepare(
        self, body: dict[str, Any], access: Access, simple_provision: str | None, *, renewal: str | None = None
    ) -> tuple[NewProvision, SagaPlan]:
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
        repeat = simple_provision is not None or renewal is not None
        # a deprovision, a renewal or an OCS callback works on what the service already holds: no new picks
        inventory = {} if action == "deprovision" or repeat else _inventory(body, product)
        product_vars = _product_vars(product, action)
        service_uuid = _service_uuid(body, service, product, action)
        system_vars: dict[str, Any] = {
            "customer_id": customer_id,
            "access_token": REDACTED,
            "initiating_user": access.principal.user_id,
        }
        if product_id is not None:
            system_vars["product_id"] = product_id
        if service_id is not None:
            system_vars["service_id"] = service_id
        if service_uuid is not None:
            system_vars["service_uuid"] = service_uuid
        if simple_provision is not None:
            system_vars["simple_provision"] = simple_provision
        if renewal is not None:
            system_vars["renew_action_plan_id"] = renewal
        merged = merge_vars(product_vars, body, system_vars)
        stored = redact(merged, secret_values(merged))
        request = NewProvision(
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
        return request, self._plan(request, product, service, merged, service_uuid, repeat)

    def _plan(
        self,
        request: NewProvision,
        product: dict[str, Any] | None,
        service: dict[str, Any] | None,
        merged: dict[str, Any],
        service_uuid: str | None,
        repeat: bool,
    ) -> SagaPlan:
        """The saga's steps (saga.plan_steps) and what they need, from the product and the request."""
        category = (product or {}).get("category") or "standalone"
        wants_account = merged.get("ocs_account")
        if wants_account is None:
            wants_account = (product or {}).get("service_type") in self.saga.ocs_service_types
        setup = None if repeat or request.action else _setup_charge(product)
        steps = plan_steps(
            PlanRequest(
                action=request.action,
                inventory=request.inventory,
                existing_service=request.service_id is not None,
                new_service_product=product is not None and category in NEW_SERVICE_CATEGORIES,
                charging_account=_truthy(wants_account),
                setup_charge=setup,
            )
        )
        owners = [o for o in (service, product) if o]
        deprovision = next((str(o["deprovisioning_play"]) for o in owners if o.get("deprovisioning_play")), None)
        return SagaPlan(
            steps=[s.value for s in steps],
            service_uuid=service_uuid,
            setup_charge=setup,
            deprovision_play=deprovision or request.provisioning_play,
            step_timeout_seconds=self.saga.step_timeout_seconds,
            max_attempts=self.saga.max_attempts,
            play_charges=setup is not None or category == "addon" or _truthy(merged.get("charges_card")),
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
    types = _type_list(product.get("inventory_items_list"))
    picks = {}
    for type_name in types:
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


def _service_uuid(
    body: dict[str, Any], service: dict[str, Any] | None, product: dict[str, Any] | None, action: str | None
) -> str | None:
    """The OCS account / service_uuid of the job: the request's, else the existing service's, else a new one
    ``<ServiceType>_<12 hex>`` for a job that makes a service (D75)."""
    requested = body.get("service_uuid")
    if requested not in (None, ""):
        if not isinstance(requested, str) or not SERVICE_UUID.match(requested) or "__" in requested:
            raise InvalidProvisionRequest("service_uuid must match ^[A-Za-z0-9_.:-]{1,64}$ without '__' (D75)")
        return requested
    if service is not None:
        return str(service["service_uuid"]) if service.get("service_uuid") else None
    if action is not None or product is None or (product.get("category") or "standalone") not in NEW_SERVICE_CATEGORIES:
        return None  # a job without a product, or with an add-on, makes no service of its own
    kind = re.sub(r"[^A-Za-z0-9]", "", str((product or {}).get("service_type") or "service").title()) or "Service"
    return f"{kind[:40]}_{uuid.uuid4().hex[:12]}"


def _setup_charge(product: dict[str, Any] | None) -> dict[str, str] | None:
    """The product's one-off setup cost as the billing step records it, when it has one."""
    if product is None:
        return None
    retail, wholesale = _money(product.get("retail_setup_cost")), _money(product.get("wholesale_setup_cost"))
    if retail <= 0 and wholesale <= 0:
        return None
    name = str(product.get("product_name") or f"Product {product.get('product_id')}")
    return {
        "title": f"{name[:230]} - Setup Costs",
        "retail_cost": f"{retail:.2f}",
        "wholesale_cost": f"{wholesale:.2f}",
    }


def _money(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        return Decimal("0")
    return amount if amount.is_finite() else Decimal("0")


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "yes")


def _flatten_row(row: dict[str, Any]) -> dict[str, Any]:
    """A bulk row: the request's fields, with its optional ``vars`` object merged in (row fields win)."""
    extra = row.get("vars") or {}
    if not isinstance(extra, dict):
        raise InvalidProvisionRequest("vars must be an object")
    return {**extra, **{k: v for k, v in row.items() if k != "vars"}}


def _type_list(raw: Any) -> list[str]:
    """``inventory_items_list``: a JSON array or the catalog's list-literal string (``"['SIM Card']"``, D56),
    read with a literal parser, never eval."""
    if isinstance(raw, str):
        try:
            raw = ast.literal_eval(raw.strip() or "[]")
        except (ValueError, SyntaxError):
            raise InvalidProvisionRequest(f"the product's inventory_items_list is not a list: {raw!r}") from None
    if raw is None:
        return []
    if not isinstance(raw, list | tuple):
        raise InvalidProvisionRequest("the product's inventory_items_list is not a list")
    return [str(t) for t in raw if t]
