"""The activity log's other half (customers.md §2.7, §9; D49): every other context's events that concern a customer.

Billing (ledger, invoices, dunning, cards), charging (OCS account, balances, ActionPlans), provisioning (jobs),
catalog (inventory assigned and released) and identity (self-care users, impersonation) become entries of the
same shape as the customers' own, in their own table (``activity_feed_entries``). The entry's id is the event's
id, its time the event's, its actor the envelope's (user, API key, impersonator, address, channel), so replaying
the streams from zero gives the same rows. Events naming a service only (charging's) find its customer through
``service_owners``; impersonations through the customer users seen in identity's ``UserCreated``. An event whose
service is not known yet is retried, then dead-lettered.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from omnibus.contracts import IntegrationEvent
from omnibus.contracts import billing as b
from omnibus.contracts import catalog as ca
from omnibus.contracts import charging as ch
from omnibus.contracts import identity as i
from omnibus.contracts import provisioning as p
from omnibus.customers.readmodel.activity_queries import Entry, entry_row
from omnibus.customers.readmodel.tables import activity_feed, activity_feed_users, service_owners
from omnibus.platform.consumers import BusProjection, ReceivedEvent
from omnibus.platform.readmodels import Rows


class ServiceNotKnownYet(Exception):
    """A charging event names a service the customers context has not recorded (yet): retried, then dead-lettered."""


def _money(amount: Any, currency: str) -> str:
    return f"{amount:.2f} {currency.upper()}"


def _ocs(action: str, text: Callable[[Any], str]) -> Callable[[Any], Entry]:
    return lambda e: Entry("ocs_account", e.service_uuid, action, text(e))


def _plan(action: str, text: Callable[[Any], str]) -> Callable[[Any], Entry]:
    return lambda e: Entry("action_plan", e.action_plan_id, action, text(e))


DESCRIBE: dict[type[IntegrationEvent], Callable[[Any], Entry]] = {
    b.TransactionRecorded: lambda e: Entry(
        "transaction",
        e.transaction_id,
        "recorded",
        f"{e.transaction_type.capitalize()} {e.title}: {_money(e.retail_cost, e.currency)}",
    ),
    b.TransactionVoided: lambda e: Entry(
        "transaction", e.transaction_id, "voided", f"Transaction {e.transaction_id} voided"
    ),
    b.InvoiceGenerated: lambda e: Entry(
        "invoice",
        e.invoice_id,
        "generated",
        f"Invoice {e.invoice_number} ({e.title}) generated: {_money(e.total, e.currency)}, due {e.due_date}",
    ),
    b.InvoiceVoided: lambda e: Entry("invoice", e.invoice_id, "voided", f"Invoice {e.invoice_id} voided"),
    b.InvoiceEmailRequested: lambda e: Entry(
        "invoice",
        e.invoice_id,
        "email_requested",
        f"Invoice {e.invoice_id} to be e-mailed" + (f" to {e.to}" if e.to else ""),
    ),
    b.InvoicePaid: lambda e: Entry(
        "invoice", e.invoice_id, "paid", f"Invoice {e.invoice_id} paid: {_money(e.amount, e.currency)} ({e.method})"
    ),
    b.InvoicePaymentFailed: lambda e: Entry(
        "invoice", e.invoice_id, "payment_failed", f"Invoice {e.invoice_id} payment declined: {e.reason}"
    ),
    b.InvoiceRefunded: lambda e: Entry(
        "invoice", e.invoice_id, "refunded", f"Invoice {e.invoice_id} refunded: {e.amount:.2f} ({e.method})"
    ),
    b.DunningStepReached: lambda e: Entry(
        "invoice", e.invoice_id, "dunning_step", f"Invoice {e.invoice_id}: dunning day {e.day}, {e.action}"
    ),
    b.DunningEscalated: lambda e: Entry(
        "invoice", e.invoice_id, "dunning_escalated", f"Invoice {e.invoice_id} unpaid after {e.day} days: escalated"
    ),
    b.ServiceSuspensionRequested: lambda e: Entry(
        "invoice", e.invoice_id, "suspension_requested", f"Suspension of services {e.service_ids} ({e.reason})"
    ),
    b.ServiceRestorationRequested: lambda e: Entry(
        "invoice", e.invoice_id, "restoration_requested", f"Restoration of services {e.service_ids} ({e.reason})"
    ),
    b.PaymentMethodAdded: lambda e: Entry("card", e.customer_stripe_id, "added", f"{e.brand} ending {e.last4} added"),
    b.DefaultPaymentMethodChanged: lambda e: Entry(
        "card", e.customer_stripe_id, "made_default", "Default card changed"
    ),
    b.PaymentMethodDeleted: lambda e: Entry("card", e.customer_stripe_id, "deleted", "Card deleted"),
    b.CardExpiryReminderRequested: lambda e: Entry(
        "card", e.customer_stripe_id, "expiry_reminder", f"{e.brand} ending {e.last4} expires in {e.days_left} days"
    ),
    b.CardCharged: lambda e: Entry(
        "card", e.customer_stripe_id, "charged", f"Card charged {e.amount:.2f}: {e.description}"
    ),
    b.CardChargeFailed: lambda e: Entry(
        "card", e.customer_stripe_id, "charge_failed", f"Card charge of {e.amount:.2f} declined: {e.decline_reason}"
    ),
    ch.OcsAccountCreated: _ocs("created", lambda e: f"OCS account {e.service_uuid} created"),
    ch.OcsAccountDisabled: _ocs("disabled", lambda e: f"OCS account {e.service_uuid} disabled: {e.reason}"),
    ch.OcsAccountEnabled: _ocs("enabled", lambda e: f"OCS account {e.service_uuid} enabled: {e.reason}"),
    ch.OcsAccountRemoved: _ocs("removed", lambda e: f"OCS account {e.service_uuid} removed"),
    ch.OcsBalanceAdded: _ocs(
        "balance_added", lambda e: f"{e.operation} {e.balance_type} balance {e.balance_id}: {e.value:g}"
    ),
    ch.OcsActionExecuted: _ocs("action_executed", lambda e: f"Action {e.actions_id} executed"),
    ch.BalanceLow: _ocs("balance_low", lambda e: f"{e.balance_type} balance low"),
    ch.BalanceDepleted: _ocs("balance_depleted", lambda e: f"{e.balance_type} balance depleted"),
    ch.BalanceExpired: _ocs("balance_expired", lambda e: f"{e.balance_type} balance expired"),
    ch.ActionPlanScheduled: _plan("scheduled", lambda e: f"ActionPlan {e.action_plan_id} scheduled"),
    ch.ActionPlanRemoved: _plan("removed", lambda e: f"ActionPlan {e.action_plan_id} removed"),
    ch.ActionPlanRenewRequested: _plan("renew_requested", lambda e: f"Renewal of {e.action_plan_id} requested"),
    ch.ActionPlanExecuted: _plan("executed", lambda e: f"ActionPlan {e.action_plan_id} ran at {e.executed_at}"),
    p.ProvisionRequested: lambda e: Entry(
        "provision",
        e.provision_id,
        "requested",
        f"{'Deprovisioning' if e.action else 'Provisioning'} {e.provisioning_play} requested",
    ),
    p.ProvisionSucceeded: lambda e: Entry(
        "provision", e.provision_id, "succeeded", f"Provision {e.provision_id} succeeded"
    ),
    p.ProvisionFailed: lambda e: Entry(
        "provision",
        e.provision_id,
        "failed",
        f"Provision {e.provision_id} failed" + (f" at {e.failed_task}" if e.failed_task else "") + f": {e.error}",
    ),
    ca.InventoryItemAssigned: lambda e: Entry(
        "inventory",
        e.inventory_id,
        "assigned",
        f"{e.item} {e.inventory_id} assigned" + (f" to service {e.service_id}" if e.service_id else ""),
    ),
    ca.InventoryItemReleased: lambda e: Entry(
        "inventory", e.inventory_id, "released", f"Inventory {e.inventory_id} released ({e.new_state})"
    ),
    i.UserCreated: lambda e: Entry("user", e.user_id, "created", f"Self-care user {e.username} created"),
    i.ImpersonationStarted: lambda e: Entry(
        "user",
        e.target_user_id,
        "impersonation_started",
        f"User {e.impersonating_user_id} started impersonating user {e.target_user_id}",
    ),
    i.ImpersonationEnded: lambda e: Entry(
        "user",
        e.target_user_id,
        "impersonation_ended",
        f"User {e.impersonating_user_id} stopped impersonating user {e.target_user_id} after {e.duration_seconds}s",
    ),
}


class ActivityFeed(BusProjection):
    name = "activity_feed"
    tables = (activity_feed, activity_feed_users)
    handles = tuple(DESCRIBE)

    def apply(self, event: ReceivedEvent, rows: Rows) -> None:
        payload: Any = event.payload
        if isinstance(payload, i.UserCreated) and payload.customer_id is not None:
            rows(activity_feed_users).put({"user_id": payload.user_id, "customer_id": payload.customer_id})
        customer_id = self._customer_of(payload, rows)
        if customer_id is None:
            return
        envelope = event.envelope
        row = entry_row(
            activity_id=str(envelope.event_id),
            customer_id=customer_id,
            at=envelope.occurred_at,
            source=envelope.source,
            actor=envelope.actor.model_dump(exclude_none=True),
            entry=DESCRIBE[type(payload)](payload),
        )
        rows(activity_feed).put(row)

    def _customer_of(self, e: Any, rows: Rows) -> int | None:
        if isinstance(e, i.ImpersonationStarted | i.ImpersonationEnded):
            user = rows(activity_feed_users).get(e.target_user_id)
            return None if user is None else int(user["customer_id"])  # staff impersonating staff: no customer
        if isinstance(e, ca.InventoryItemReleased):
            return e.from_customer_id
        if e.__class__.context == "charging":
            return self._service_owner(e, rows)
        customer_id: int | None = getattr(e, "customer_id", None)
        return customer_id

    def _service_owner(self, e: Any, rows: Rows) -> int:
        if e.service_id is not None:
            owner = rows(service_owners).get(e.service_id)
            if owner is not None:
                return int(owner["customer_id"])
        c = service_owners.c
        found = rows.conn.execute(
            select(c.customer_id).where(c.service_uuid == e.service_uuid).order_by(c.service_id.desc()).limit(1)
        ).scalar()
        if found is None:
            raise ServiceNotKnownYet(f"no service {e.service_id or e.service_uuid} in customers (yet)")
        return int(found)
