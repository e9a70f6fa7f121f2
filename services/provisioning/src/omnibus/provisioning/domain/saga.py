"""The provisioning saga as data (ARCHITECTURE.md §6, CONVENTIONS §6.10.6): its steps, their compensations and
the commands each gives, as pure functions of the job's state.

Forward, in this order, each only when the job needs it (``plan_steps``): reserve the picked inventory (catalog),
prepare the charging account (charging), run the play (this service's runner), activate the service the play
created (customers: it also tells the saga the service's id), assign the reserved inventory to it (catalog),
record the setup charge (billing). Activation comes before the assignment because the assignment needs the
service's id. Steps of one ``STAGE`` do not depend on each other and run at the same time (the reservation and the
account; the assignment and the setup charge).

On a failure the completed steps are compensated in reverse (``compensations``): the charges voided, the
assignment returned, the service deactivated, the play's deprovision path run, the account removed, the
reservation released. The step that failed is compensated too when its effect is uncertain (it timed out, was
cancelled or interrupted, or some of its commands had succeeded); a play that failed on a task ran its own
``rescue:``, so only its charges are undone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Step(StrEnum):
    RESERVE_INVENTORY = "reserve_inventory"
    PREPARE_CHARGING_ACCOUNT = "prepare_charging_account"
    RUN_PLAYBOOK = "run_playbook"
    ACTIVATE_SERVICE = "activate_service"
    ASSIGN_INVENTORY = "assign_inventory"
    RECORD_SETUP_CHARGE = "record_setup_charge"


class Undo(StrEnum):
    VOID_CHARGES = "void_charges"
    RETURN_INVENTORY = "return_inventory"
    DEACTIVATE_SERVICE = "deactivate_service"
    DEPROVISION_PLAY = "deprovision_play"
    REMOVE_CHARGING_ACCOUNT = "remove_charging_account"
    RELEASE_INVENTORY = "release_inventory"


FORWARD: tuple[Step, ...] = tuple(Step)
COMPENSATIONS: Mapping[Step, tuple[Undo, ...]] = {
    Step.RESERVE_INVENTORY: (Undo.RELEASE_INVENTORY,),
    Step.PREPARE_CHARGING_ACCOUNT: (Undo.REMOVE_CHARGING_ACCOUNT,),
    Step.RUN_PLAYBOOK: (Undo.VOID_CHARGES, Undo.DEPROVISION_PLAY),  # a play may charge a card (add-ons)
    Step.ACTIVATE_SERVICE: (Undo.DEACTIVATE_SERVICE,),
    Step.ASSIGN_INVENTORY: (Undo.RETURN_INVENTORY,),
    Step.RECORD_SETUP_CHARGE: (Undo.VOID_CHARGES,),
}
PLAYS = {Step.RUN_PLAYBOOK.value: "provision", Undo.DEPROVISION_PLAY.value: "deprovision"}  # run by the runner
STAGE: Mapping[str, int] = {
    Step.RESERVE_INVENTORY: 0,
    Step.PREPARE_CHARGING_ACCOUNT: 0,
    Step.RUN_PLAYBOOK: 1,
    Step.ACTIVATE_SERVICE: 2,  # answers the service's id, which the next stage needs
    Step.ASSIGN_INVENTORY: 3,
    Step.RECORD_SETUP_CHARGE: 3,
}


@dataclass(frozen=True)
class Order:
    """A command the saga gives: the receiving context, the command's name and its arguments (the contract's
    fields, ``omnibus.contracts.<context>``)."""

    target: str
    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class SagaFacts:
    """What the commands are built from: the request, the plan and what earlier steps answered."""

    provision_id: int
    customer_id: int
    product_id: int | None
    inventory: Mapping[str, int]
    service_uuid: str | None
    service_id: int | None
    setup_charge: Mapping[str, str] | None = None  # title, retail_cost, wholesale_cost (decimal strings)

    @property
    def job_id(self) -> str:
        """The job as the catalog knows it (its reservation key)."""
        return f"provision-{self.provision_id}"


@dataclass(frozen=True)
class PlanRequest:
    """What decides a job's steps."""

    action: str | None  # "deprovision" or None
    inventory: Mapping[str, int]
    existing_service: bool  # the request names a service (add-ons, top-ups, renewals)
    new_service_product: bool  # the product makes a new service (standalone, bundle, promo)
    charging_account: bool  # the product needs an OCS account prepared
    setup_charge: Mapping[str, str] | None = field(default=None)


def plan_steps(request: PlanRequest) -> list[Step]:
    """The job's forward steps, in order. A deprovision only runs its play (the play tears down)."""
    if request.action == "deprovision":
        return [Step.RUN_PLAYBOOK]
    new_service = request.new_service_product and not request.existing_service
    wanted = {
        Step.RESERVE_INVENTORY: bool(request.inventory),
        Step.PREPARE_CHARGING_ACCOUNT: new_service and request.charging_account,
        Step.RUN_PLAYBOOK: True,
        Step.ACTIVATE_SERVICE: new_service,
        Step.ASSIGN_INVENTORY: bool(request.inventory),
        Step.RECORD_SETUP_CHARGE: request.setup_charge is not None,
    }
    return [step for step in FORWARD if wanted[step]]


def compensations(
    done: list[str],
    failed: str | None,
    uncertain: bool,
    play_rescued: bool,
    play_charges: bool = True,
    also_uncertain: list[str] | None = None,
) -> list[str]:
    """What to undo, in order: the completed steps in reverse, preceded by the failed step when its effect is
    uncertain (or it is a play that failed and ran its own rescue: then only its charges are undone). A play that
    cannot charge (the job has neither a setup charge nor an add-on product) has no charges to undo. Steps of the
    same stage still running (``also_uncertain``) are undone too."""
    others = [s for s in also_uncertain or [] if s != failed and s not in done]
    steps = [*done, *others] + ([failed] if failed is not None and (uncertain or play_rescued) else [])
    actions: list[str] = []
    for step in sorted(set(steps), key=FORWARD.index, reverse=True):  # the plan's order, not the answers'
        step = Step(step)
        for undo in COMPENSATIONS[step]:
            if step == Step.RUN_PLAYBOOK and undo == Undo.VOID_CHARGES and not play_charges:
                continue
            if step == failed and play_rescued and undo == Undo.DEPROVISION_PLAY:
                continue
            if undo.value not in actions:
                actions.append(undo.value)
    return actions


def orders(name: str, facts: SagaFacts) -> list[Order]:
    """The commands of a step or compensation (none for the plays, which the runner runs)."""
    if name in PLAYS:
        return []
    built: list[Order] = _BUILDERS[name](facts)
    return built


def _per_item(facts: SagaFacts, command: str, **extra: Any) -> list[Order]:
    return [
        Order("catalog", command, {"job_id": facts.job_id, **_item_args(command, item, inventory_id), **extra})
        for item, inventory_id in sorted(facts.inventory.items())
    ]


def _item_args(command: str, item: str, inventory_id: int) -> dict[str, Any]:
    return (
        {"item": item, "inventory_id": inventory_id}
        if command == "ReserveInventoryItem"
        else {"inventory_id": inventory_id}
    )


def _service(facts: SagaFacts, command: str) -> list[Order]:
    if facts.service_uuid is None:
        return []
    args = {"provision_id": facts.provision_id, "customer_id": facts.customer_id, "service_uuid": facts.service_uuid}
    return [Order("customers", command, args)]


def _account(facts: SagaFacts, command: str) -> list[Order]:
    return [] if facts.service_uuid is None else [Order("charging", command, {"service_uuid": facts.service_uuid})]


def _setup_charge(facts: SagaFacts) -> list[Order]:
    if facts.setup_charge is None:
        return []
    args = {
        "provision_id": facts.provision_id,
        "customer_id": facts.customer_id,
        "service_id": facts.service_id,
        "product_id": facts.product_id,
        **facts.setup_charge,
    }
    return [Order("billing", "RecordSetupCharge", args)]


def _void(facts: SagaFacts) -> list[Order]:
    return [
        Order("billing", "VoidProvisionCharges", {"provision_id": facts.provision_id, "customer_id": facts.customer_id})
    ]


_BUILDERS: Mapping[str, Any] = {
    Step.RESERVE_INVENTORY: lambda f: _per_item(f, "ReserveInventoryItem"),
    Step.PREPARE_CHARGING_ACCOUNT: lambda f: _account(f, "PrepareOcsAccount"),
    Step.ACTIVATE_SERVICE: lambda f: _service(f, "ActivateProvisionedService"),
    Step.ASSIGN_INVENTORY: lambda f: _per_item(
        f, "AssignReservedInventoryItem", customer_id=f.customer_id, service_id=f.service_id
    ),
    Step.RECORD_SETUP_CHARGE: _setup_charge,
    Undo.VOID_CHARGES: _void,
    Undo.RETURN_INVENTORY: lambda f: _per_item(f, "ReturnAssignedInventoryItem", item_state="In Stock"),
    Undo.DEACTIVATE_SERVICE: lambda f: _service(f, "DeactivateProvisionedService"),
    Undo.REMOVE_CHARGING_ACCOUNT: lambda f: _account(f, "RemoveOcsAccount"),
    Undo.RELEASE_INVENTORY: lambda f: _per_item(f, "ReleaseInventoryReservation"),
}
