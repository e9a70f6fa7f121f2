"""Live balances and ActionPlans for service views (charging.md §4.1): read from CGRateS on demand, never stored as
truth. Balances change with every session, so a view reads them with one JSON-RPC call (``GetAccount``), cached
only for bursts (a page load asks several times). ActionPlans change only when one is attached, removed or runs, so
the account's plan list (``GetAccountActionPlan``) is kept longer: until a plan's ``NextExecTime`` has passed, the
gateway changed the account, or ``plans_ttl`` ends (plans a play set straight in CGRateS). When CGRateS is
unreachable the last known answer is served, marked ``stale`` with its ``fetched_at``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from omnibus.charging_gateway.cgrates.client import CGRateSClient, NotFound, ProtocolError, Unavailable
from omnibus.charging_gateway.domain import AccountNotFoundError
from omnibus.charging_gateway.domain.display import balance_view, plan_view
from omnibus.charging_gateway.domain.signals import check_account_json, parse_time
from omnibus.charging_gateway.readmodel.queries import last_known, products_of, remember


class OcsUnavailableError(Exception):
    http_status = 503
    code = "ocs_unavailable"


class LiveBalances:
    def __init__(
        self,
        ocs: CGRateSClient,
        engine: Engine,
        clock: Callable[[], datetime],
        *,
        ttl: float = 2.0,
        plans_ttl: float = 60.0,
        divisor: int = 100,
    ) -> None:
        self.ocs = ocs
        self.engine = engine
        self.clock = clock
        self.ttl = ttl
        self.plans_ttl = plans_ttl
        self.divisor = divisor
        self._cache: dict[str, tuple[float, dict[str, Any], list[Any], datetime]] = {}
        self._plans: dict[str, tuple[float, list[Any]]] = {}
        self._lock = threading.Lock()
        self.calls = 0  # CGRateS round trips made (for tests and metrics)

    def raw(self, service_uuid: str) -> tuple[dict[str, Any], list[Any], datetime, bool]:
        """``(account JSON, plan rows, fetched_at, stale)``."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(service_uuid)
        if cached is not None and cached[0] > now:
            return cached[1], cached[2], cached[3], False
        try:
            account = check_account_json(self.ocs.get_account(service_uuid))
            self.calls += 1
            plans = self._plans_of(service_uuid, now)
        except NotFound:
            raise AccountNotFoundError(service_uuid) from None
        except (Unavailable, ProtocolError) as error:
            stored = last_known(self.engine, service_uuid)
            if stored is None:
                raise OcsUnavailableError(f"OCS unreachable and no last known balances: {error}") from None
            return stored["account"], stored["action_plans"], stored["fetched_at"], True
        fetched = self.clock()
        with self._lock:
            self._cache[service_uuid] = (now + self.ttl, account, plans, fetched)
        remember(self.engine, service_uuid, account, plans, fetched)
        return account, plans, fetched, False

    def _plans_of(self, service_uuid: str, now: float) -> list[Any]:
        with self._lock:
            cached = self._plans.get(service_uuid)
        if cached is not None and cached[0] > now and not self._run_due(cached[1]):
            return cached[1]
        plans: list[Any] = self.ocs.get_account_action_plans(service_uuid)
        self.calls += 1
        with self._lock:
            self._plans[service_uuid] = (now + self.plans_ttl, plans)
        return plans

    def _run_due(self, plans: list[Any]) -> bool:
        """A cached plan whose next run has come: CGRateS has moved it on (and probably renewed the balances)."""
        now = self.clock()
        return any((when := parse_time(p.get("NextExecTime"))) is not None and when <= now for p in plans)

    def view(self, service_uuid: str) -> dict[str, Any]:
        """The ``cgrates`` block of ``GET /crm/service/{id}``."""
        account, plans, fetched, stale = self.raw(service_uuid)
        now = self.clock()
        balances = balance_view(account, now, self.divisor)
        return {
            "BalanceMap": balances["BalanceMap"],
            "ActionPlans": self._with_products(plan_view(plans, now)),
            "totals": balances["totals"],
            "AllowNegative": account.get("AllowNegative"),
            "Disabled": account.get("Disabled"),
            "stale": stale,
            "fetched_at": _iso(fetched),
        }

    def _with_products(self, plans: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """charging.md §10: each plan's product by name and price (catalog's products; "Unknown product", D73)."""
        products = products_of(self.engine, {p["product_id"] for p in plans if p.get("product_id") is not None})
        for plan in plans:
            product = products.get(plan["product_id"]) if plan.get("product_id") is not None else None
            plan["product_name"] = product["product_name"] if product else "Unknown product"
            plan["retail_cost"] = float(product["retail_cost"]) if product else None
        return plans

    def forget(self, service_uuid: str) -> None:
        """Drop the cached answer (after a command changed the account)."""
        with self._lock:
            self._cache.pop(service_uuid, None)
            self._plans.pop(service_uuid, None)


def _iso(value: Any) -> Any:
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is None:  # SQLite returns naive datetimes; they were stored as UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
