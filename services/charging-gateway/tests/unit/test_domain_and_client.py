"""Pure rules: naming (D73, D75), signals from Account JSON, display (§5.2), client error mapping (§1.6)."""

from datetime import UTC, datetime

import httpx
import pytest

from omnibus.charging_gateway.cgrates.client import (
    CGRateSClient,
    Exists,
    NotFound,
    PartiallyExecuted,
    ProtocolError,
    UnknownMethod,
    error_for,
)
from omnibus.charging_gateway.domain import InvalidRequestError
from omnibus.charging_gateway.domain.display import amount, balance_view, human_name, relative
from omnibus.charging_gateway.domain.naming import check_service_uuid, parse_action_plan_id
from omnibus.charging_gateway.domain.signals import expired_balance_signals, trigger_signals

NOW = datetime(2025, 1, 10, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("plan_id", "expected"),
    [
        (
            "ServiceID_abc-123-def__ProductID_456__CustomerID_789__MonthlyRenewal",
            {"ServiceID": "abc-123-def", "ProductID": 456, "CustomerID": 789, "Suffix": "MonthlyRenewal"},
        ),
        (
            "ServiceID_Mobile_SIM_c2880638__ProductID_456__MonthlyRenewal",
            {"ServiceID": "Mobile_SIM_c2880638", "ProductID": 456, "Suffix": "MonthlyRenewal"},
        ),
        ("ActionPlan_Service123_Monthly_Charge", {}),
    ],
)
def test_action_plan_ids_are_parsed_as_d73_says(plan_id, expected):
    assert parse_action_plan_id(plan_id) == expected


@pytest.mark.parametrize("bad", ["", "a__b", "tenant:acc", "x" * 65, "spaces here", "semi;colon"])
def test_service_uuids_follow_d75(bad):
    with pytest.raises(InvalidRequestError):
        check_service_uuid(bad)
    assert check_service_uuid("FixedWireless_75628fa5") == "FixedWireless_75628fa5"


def account(**extra):
    return {"ID": "cgrates.org:SVC_1", "BalanceMap": None, "ActionTriggers": None, **extra}


def test_a_fired_trigger_is_a_signal_keyed_by_its_firing_time():
    trigger = {
        "UniqueID": "LOW",
        "ThresholdType": "*min_balance",
        "ThresholdValue": 100,
        "Balance": {"Type": "*data", "ID": "D"},
        "LastExecutionTime": "2025-01-10T11:00:00Z",
    }
    never = {**trigger, "UniqueID": "OTHER", "LastExecutionTime": "0001-01-01T00:00:00Z"}
    out = {**trigger, "UniqueID": "OUT", "ThresholdValue": 0}
    body = account(
        BalanceMap={"*data": [{"ID": "D", "Value": 50, "ExpirationDate": "0001-01-01T00:00:00Z"}]},
        ActionTriggers=[trigger, never, out],
    )

    signals = trigger_signals(body)

    assert [(s["kind"], s["signal_key"], s["value"]) for s in signals] == [
        ("low", "trigger:LOW@2025-01-10T11:00:00Z", 50.0),
        ("depleted", "trigger:OUT@2025-01-10T11:00:00Z", 50.0),
    ]


def test_expired_balances_still_listed_are_signals_keyed_by_uuid():
    body = account(
        BalanceMap={
            "*data": [
                {"Uuid": "u1", "ID": "OLD", "Value": 5, "ExpirationDate": "2025-01-09T00:00:00Z"},
                {"Uuid": "u2", "ID": "NEW", "Value": 5, "ExpirationDate": "2025-02-09T00:00:00Z"},
                {"Uuid": "u3", "ID": "FOREVER", "Value": 5, "ExpirationDate": "0001-01-01T00:00:00Z"},
            ]
        }
    )

    [signal] = expired_balance_signals(body, NOW)

    assert signal["balance_id"] == "OLD" and signal["signal_key"] == "balance:u1@2025-01-09T00:00:00Z"


def test_units_display_as_the_reference_product_shows_them():
    assert amount("*data", 5368709120, 100) == "5 GB"
    assert amount("*data", 13421772800, 100) == "12.5 GB"
    assert amount("*voice", 7500000000000, 100) == "125 minutes"
    assert amount("*sms", 45, 100) == "45 SMS"
    assert amount("*monetary", 1550, 100) == "$15.50"
    assert human_name("DATA_20GB_Monthly") == "Data 20GB Monthly"
    assert relative(datetime(2025, 1, 21, tzinfo=UTC), NOW) == "in 11 days"
    assert relative(datetime(2025, 1, 11, tzinfo=UTC), NOW) == "tomorrow"
    assert relative(datetime(2025, 3, 15, tzinfo=UTC), NOW) == "15 Mar 2025"


def test_balances_are_sorted_by_weight_then_expiry_and_totals_count_live_ones():
    body = account(
        BalanceMap={
            "*data": [
                {
                    "ID": "monthly_data_20GB",
                    "Value": 13421772800,
                    "Weight": 10,
                    "ExpirationDate": "2025-01-25T23:59:59Z",
                },
                {"ID": "addon_5GB", "Value": 5368709120, "Weight": 20, "ExpirationDate": "2025-01-31T23:59:59Z"},
                {"ID": "bonus_3GB", "Value": 0, "Weight": 30, "ExpirationDate": "2025-01-18T23:59:59Z"},
                {"ID": "expired_1GB", "Value": 1073741824, "Weight": 5, "ExpirationDate": "2025-01-01T00:00:00Z"},
            ]
        }
    )

    view = balance_view(body, NOW, 100)

    assert [b["ID"] for b in view["BalanceMap"]["*data"]] == [
        "bonus_3GB",
        "addon_5GB",
        "monthly_data_20GB",
        "expired_1GB",
    ]
    assert view["totals"]["*data"]["display"] == "17.5 GB"
    assert view["BalanceMap"]["*data"][0]["band"] == "low"


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("NOT_FOUND", NotFound),
        ("SERVER_ERROR: NOT_FOUND", NotFound),
        ("EXISTS", Exists),
        ("PARTIALLY_EXECUTED", PartiallyExecuted),
        ("rpc: can't find method APIerSv1.X", UnknownMethod),
    ],
)
def test_error_strings_map_to_typed_errors(message, kind):
    error = error_for(message, "m")

    assert type(error) is kind and error.message == message


def test_an_empty_reply_or_a_mismatched_id_is_a_protocol_error():
    empty = CGRateSClient("http://x", "t", transport=httpx.MockTransport(lambda r: httpx.Response(200, content=b"")))
    wrong = CGRateSClient(
        "http://x",
        "t",
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"id": 999, "result": "OK", "error": None})),
    )

    with pytest.raises(ProtocolError):
        empty.ping()
    with pytest.raises(ProtocolError):
        wrong.ping()


def test_every_call_sends_the_tenant_and_posts_to_jsonrpc():
    seen = []

    def handler(request):
        seen.append((request.url.path, httpx.Response(200, content=request.read()).json()))
        body = seen[-1][1]
        return httpx.Response(200, json={"id": body["id"], "result": "OK", "error": None})

    client = CGRateSClient("10.0.1.100:2080", "mnc380.mcc313.3gppnetwork.org", transport=httpx.MockTransport(handler))
    client.set_account("SVC_1", disabled=True)
    client.remove_account("SVC_1")

    assert [path for path, _ in seen] == ["/jsonrpc", "/jsonrpc"]
    assert [body["method"] for _, body in seen] == ["ApierV2.SetAccount", "ApierV1.RemoveAccount"]
    assert {body["params"][0]["Tenant"] for _, body in seen} == {"mnc380.mcc313.3gppnetwork.org"}
    assert seen[0][1]["params"][0]["ExtraOptions"] == {"Disabled": True}
