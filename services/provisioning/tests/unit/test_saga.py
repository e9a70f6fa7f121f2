"""The saga's decisions (ARCHITECTURE.md §6), given/expect style: the commands a job gives, in order, what it does
with their answers, timeouts, failed plays and cancellations, and what it undoes in which order."""

from decimal import Decimal

import pytest

from omnibus.contracts import billing, catalog, charging, customers
from omnibus.contracts import provisioning as p
from omnibus.provisioning.domain import FAILED, SUCCESS, PlanRequest, Step, plan_steps

from .saga_harness import T0, Issued, SagaHarness, a_job, a_plan  # noqa: TID252

MOBILE = [s.value for s in Step]


def test_a_mobile_sim_job_reserves_prepares_runs_activates_assigns_and_charges() -> None:
    saga = SagaHarness().start(a_plan(*MOBILE))

    number, sim = saga.expect("ReserveInventoryItem"), saga.expect("ReserveInventoryItem")
    number.reply(inventory_id=5002)
    sim.reply(inventory_id=5001)
    saga.expect("PrepareOcsAccount").reply()
    saga.expect_play("provision").play_ends("succeeded")
    saga.expect("ActivateProvisionedService").reply(service_id=789)
    assign = [saga.expect("AssignReservedInventoryItem"), saga.expect("AssignReservedInventoryItem")]
    for issued in assign:
        issued.reply()
    charge = saga.expect("RecordSetupCharge")
    charge.reply(transaction_id=11)

    succeeded = saga.published(p.ProvisionSucceeded)
    assert (saga.job.provisioning_status, succeeded.service_id, succeeded.service_uuid) == (
        SUCCESS,
        789,
        "Mobile_0123456789ab",
    )
    assert {(c.command.inventory_id, c.command.service_id) for c in assign} == {(5001, 789), (5002, 789)}
    assert isinstance(charge.command, billing.RecordSetupCharge) and charge.command.retail_cost == Decimal("25.00")
    assert charge.command.service_id == 789
    saga.expect_nothing_more()


def test_the_reservations_and_the_account_are_asked_for_at_once() -> None:
    saga = SagaHarness().start(a_plan(*MOBILE))

    assert sorted(e.name for e in saga.issued()) == [
        "PrepareOcsAccount",
        "ReserveInventoryItem",
        "ReserveInventoryItem",
    ]


def test_one_of_two_items_refused_releases_both_removes_the_account_and_fails_with_the_reason() -> None:
    saga = SagaHarness().start(a_plan(*MOBILE))
    saga.expect("PrepareOcsAccount")  # still out when the reservation is refused: its effect is uncertain

    saga.expect("ReserveInventoryItem").reply(inventory_id=5002)
    saga.expect("ReserveInventoryItem").reply("rejected", "Inventory item 5001 is not available")
    saga.expect("RemoveOcsAccount").reply()  # undone in the plan's reverse order
    releases = [saga.expect("ReleaseInventoryReservation"), saga.expect("ReleaseInventoryReservation")]
    for release in releases:
        release.reply()

    failed = saga.published(p.ProvisionFailed)
    assert (failed.failed_step, failed.error) == ("reserve_inventory", "Inventory item 5001 is not available")
    assert [(c.action, c.outcome) for c in failed.compensations] == [
        ("remove_charging_account", "completed"),
        ("release_inventory", "completed"),
    ]
    assert {r.command.inventory_id for r in releases} == {5001, 5002}
    saga.expect_nothing_more()


def test_a_single_refused_reservation_undoes_only_what_ran_beside_it() -> None:
    saga = SagaHarness(job=a_job(inventory={"SIM Card": 5001})).start(a_plan(*MOBILE))
    saga.expect("PrepareOcsAccount").reply()

    saga.expect("ReserveInventoryItem").reply("rejected", "No SIM Card available")
    saga.expect("RemoveOcsAccount").reply()

    assert saga.job.provisioning_status == FAILED
    assert saga.compensations() == [("remove_charging_account", "completed")]
    saga.expect_nothing_more()


def test_the_assignment_and_the_setup_charge_are_asked_for_at_once_after_the_activation() -> None:
    saga = SagaHarness(job=a_job(inventory={"SIM Card": 5001})).start(a_plan(*MOBILE))
    saga.expect("ReserveInventoryItem").reply(inventory_id=5001)
    saga.expect("PrepareOcsAccount").reply()
    saga.expect_play("provision").play_ends()

    saga.expect("ActivateProvisionedService").reply(service_id=789)

    last = [e.name for e in saga.issued()][-2:]
    assert sorted(last) == ["AssignReservedInventoryItem", "RecordSetupCharge"]


def test_a_play_failing_on_a_task_ran_its_rescue_so_its_charges_and_earlier_steps_are_undone() -> None:
    saga = SagaHarness(job=a_job(inventory={"SIM Card": 5001})).start(a_plan(*MOBILE))
    saga.expect("ReserveInventoryItem").reply(inventory_id=5001)
    saga.expect("PrepareOcsAccount").reply()

    saga.expect_play("provision").play_ends("failed", "Create subscriber in the HSS", "HSS refused")
    saga.expect("VoidProvisionCharges").reply()
    saga.expect("RemoveOcsAccount").reply()
    saga.expect("ReleaseInventoryReservation").reply()

    failed = saga.published(p.ProvisionFailed)
    assert (failed.failed_step, failed.failed_task, failed.error) == (
        "run_playbook",
        "Create subscriber in the HSS",
        "HSS refused",
    )
    assert saga.compensations() == [
        ("void_charges", "completed"),
        ("remove_charging_account", "completed"),
        ("release_inventory", "completed"),
    ]
    assert saga.job.play_due is None


def test_an_interrupted_play_runs_the_deprovision_path_before_undoing_the_rest() -> None:
    saga = SagaHarness(job=a_job(inventory={})).start(a_plan("prepare_charging_account", "run_playbook"))
    saga.expect("PrepareOcsAccount").reply()

    saga.expect_play("provision").play_ends("interrupted", None, "interrupted: the runner stopped")
    saga.expect("VoidProvisionCharges").reply()
    saga.expect_play("deprovision").play_ends("succeeded")
    saga.expect("RemoveOcsAccount").reply()

    assert saga.compensations() == [
        ("void_charges", "completed"),
        ("deprovision_play", "completed"),
        ("remove_charging_account", "completed"),
    ]
    assert saga.job.play_to_run == "play_local_mobile_sim" and saga.job.provisioning_status == FAILED


def test_a_late_step_failing_undoes_everything_in_reverse_order() -> None:
    saga = SagaHarness(job=a_job(inventory={"SIM Card": 5001})).start(a_plan(*MOBILE))
    saga.expect("ReserveInventoryItem").reply(inventory_id=5001)
    saga.expect("PrepareOcsAccount").reply()
    saga.expect_play("provision").play_ends()
    saga.expect("ActivateProvisionedService").reply(service_id=789)
    saga.expect("AssignReservedInventoryItem").reply()

    saga.expect("RecordSetupCharge").reply("rejected", "Customer 123 not found")
    for name in ("ReturnAssignedInventoryItem", "DeactivateProvisionedService", "VoidProvisionCharges"):
        saga.expect(name).reply()
    saga.expect_play("deprovision").play_ends()
    saga.expect("RemoveOcsAccount").reply()
    saga.expect("ReleaseInventoryReservation").reply()

    assert [a for a, _ in saga.compensations()] == [
        "return_inventory",
        "deactivate_service",
        "void_charges",
        "deprovision_play",
        "remove_charging_account",
        "release_inventory",
    ]
    assert saga.published(p.ProvisionFailed).service_id == 789


def test_a_command_past_its_deadline_is_sent_again_then_its_uncertain_step_is_undone() -> None:
    saga = SagaHarness(job=a_job(inventory={})).start(a_plan("prepare_charging_account", "run_playbook"))
    first = saga.expect("PrepareOcsAccount")

    saga.later(59)
    saga.expect_nothing_more()
    saga.later(1)
    again = saga.expect("PrepareOcsAccount", attempt=2)
    saga.later(60)
    saga.expect("RemoveOcsAccount").reply()

    assert first.event.command_id == again.event.command_id
    failed = saga.published(p.ProvisionFailed)
    assert (failed.failed_step, failed.error) == (
        "prepare_charging_account",
        "prepare_charging_account timed out after 60 s",
    )
    assert saga.compensations() == [("remove_charging_account", "completed")]


def test_a_repeated_or_late_answer_records_nothing() -> None:
    saga = SagaHarness(job=a_job(inventory={})).start(a_plan("prepare_charging_account", "run_playbook"))
    issued = saga.expect("PrepareOcsAccount")
    issued.reply()

    assert not saga.job.record_answer(issued.event.command_id, "rejected", {}, "late", saga.now)
    assert not saga.job.record_answer("provision-456/unknown/0", "completed", {}, None, saga.now)
    assert saga.job.play_due == "provision"


def test_a_cancel_while_a_command_is_out_undoes_it_and_ends_cancelled() -> None:
    saga = SagaHarness(job=a_job(inventory={})).start(a_plan("prepare_charging_account", "run_playbook"))
    issued = saga.expect("PrepareOcsAccount")

    saga.job.request_cancel(7, saga.now)
    saga.expect("RemoveOcsAccount").reply()

    assert not saga.job.record_answer(issued.event.command_id, "completed", {}, None, saga.now)
    assert (saga.job.provisioning_status, saga.job.error) == (FAILED, "cancelled")


def test_a_refused_or_timed_out_compensation_is_reported_and_the_rest_still_runs() -> None:
    saga = SagaHarness(job=a_job(inventory={"SIM Card": 5001})).start(a_plan(*MOBILE))
    saga.expect("ReserveInventoryItem").reply(inventory_id=5001)
    saga.expect("PrepareOcsAccount").reply()

    saga.expect_play("provision").play_ends("failed", "Add balances", "CGRateS refused")
    saga.expect("VoidProvisionCharges").reply("rejected", "billing refused")
    saga.expect("RemoveOcsAccount")
    saga.later(60).later(60)
    saga.expect("ReleaseInventoryReservation").reply()

    assert saga.compensations() == [
        ("void_charges", "failed"),
        ("remove_charging_account", "failed"),
        ("release_inventory", "completed"),
    ]
    reasons = [c.reason for c in saga.published(p.ProvisionFailed).compensations]
    assert reasons == ["billing refused", "timed out 2 times", None]


def test_every_command_the_saga_gives_is_a_valid_contract_command() -> None:
    saga = SagaHarness().start(a_plan(*MOBILE))
    for _ in range(2):
        saga.expect("ReserveInventoryItem").reply()
    saga.expect("PrepareOcsAccount").reply()
    saga.expect_play("provision").play_ends()
    saga.expect("ActivateProvisionedService").reply(service_id=789)
    for _ in range(2):
        saga.expect("AssignReservedInventoryItem").reply()
    saga.expect("RecordSetupCharge").reply("rejected", "no")
    for name in ("ReturnAssignedInventoryItem",) * 2 + ("DeactivateProvisionedService", "VoidProvisionCharges"):
        saga.expect(name).reply()

    commands = {type(Issued(saga, event).command) for event in saga.issued()}  # each validated by its contract
    assert commands == {
        catalog.ReserveInventoryItem,
        charging.PrepareOcsAccount,
        customers.ActivateProvisionedService,
        catalog.AssignReservedInventoryItem,
        billing.RecordSetupCharge,
        catalog.ReturnAssignedInventoryItem,
        customers.DeactivateProvisionedService,
        billing.VoidProvisionCharges,
    }


@pytest.mark.parametrize(
    ("request_", "steps"),
    [
        (PlanRequest(None, {"SIM Card": 1}, False, True, True, {"title": "x"}), MOBILE),
        (PlanRequest(None, {}, False, True, False, None), ["run_playbook", "activate_service"]),
        (
            PlanRequest(None, {"Modem": 2}, True, False, False, None),
            ["reserve_inventory", "run_playbook", "assign_inventory"],
        ),
        (PlanRequest("deprovision", {"SIM Card": 1}, True, True, True, {"title": "x"}), ["run_playbook"]),
        (PlanRequest(None, {}, False, False, True, None), ["run_playbook"]),
    ],
    ids=["mobile sim", "generic service", "add-on with a modem", "deprovision", "no product"],
)
def test_the_plan_has_only_the_steps_the_job_needs(request_: PlanRequest, steps: list[str]) -> None:
    assert [s.value for s in plan_steps(request_)] == steps


def test_a_job_recorded_before_the_saga_runs_its_play_and_succeeds() -> None:
    job = a_job()

    job.start_run("runner-1")
    job.end_play("succeeded", None, None, T0)

    assert job.provisioning_status == SUCCESS
