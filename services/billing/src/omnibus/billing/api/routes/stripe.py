"""Cards and charges (billing.md §3.3; D96-D103): saved Stripe cards, ``charge_card``, expiring cards, webhooks."""

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

import stripe
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import IntegrityError

from omnibus.billing.api.deps import BillingAppDep, EngineDep, ReadDep
from omnibus.billing.api.schemas import (
    CardCreate,
    CardPatch,
    ChargeCard,
    ExpiryReminders,
    PathId,
    SetupIntentRequest,
    StripeId,
)
from omnibus.billing.api.views import card_row_view, card_view
from omnibus.billing.application import BillingApp, CardNotOwnedError
from omnibus.billing.config import BillingConfig
from omnibus.billing.domain import NotFoundError, PaymentMethod
from omnibus.billing.readmodel.ledger import card_id_for, card_rows, expiring_cards
from omnibus.billing.readmodel.tables import stripe_webhook_events
from omnibus.platform.auth import Access, require
from omnibus.platform.http.errors import ApiError

router = APIRouter(tags=["stripe"])
log = logging.getLogger(__name__)

AUTOMATIC_REMINDER_DAYS = (60, 30, 7)  # D98


def _card(app: BillingApp, read: ReadDep, customer_stripe_id: str, access: Access) -> PaymentMethod:
    found = card_id_for(read, customer_stripe_id)
    if found is None:
        raise NotFoundError(f"Card {customer_stripe_id} not found")
    access.check_customer(found[1], "Card")
    return app.get_card(found[0])


@router.get("/crm/stripe/customer_id/{customer_id}")
def customer_cards(
    customer_id: PathId,
    read: ReadDep,
    access: Annotated[Access, Depends(require("view_customer_stripe_card", own="view_own_customer_stripe_card"))],
) -> dict[str, Any]:
    """A customer's saved cards, each with both default-flag names (D96)."""
    access.check_customer(customer_id, "Customer")
    return {"data": [card_row_view(r) for r in card_rows(read, customer_id)]}


@router.post("/crm/stripe/setup_intent")
def setup_intent(
    body: SetupIntentRequest,
    app: BillingAppDep,
    access: Annotated[Access, Depends(require("create_customer_stripe_card", own="create_own_customer_stripe_card"))],
) -> dict[str, str]:
    """A SetupIntent client secret for Stripe Elements to save a card (verification without a charge, D102)."""
    access.check_customer(body.customer_id, "Customer")
    return {"client_secret": app.setup_intent(body.customer_id)}


@router.put("/crm/stripe/")
@router.post("/crm/stripe/", include_in_schema=False)
def add_card(
    body: CardCreate,
    app: BillingAppDep,
    access: Annotated[Access, Depends(require("create_customer_stripe_card", own="create_own_customer_stripe_card"))],
) -> dict[str, Any]:
    """Save a card tokenised by Stripe (``pm_…``): attached to the customer's Stripe Customer; first card default."""
    access.check_customer(body.customer_id, "Customer")
    card = app.add_card(body.customer_id, body.customer_stripe_id, nickname=body.nickname, set_default=body.set_default)
    return card_view(card)


@router.patch("/crm/stripe/customer_stripe_id/{customer_stripe_id}")
def update_card(
    customer_stripe_id: str,
    body: CardPatch,
    app: BillingAppDep,
    read: ReadDep,
    access: Annotated[Access, Depends(require("update_customer_stripe_card", own="update_own_customer_stripe_card"))],
) -> dict[str, Any]:
    """Rename a card or make it the default (exactly one default per customer)."""
    card = _card(app, read, customer_stripe_id, access)
    changes: dict[str, Any] = {}
    if "nickname" in body.model_fields_set:
        changes["nickname"] = body.nickname
    if body.is_default or body.default_payment_method:
        changes["is_default"] = True
    if not changes:
        raise ApiError(400, "validation_error", "Give nickname and/or is_default: true")
    return card_view(app.update_card(card, changes))


@router.delete("/crm/stripe/customer_stripe_id/{customer_stripe_id}")
def delete_card(
    customer_stripe_id: str,
    app: BillingAppDep,
    read: ReadDep,
    access: Annotated[Access, Depends(require("delete_customer_stripe_card", own="delete_own_customer_stripe_card"))],
) -> dict[str, Any]:
    """Remove a card and detach it in Stripe; deleting the default promotes the newest remaining card (D103)."""
    card = app.delete_card(_card(app, read, customer_stripe_id, access))
    return {"result": "success", "customer_stripe_id": card.customer_stripe_id}


@router.get("/crm/stripe/expiring")
def expiring(
    read: ReadDep,
    access: Annotated[Access, Depends(require("view_customer_stripe_card", own="view_own_customer_stripe_card"))],
    within_days: Annotated[int, Query(ge=1, le=366)] = 60,
) -> dict[str, Any]:
    """Cards expiring within ``within_days`` (dashboard filters 30/60/90, default 60) and expired ones."""
    rows = expiring_cards(read, datetime.now(UTC).date(), within_days, access.own_customer_id)
    return {
        "data": [
            {
                **card_row_view(r),
                "customer_name": r["customer_name"],
                "expiry": f"{r['exp_month']:02d}/{r['exp_year']}",
                "days_left": r["days_left"],
                "expired": r["expired"],
            }
            for r in rows
        ]
    }


@router.post("/crm/stripe/expiring/remind")
def remind(
    body: ExpiryReminders,
    app: BillingAppDep,
    read: ReadDep,
    _: Annotated[Access, Depends(require("create_communication"))],
) -> dict[str, Any]:
    """Ask communications to remind the owners of these cards (published as CardExpiryReminderRequested)."""
    today = datetime.now(UTC).date()
    by_id = {r["card_id"]: r for r in expiring_cards(read, today, 100_000)}
    unknown = [card_id for card_id in body.card_ids if card_id not in by_id]
    if unknown:
        raise ApiError(404, "not_found", f"Unknown card id(s): {unknown}", unknown)
    for card_id in body.card_ids:
        app.remind_card_expiry(card_id, by_id[card_id]["days_left"], "manual")
    return {"status": "queued", "queued": len(body.card_ids)}


@router.post("/crm/stripe/expiring/sweep")
def automatic_reminders(
    app: BillingAppDep, read: ReadDep, _: Annotated[Access, Depends(require("update_customer_stripe_card"))]
) -> dict[str, Any]:
    """The daily automatic reminders 60, 30 and 7 days before expiry (D98); each threshold once per card."""
    today = datetime.now(UTC).date()
    sent = 0
    for row in expiring_cards(read, today, max(AUTOMATIC_REMINDER_DAYS)):
        due = [d for d in AUTOMATIC_REMINDER_DAYS if 0 <= row["days_left"] <= d]
        if due and app.remind_card_expiry(row["card_id"], min(due), "automatic"):
            sent += 1
    return {"status": "queued", "queued": sent}


@router.post("/crm/stripe/charge_card/{customer_stripe_id}")
def charge_card(
    customer_stripe_id: StripeId,
    body: ChargeCard,
    app: BillingAppDep,
    read: ReadDep,
    _: Annotated[Access, Depends(require("create_customer_transaction"))],
) -> dict[str, Any]:
    """Charge a saved card and record the charge (+ a paid invoice with ``invoice: true``, D70); 402 declined."""
    found = card_id_for(read, customer_stripe_id)
    if found is None:
        raise NotFoundError(f"Card {customer_stripe_id} not found")
    if found[1] != body.customer_id:
        raise CardNotOwnedError(f"Card {customer_stripe_id} does not belong to customer {body.customer_id}")
    result = app.charge_card(
        app.get_card(found[0]),
        retail_cost=body.retail_cost,
        description=body.description,
        service_id=body.service_id,
        wholesale_cost=body.wholesale_cost,
        provision_id=body.provision_id,
        with_invoice=body.invoice,
        idempotency_key=body.idempotency_key,
    )
    return result


@router.post("/crm/stripe/webhook", include_in_schema=True)
async def webhook(request: Request, app: BillingAppDep, engine: EngineDep) -> dict[str, Any]:
    """Stripe events (D101), verified on the raw body by ``Stripe-Signature`` and handled once per event id."""
    config: BillingConfig = request.app.state.billing_config
    secret = request.app.state.stripe_webhook_secret
    payload = await request.body()
    try:
        event = stripe.Webhook.construct_event(
            payload, request.headers.get("stripe-signature"), secret, tolerance=config.webhook_tolerance_seconds
        )
    except (ValueError, stripe.SignatureVerificationError):
        raise ApiError(400, "bad_signature", "Invalid Stripe signature or payload") from None
    return await run_in_threadpool(_handle_once, app, engine, event)


def _handle_once(app: BillingApp, engine: Any, event: Any) -> dict[str, Any]:
    with engine.connect() as conn:
        seen = conn.execute(stripe_webhook_events.select().where(stripe_webhook_events.c.event_id == event.id)).first()
    if seen is not None:
        return {"received": True, "duplicate": True}
    _handle(app, event)
    try:
        with engine.begin() as conn:
            conn.execute(
                stripe_webhook_events.insert().values(event_id=event.id, type=event.type, received=datetime.now(UTC))
            )
    except IntegrityError:  # the same event delivered twice at once: both handlings were idempotent
        pass
    return {"received": True}


def _handle(app: BillingApp, event: Any) -> None:
    obj: dict[str, Any] = event.data.object.to_dict()
    invoice_id = _invoice_id(obj)
    if invoice_id is None:
        log.info("stripe event %s (%s) concerns no invoice", event.id, event.type)
        return
    try:
        if event.type == "payment_intent.succeeded":
            app.stripe_payment_succeeded(invoice_id, obj["id"], int(obj.get("amount_received") or 0))
        elif event.type == "payment_intent.payment_failed":
            error = obj.get("last_payment_error") or {}
            reason = f"{error.get('decline_code') or error.get('code')}: {error.get('message')}"
            app.stripe_payment_failed(invoice_id, obj["id"], obj.get("payment_method"), reason)
        elif event.type == "charge.refunded":
            app.stripe_charge_refunded(invoice_id, str(obj.get("payment_intent")), int(obj.get("amount_refunded") or 0))
    except NotFoundError:
        log.warning("stripe event %s names unknown invoice %s", event.id, invoice_id)


def _invoice_id(obj: dict[str, Any]) -> int | None:
    value = (obj.get("metadata") or {}).get("invoice_id")
    return int(value) if value and str(value).isdigit() else None
