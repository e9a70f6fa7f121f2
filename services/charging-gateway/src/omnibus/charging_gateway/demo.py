"""Demo data for ``make run``: two prepaid accounts with bundles, a monthly renewal plan and a low-balance alert."""

from __future__ import annotations

import logging

from omnibus.charging_gateway.application import ChargingApp
from omnibus.charging_gateway.cgrates.client import CGRateSError

log = logging.getLogger(__name__)

DEMO_ACCOUNTS = ("Mobile_SIM_c2880638", "FixedWireless_75628fa5")
GIB = 1024**3


def seed_demo_accounts(app: ChargingApp) -> None:
    """Idempotent: accounts that already exist are left as they are."""
    try:
        _seed(app)
    except CGRateSError as error:  # demo data is a convenience; a missing OCS must not stop the service
        log.warning("charging demo data skipped: %s", error)


def _seed(app: ChargingApp) -> None:
    ocs = app.ocs
    ocs.set_actions(
        "Action_prepaid-mobile-20gb",
        [
            {
                "Identifier": "*set_balance",
                "BalanceId": "DATA_20GB_Monthly",
                "BalanceType": "*data",
                "Units": str(20 * GIB),
                "ExpiryTime": "+720h",
                "BalanceWeight": "10",
                "Weight": 100,
            },
            {"Identifier": "*reset_triggers", "Weight": 90},
        ],
    )
    for index, service_uuid in enumerate(DEMO_ACCOUNTS):
        if app.find(service_uuid) is not None:
            continue
        app.create_account(service_uuid)
        app.top_up(
            service_uuid,
            f"demo-data-{service_uuid}",
            {
                "operation": "set",
                "balance_type": "*data",
                "value": float((12.5 if index == 0 else 450) * GIB),
                "balance_id": "DATA_20GB_Monthly" if index == 0 else "DATA_500GB_Monthly",
                "expiry": "+720h",
                "weight": 10.0,
                "blocker": False,
                "destination_ids": None,
                "rearm_triggers": True,
            },
        )
        app.top_up(
            service_uuid,
            f"demo-credit-{service_uuid}",
            {
                "operation": "add",
                "balance_type": "*monetary",
                "value": 1550.0,
                "balance_id": "prepaid_credit",
                "expiry": None,
                "weight": 10.0,
                "blocker": False,
                "destination_ids": None,
                "rearm_triggers": True,
            },
        )
        app.set_balance_trigger(service_uuid, kind="low", balance_type="*data", threshold=float(GIB), balance_id=None)
