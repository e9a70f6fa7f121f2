"""The emulator's ActionPlans and scheduler (§5.5-§5.8), triggers (§6) and CDRs (§7), over HTTP."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from omnibus.testing.helpers import eventually

T = "cgrates.org"
GIB = 1024**3


def topup_set(emulator, actions_id="Renew", units=10):
    emulator.ok(
        "APIerSv1.SetActions",
        {
            "ActionsId": actions_id,
            "Overwrite": True,
            "Actions": [
                {"Identifier": "*topup", "BalanceType": "*monetary", "BalanceId": "RUNS", "Units": units, "Weight": 10}
            ],
        },
    )


def plan(emulator, plan_id, *items, overwrite=True, reload=True):
    return emulator.rpc(
        "APIerSv1.SetActionPlan",
        {"Id": plan_id, "ActionPlan": list(items), "Overwrite": overwrite, "ReloadScheduler": reload},
    )


def attach(emulator, account, *plan_ids, reload=True):
    emulator.ok(
        "APIerSv2.SetAccount",
        {"Tenant": T, "Account": account, "ActionPlanIDs": list(plan_ids), "ReloadScheduler": reload},
    )


def runs(emulator, account="cgrates.org:a1"):
    return [e["Time"] for e in emulator.ok("Emulator.Executions", {}) if e["Account"] == account]


def test_a_monthly_plan_on_day_31_fires_only_in_months_that_have_it(emulator):
    topup_set(emulator)
    plan(emulator, "AP", {"ActionsId": "Renew", "MonthDays": "31", "Time": "00:00:00", "Weight": 10})
    attach(emulator, "a1", "AP")

    emulator.ok("Emulator.AdvanceClock", {"To": "2026-06-01T00:00:00Z"})

    assert runs(emulator) == ["2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z"]
    assert emulator.balance("a1", "*monetary", "RUNS")["Value"] == 30


def test_monthly_keyword_is_anchored_at_creation_and_estimated_falls_back_to_the_month_end(emulator):
    emulator.ok("Emulator.SetClock", {"Time": "2026-01-31T09:30:00Z"})
    topup_set(emulator, "R1")
    topup_set(emulator, "R2")
    plan(emulator, "AP_monthly", {"ActionsId": "R1", "Time": "*monthly", "Weight": 10})
    plan(emulator, "AP_estimated", {"ActionsId": "R2", "Time": "*monthly_estimated", "Weight": 10})
    attach(emulator, "m", "AP_monthly")
    attach(emulator, "e", "AP_estimated")

    emulator.ok("Emulator.AdvanceClock", {"To": "2026-05-01T00:00:00Z"})

    assert runs(emulator, "cgrates.org:m") == ["2026-03-31T09:30:00Z"]
    assert runs(emulator, "cgrates.org:e") == ["2026-02-28T09:30:00Z", "2026-03-31T09:30:00Z", "2026-04-30T09:30:00Z"]


def test_month_end_plans_fire_on_each_last_day(emulator):
    topup_set(emulator)
    plan(emulator, "AP", {"ActionsId": "Renew", "Time": "*month_end", "Weight": 10})
    attach(emulator, "a1", "AP")

    emulator.ok("Emulator.AdvanceClock", {"To": "2026-04-01T00:00:00Z"})

    assert runs(emulator) == ["2026-01-31T10:00:00Z", "2026-02-28T10:00:00Z", "2026-03-31T10:00:00Z"]


def test_asap_timings_run_once_when_the_scheduler_reloads_and_do_not_attach(emulator):
    topup_set(emulator)
    plan(emulator, "ONCE", {"ActionsId": "Renew", "Time": "*asap", "Weight": 10})
    attach(emulator, "a1", "ONCE", reload=False)

    before = emulator.account("a1")["BalanceMap"]
    emulator.ok("SchedulerSv1.Reload", {})

    assert before is None
    assert emulator.balance("a1", "*monetary", "RUNS")["Value"] == 10
    assert emulator.ok("APIerSv1.GetActionPlan", {"ID": "ONCE"})[0]["AccountIDs"] is None


def test_schedule_changes_take_effect_only_after_a_reload(emulator):
    topup_set(emulator)
    plan(emulator, "AP", {"ActionsId": "Renew", "MonthDays": "20", "Time": "00:00:00", "Weight": 10})
    attach(emulator, "a1", "AP", reload=False)

    emulator.ok("Emulator.AdvanceClock", {"To": "2026-01-21T00:00:00Z"})
    assert runs(emulator) == []
    emulator.ok("SchedulerSv1.Reload", {})
    emulator.ok("Emulator.AdvanceClock", {"To": "2026-02-21T00:00:00Z"})

    assert runs(emulator) == ["2026-02-20T00:00:00Z"]


def test_a_removed_account_is_recreated_by_a_plan_until_the_scheduler_reloads(emulator):
    topup_set(emulator)
    plan(emulator, "AP", {"ActionsId": "Renew", "MonthDays": "20", "Time": "00:00:00", "Weight": 10})
    attach(emulator, "a1", "AP")
    emulator.ok("APIerSv1.RemoveAccount", {"Tenant": T, "Account": "a1"})

    emulator.ok("Emulator.AdvanceClock", {"To": "2026-01-21T00:00:00Z"})

    assert emulator.balance("a1", "*monetary", "RUNS")["Value"] == 10


def test_overwriting_a_plan_detaches_its_accounts(emulator):
    topup_set(emulator)
    plan(emulator, "AP", {"ActionsId": "Renew", "MonthDays": "1", "Time": "00:00:00", "Weight": 10})
    attach(emulator, "a1", "AP")

    plan(emulator, "AP", {"ActionsId": "Renew", "MonthDays": "2", "Time": "00:00:00", "Weight": 10})

    assert emulator.ok("APIerSv1.GetActionPlan", {"ID": "AP"})[0]["AccountIDs"] is None
    assert emulator.ok("APIerSv1.GetAccountActionPlan", {"Tenant": T, "Account": "a1"}) == []


def test_plan_errors(emulator):
    topup_set(emulator)
    assert plan(emulator, "AP", {"ActionsId": "Ghost", "Time": "00:00:00"})["error"] == "BROKEN_REFERENCE:Ghost"
    assert plan(emulator, "AP", {"ActionsId": "Renew", "Time": "soon"})["error"] == "UNSUPPORTED_FORMAT:soon"
    assert (
        plan(emulator, "AP", {"ActionsId": "Renew", "Time": ""})["error"] == "MANDATORY_IE_MISSING:Action:Renew:[Time]"
    )
    assert plan(emulator, "AP", {"ActionsId": "Renew", "Time": "00:00:00", "Weight": "0"})["error"] == (
        "json: cannot unmarshal string into Go struct field AttrActionPlan.ActionPlan.Weight of type float64"
    )
    plan(emulator, "AP", {"ActionsId": "Renew", "Time": "00:00:00"})
    assert plan(emulator, "AP", {"ActionsId": "Renew", "Time": "00:00:00"}, overwrite=False)["error"] == "EXISTS"
    assert emulator.error("APIerSv1.GetActionPlan", {"ID": "nope"}) == "NOT_FOUND"
    assert emulator.ok("APIerSv1.RemoveActionPlan", {"ID": "nope"}) == "OK"
    assert emulator.error("APIerSv1.RemoveActionTiming", {"ActionPlanId": "nope", "Tenant": T, "Account": "a1"}) == (
        "SERVER_ERROR: NOT_FOUND"
    )


def test_account_action_plans_and_scheduled_actions(emulator):
    topup_set(emulator)
    plan(emulator, "AP", {"ActionsId": "Renew", "MonthDays": "1", "Time": "00:00:00", "Weight": 10})
    attach(emulator, "a1", "AP")

    [row] = emulator.ok("APIerSv1.GetAccountActionPlan", {"Tenant": T, "Account": "a1"})
    [queued] = emulator.ok("APIerSv1.GetScheduledActions", {})
    emulator.ok(
        "APIerSv1.RemoveActionTiming", {"ActionPlanId": "AP", "Tenant": T, "Account": "a1", "ReloadScheduler": True}
    )

    assert row["ActionPlanId"] == "AP" and row["NextExecTime"] == "2026-02-01T00:00:00Z"
    assert queued["NextRunTime"] == "2026-02-01T00:00:00Z" and queued["Accounts"] == 1
    assert emulator.ok("APIerSv1.GetAccountActionPlan", {"Tenant": T, "Account": "a1"}) == []


class _Receiver:
    """A webhook receiver recording the bodies POSTed to it."""

    def __init__(self):
        bodies = self.bodies = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"


def low_trigger(emulator, url):
    emulator.ok(
        "APIerSv1.SetActions",
        {
            "ActionsId": "NOTIFY",
            "Overwrite": True,
            "Actions": [{"Identifier": "*http_post", "ExtraParameters": url, "Weight": 10}],
        },
    )
    emulator.ok(
        "APIerSv1.SetActionTrigger",
        {
            "GroupID": "TRG",
            "UniqueID": "LOW",
            "ActionTrigger": {
                "ThresholdType": "*min_balance",
                "ThresholdValue": 100,
                "BalanceType": "*data",
                "BalanceID": "D",
                "Weight": 10,
                "ActionsID": "NOTIFY",
            },
        },
    )
    emulator.ok("APIerSv2.SetAccount", {"Tenant": T, "Account": "a1", "ActionTriggerIDs": ["TRG"]})


def debit(emulator, value):
    emulator.ok(
        "APIerSv1.DebitBalance",
        {"Tenant": T, "Account": "a1", "BalanceType": "*data", "Value": value, "Balance": {"ID": "D"}},
    )


def test_a_low_balance_trigger_fires_once_posts_the_account_and_re_arms_on_reset(emulator):
    receiver = _Receiver()
    low_trigger(emulator, receiver.url)
    emulator.ok(
        "APIerSv1.AddBalance",
        {"Tenant": T, "Account": "a1", "BalanceType": "*data", "Value": 1000, "Balance": {"ID": "D"}},
    )

    debit(emulator, 950)
    debit(emulator, 10)
    assert len(receiver.bodies) == 1
    body = receiver.bodies[0]
    assert body["ID"] == "cgrates.org:a1"
    assert body["BalanceMap"]["*data"][0]["Value"] == 50
    assert body["ActionTriggers"][0]["Executed"] is True

    emulator.ok("APIerSv1.ResetAccountActionTriggers", {"Tenant": T, "Account": "a1", "Executed": False})

    assert len(eventually(lambda: _at_least(receiver.bodies, 2))) == 2  # still below: re-evaluated, fires again
    [trigger] = emulator.ok("APIerSv1.GetAccountActionTriggers", {"Tenant": T, "Account": "a1"})
    assert trigger["Executed"] is True and trigger["LastExecutionTime"] == "2026-01-15T10:00:00Z"


def _at_least(items, n):
    assert len(items) >= n
    return items


def test_a_recurrent_trigger_fires_on_every_qualifying_change(emulator):
    receiver = _Receiver()
    low_trigger(emulator, receiver.url)
    emulator.ok(
        "APIerSv1.SetAccountActionTriggers",
        {"Tenant": T, "Account": "a1", "GroupID": "TRG", "UniqueID": "LOW", "ActionTrigger": {"Recurrent": True}},
    )
    emulator.ok(
        "APIerSv1.AddBalance",
        {"Tenant": T, "Account": "a1", "BalanceType": "*data", "Value": 50, "Balance": {"ID": "D"}},
    )
    debit(emulator, 1)
    debit(emulator, 1)

    assert len(receiver.bodies) == 3


def test_a_disabled_account_runs_no_triggers(emulator):
    receiver = _Receiver()
    low_trigger(emulator, receiver.url)
    emulator.ok("APIerSv2.SetAccount", {"Tenant": T, "Account": "a1", "ExtraOptions": {"Disabled": True}})

    emulator.ok(
        "APIerSv1.AddBalance",
        {"Tenant": T, "Account": "a1", "BalanceType": "*data", "Value": 5, "Balance": {"ID": "D"}},
    )

    assert receiver.bodies == []


def cdr(emulator, origin, usage, tor="*data", request_type="*pseudoprepaid", account="a1", **extra):
    return emulator.rpc(
        "CDRsV1.ProcessExternalCDR",
        {
            "OriginID": origin,
            "OriginHost": "h",
            "ToR": tor,
            "RequestType": request_type,
            "Tenant": T,
            "Account": account,
            "Destination": "61400000000",
            "Usage": usage,
            "AnswerTime": "*now",
            **extra,
        },
    )


def test_usage_is_debited_by_weight_and_a_duplicate_origin_id_is_exists(emulator):
    emulator.ok(
        "APIerSv1.AddBalance",
        {"Tenant": T, "Account": "a1", "BalanceType": "*data", "Value": 100, "Balance": {"ID": "BOOST", "Weight": 20}},
    )
    emulator.ok(
        "APIerSv1.AddBalance",
        {"Tenant": T, "Account": "a1", "BalanceType": "*data", "Value": 1000, "Balance": {"ID": "BASE", "Weight": 10}},
    )

    assert cdr(emulator, "o1", "150")["result"] == "OK"
    assert cdr(emulator, "o1", "150")["error"] == "EXISTS"

    assert emulator.balance("a1", "*data", "BOOST")["Value"] == 0
    assert emulator.balance("a1", "*data", "BASE")["Value"] == 950


def test_voice_is_charged_in_whole_seconds_rounded_up(emulator):
    emulator.ok(
        "APIerSv1.AddBalance",
        {"Tenant": T, "Account": "a1", "BalanceType": "*voice", "Value": 600e9, "Balance": {"ID": "V"}},
    )

    cdr(emulator, "call1", "90.5s", tor="*voice")

    assert emulator.balance("a1", "*voice", "V")["Value"] == 509e9


def test_a_blocker_balance_fails_the_debit_but_the_cdr_is_stored_with_cost_minus_one(emulator):
    emulator.ok(
        "APIerSv1.AddBalance",
        {"Tenant": T, "Account": "a1", "BalanceType": "*data", "Value": 10, "Balance": {"ID": "CAP", "Blocker": True}},
    )

    assert cdr(emulator, "o1", "50")["result"] == "OK"
    [row] = emulator.ok("CDRsV1.GetCDRs", {"Accounts": ["a1"]})

    assert row["Cost"] == -1 and row["ExtraInfo"] == "INSUFFICIENT_CREDIT_BALANCE_BLOCKER"
    assert emulator.balance("a1", "*data", "CAP")["Value"] == 10


def test_remainder_is_paid_from_monetary_then_a_negative_default(emulator):
    emulator.ok("Emulator.SetPrice", {"ToR": "*data", "Price": 0.01})
    emulator.ok(
        "APIerSv1.AddBalance",
        {"Tenant": T, "Account": "a1", "BalanceType": "*monetary", "Value": 1, "Balance": {"ID": "MAIN"}},
    )

    cdr(emulator, "o1", "300")
    monetary = {b["ID"]: b["Value"] for b in emulator.account("a1")["BalanceMap"]["*monetary"]}

    assert monetary == {"MAIN": 0, "*default": -2}


def test_rated_requests_do_not_debit_and_missing_accounts_store_an_error(emulator):
    emulator.ok(
        "APIerSv1.AddBalance",
        {"Tenant": T, "Account": "a1", "BalanceType": "*data", "Value": 10, "Balance": {"ID": "D"}},
    )

    cdr(emulator, "r1", "5", request_type="*rated")
    cdr(emulator, "g1", "5", account="ghost")

    assert emulator.balance("a1", "*data", "D")["Value"] == 10
    [ghost] = emulator.ok("CDRsV1.GetCDRs", {"Accounts": ["ghost"]})
    assert ghost["ExtraInfo"] == "ACCOUNT_NOT_FOUND" and ghost["Cost"] == -1


def test_get_cdrs_filters_orders_pages_and_has_two_not_found_strings(emulator):
    for origin, usage in (("a", "3"), ("b", "1"), ("c", "2")):
        cdr(emulator, origin, usage, request_type="*rated")

    rows = emulator.ok("CDRsV1.GetCDRs", {"Accounts": ["a1"], "OrderBy": "Usage;desc", "Limit": 2})
    external = emulator.ok("APIerSv2.GetCDRs", {"OriginIDs": ["b"]})

    assert [r["OriginID"] for r in rows] == ["a", "c"]
    assert external[0]["Usage"] == "1" and "Partial" not in external[0]
    assert emulator.error("CDRsV1.GetCDRs", {"Accounts": ["nobody"]}) == "SERVER_ERROR: NOT_FOUND"
    assert emulator.error("APIerSv2.GetCDRs", {"Accounts": ["nobody"]}) == "NOT_FOUND"


def test_topups_with_cdrlog_write_a_findable_cdr(emulator):
    emulator.ok(
        "APIerSv1.AddBalance",
        {
            "Tenant": T,
            "Account": "a1",
            "BalanceType": "*monetary",
            "Value": 5,
            "Balance": {"ID": "M"},
            "Cdrlog": True,
            "ActionExtraData": {"CrmTxnID": "pay-1"},
        },
    )

    [row] = emulator.ok("CDRsV1.GetCDRs", {"Sources": ["*cdrlog"], "ExtraFields": {"CrmTxnID": "pay-1"}})

    assert row["RunID"] == "*topup" and row["Cost"] == 5 and row["RequestType"] == "*none"


def test_debit_usage_wraps_errors_and_needs_a_destination(emulator):
    assert emulator.error("APIerSv1.DebitUsage", {"Tenant": T, "Account": "a1", "Usage": "1"}) == (
        "MANDATORY_IE_MISSING: [Destination]"
    )
    assert emulator.error("APIerSv1.DebitUsage", {"Tenant": T, "Account": "a1", "Destination": "x", "Usage": "1"}) == (
        "SERVER_ERROR: ACCOUNT_NOT_FOUND"
    )


def test_min_sleep_throttles_a_recurrent_trigger(emulator):
    receiver = _Receiver()
    low_trigger(emulator, receiver.url)
    emulator.ok(
        "APIerSv1.SetAccountActionTriggers",
        {
            "Tenant": T,
            "Account": "a1",
            "GroupID": "TRG",
            "UniqueID": "LOW",
            "ActionTrigger": {"Recurrent": True, "MinSleep": "1h"},
        },
    )
    emulator.ok(
        "APIerSv1.AddBalance",
        {"Tenant": T, "Account": "a1", "BalanceType": "*data", "Value": 50, "Balance": {"ID": "D"}},
    )
    debit(emulator, 1)
    emulator.advance("2h")
    debit(emulator, 1)

    assert len(receiver.bodies) == 2


def test_max_balance_and_balance_expired_triggers(emulator):
    receiver = _Receiver()
    emulator.ok(
        "APIerSv1.SetActions",
        {
            "ActionsId": "NOTIFY",
            "Overwrite": True,
            "Actions": [{"Identifier": "*http_post", "ExtraParameters": receiver.url, "Weight": 10}],
        },
    )
    for unique, kind, value in (("MAX", "*max_balance", 500), ("EXP", "*balance_expired", 0)):
        emulator.ok(
            "APIerSv1.SetActionTrigger",
            {
                "GroupID": "TRG",
                "UniqueID": unique,
                "ActionTrigger": {
                    "ThresholdType": kind,
                    "ThresholdValue": value,
                    "BalanceType": "*data",
                    "ActionsID": "NOTIFY",
                },
            },
        )
    emulator.ok(
        "APIerSv1.AddBalance",
        {
            "Tenant": T,
            "Account": "a1",
            "BalanceType": "*data",
            "Value": 10,
            "Balance": {"ID": "D", "ExpiryTime": "+1h"},
        },
    )
    emulator.ok("APIerSv2.SetAccount", {"Tenant": T, "Account": "a1", "ActionTriggerIDs": ["TRG"]})

    emulator.ok(
        "APIerSv1.AddBalance",
        {
            "Tenant": T,
            "Account": "a1",
            "BalanceType": "*data",
            "Value": 600,
            "Balance": {"ID": "D", "ExpiryTime": "+1h"},
        },
    )
    emulator.advance("2h")
    emulator.ok(
        "APIerSv1.AddBalance", {"Tenant": T, "Account": "a1", "BalanceType": "*sms", "Value": 1, "Balance": {"ID": "S"}}
    )
    emulator.ok(
        "APIerSv1.AddBalance",
        {"Tenant": T, "Account": "a1", "BalanceType": "*data", "Value": 1, "Balance": {"ID": "NEW"}},
    )

    fired = [[t["UniqueID"] for t in body["ActionTriggers"] if t["Executed"]] for body in receiver.bodies]
    assert fired == [["MAX"], ["MAX", "EXP"]]
