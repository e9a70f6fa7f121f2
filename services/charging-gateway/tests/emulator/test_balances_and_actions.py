"""The emulator's balance arithmetic (§4), action sets (§5.1-§5.4) and expiry (§4.7), over HTTP."""

T = "cgrates.org"
GIB = 1024**3


def add(emulator, value, balance, balance_type="*data", account="a1", **extra):
    arg = {"Tenant": T, "Account": account, "BalanceType": balance_type, "Value": value, "Balance": balance, **extra}
    return emulator.rpc("APIerSv1.AddBalance", arg)


def test_add_balance_creates_the_account_and_a_balance_with_empty_maps(emulator):
    assert add(emulator, 20 * GIB, {"ID": "DATA_20GB", "ExpiryTime": "+720h", "Weight": 20})["result"] == "OK"

    balance = emulator.balance("a1", "*data", "DATA_20GB")

    assert balance["Value"] == 20 * GIB
    assert balance["ExpirationDate"] == "2026-02-14T10:00:00Z"
    assert balance["Weight"] == 20
    assert balance["DestinationIDs"] == {} and balance["Categories"] == {} and balance["Timings"] is None


def test_topping_up_an_existing_balance_adds_and_keeps_its_expiry(emulator):
    add(emulator, 10, {"ID": "D", "ExpiryTime": "+24h", "Weight": 5})
    add(emulator, 5, {"ID": "D", "ExpiryTime": "+720h", "Weight": 99})

    balance = emulator.balance("a1", "*data", "D")

    assert balance["Value"] == 15
    assert balance["ExpirationDate"] == "2026-01-16T10:00:00Z" and balance["Weight"] == 5


def test_the_absolute_value_is_used_and_values_round_to_five_decimals(emulator):
    add(emulator, -3.5, {"ID": "M"}, "*monetary")
    add(emulator, 0.123456789, {"ID": "M"}, "*monetary")

    assert emulator.balance("a1", "*monetary", "M")["Value"] == 3.62346


def test_without_an_id_every_matching_balance_changes(emulator):
    add(emulator, 1, {"ID": "A", "Weight": 10}, "*sms")
    add(emulator, 1, {"ID": "B", "Weight": 10}, "*sms")
    add(emulator, 4, {"Weight": 10}, "*sms")

    values = sorted(b["Value"] for b in emulator.account("a1")["BalanceMap"]["*sms"])

    assert values == [5, 5]


def test_overwrite_resets_the_matched_balance_first(emulator):
    add(emulator, 10, {"ID": "M"}, "*monetary")
    add(emulator, 3, {"ID": "M"}, "*monetary", Overwrite=True)

    assert emulator.balance("a1", "*monetary", "M")["Value"] == 3


def test_set_balance_sets_value_and_expiry_and_leaves_unset_maps_null(emulator):
    emulator.ok(
        "APIerSv1.SetBalance",
        {
            "Tenant": T,
            "Account": "a1",
            "BalanceType": "*voice",
            "Value": 300e9,
            "Balance": {"ID": "V", "ExpiryTime": "*month_end"},
        },
    )
    emulator.ok(
        "APIerSv1.SetBalance",
        {"Tenant": T, "Account": "a1", "BalanceType": "*voice", "Value": 60e9, "Balance": {"ID": "V"}},
    )

    balance = emulator.balance("a1", "*voice", "V")

    assert balance["Value"] == 60e9 and balance["ExpirationDate"] == "2026-01-31T23:59:59Z"
    assert balance["DestinationIDs"] is None


def test_set_balance_needs_an_id_or_uuid_and_an_unknown_uuid_is_partially_executed(emulator):
    arg = {"Tenant": T, "Account": "a1", "BalanceType": "*data", "Value": 1}
    assert emulator.error("APIerSv1.SetBalance", {**arg, "Balance": {}}) == (
        "MANDATORY_IE_MISSING: [BalanceID or BalanceUUID]"
    )
    assert emulator.error("APIerSv1.SetBalance", {**arg, "Balance": {"UUID": "nope"}}) == "PARTIALLY_EXECUTED"


def test_a_duration_string_value_is_stored_in_nanoseconds(emulator):
    emulator.ok(
        "ApierV1.SetBalance",
        {"Tenant": T, "Account": "a1", "BalanceType": "*voice", "Balance": {"ID": "V", "Value": "5m"}},
    )

    assert emulator.balance("a1", "*voice", "V")["Value"] == 300_000_000_000


def test_a_bad_expiry_time_is_refused_with_the_raw_go_error(emulator):
    assert add(emulator, 1, {"ID": "D", "ExpiryTime": "next tuesday"})["error"] == "Unsupported time format"


def test_expired_balances_stay_listed_until_the_next_change_and_are_not_matched(emulator):
    add(emulator, 10, {"ID": "D", "ExpiryTime": "+1h"})
    emulator.advance("2h")

    listed = emulator.account("a1")["BalanceMap"]["*data"]
    add(emulator, 5, {"ID": "D", "ExpiryTime": "+1h"})
    after = emulator.account("a1")["BalanceMap"]["*data"]

    assert [b["Value"] for b in listed] == [10]
    assert [(b["Value"], b["ExpirationDate"]) for b in after] == [(5, "2026-01-15T13:00:00Z")]


def test_remove_balances_missing_account_and_no_match(emulator):
    arg = {"Tenant": T, "Account": "a1", "BalanceType": "*data", "Balance": {"ID": "D"}}
    assert emulator.error("APIerSv1.RemoveBalances", arg) == "NOT_FOUND"
    add(emulator, 1, {"ID": "X"})
    assert emulator.error("APIerSv1.RemoveBalances", arg) == "PARTIALLY_EXECUTED"
    add(emulator, 1, {"ID": "D"})
    assert emulator.ok("APIerSv1.RemoveBalances", arg) == "OK"
    assert [b["ID"] for b in emulator.account("a1")["BalanceMap"]["*data"]] == ["X"]


def set_actions(emulator, actions_id, actions, v2=False, overwrite=True):
    method = "APIerSv2.SetActions" if v2 else "APIerSv1.SetActions"
    return emulator.rpc(method, {"ActionsId": actions_id, "Overwrite": overwrite, "Actions": actions})


def test_set_actions_without_overwrite_on_an_existing_id_is_exists(emulator):
    actions = [{"Identifier": "*log", "Weight": 1}]
    set_actions(emulator, "A", actions)

    assert set_actions(emulator, "A", actions, overwrite=False)["error"] == "EXISTS"


def test_execute_action_runs_by_weight_creates_the_account_and_evaluates_expiry_at_run_time(emulator):
    set_actions(
        emulator,
        "Action_topup",
        [
            {
                "Identifier": "*topup_reset",
                "BalanceType": "*data",
                "BalanceId": "D",
                "Units": 100,
                "ExpiryTime": "+24h",
                "Weight": 10,
            },
            {"Identifier": "*topup", "BalanceType": "*data", "BalanceId": "D", "Units": 1, "Weight": 5},
        ],
    )
    emulator.advance("10h")

    assert emulator.ok("APIerSv1.ExecuteAction", {"Tenant": T, "Account": "new", "ActionsId": "Action_topup"}) == "OK"
    balance = emulator.balance("new", "*data", "D")

    assert balance["Value"] == 101 and balance["ExpirationDate"] == "2026-01-16T20:00:00Z"


def test_a_failing_action_saves_nothing_and_answers_partially_executed(emulator):
    add(emulator, 10, {"ID": "M"}, "*monetary")
    set_actions(
        emulator,
        "Broken",
        [
            {"Identifier": "*topup", "BalanceType": "*monetary", "BalanceId": "M", "Units": 5, "Weight": 20},
            {"Identifier": "*remove_balance", "BalanceType": "*monetary", "BalanceId": "NOPE", "Weight": 10},
        ],
    )

    assert emulator.error("APIerSv1.ExecuteAction", {"Tenant": T, "Account": "a1", "ActionsId": "Broken"}) == (
        "PARTIALLY_EXECUTED"
    )
    assert emulator.balance("a1", "*monetary", "M")["Value"] == 10


def test_execute_action_on_a_missing_set_is_not_found(emulator):
    assert emulator.error("APIerSv1.ExecuteAction", {"Tenant": T, "Account": "a1", "ActionsId": "X"}) == "NOT_FOUND"


def test_get_actions_v1_takes_a_bare_id_and_v2_a_filter(emulator):
    set_actions(
        emulator,
        "A",
        [
            {
                "Identifier": "*topup",
                "BalanceType": "*sms",
                "BalanceId": "S",
                "Units": "50",
                "BalanceWeight": "10",
                "Weight": 1,
            }
        ],
        v2=True,
    )

    v1 = emulator.ok("APIerSv1.GetActions", "A")
    v2 = emulator.ok("APIerSv2.GetActions", {"ActionIDs": ["A"]})

    assert v1[0]["Units"] == "50" and v1[0]["BalanceWeight"] == "10"
    assert v2["A"][0]["ActionType"] == "*topup" and v2["A"][0]["Balance"]["Value"]["Static"] == 50
    assert emulator.error("APIerSv1.GetActions", "missing") == "SERVER_ERROR: NOT_FOUND"


def test_v2_set_actions_needs_units_when_a_balance_type_is_given(emulator):
    reply = set_actions(emulator, "A", [{"Identifier": "*topup", "BalanceType": "*sms", "Weight": 1}], v2=True)

    assert reply["error"] == "MANDATORY_IE_MISSING:Action:*topup:[Units]"


def test_set_expiry_and_remove_expired(emulator):
    add(emulator, 10, {"ID": "D"})
    set_actions(
        emulator,
        "Expire",
        [{"Identifier": "*set_expiry", "BalanceType": "*data", "BalanceId": "D", "ExpiryTime": "*now", "Weight": 1}],
    )
    set_actions(emulator, "Clean", [{"Identifier": "*remove_expired", "BalanceType": "*data", "Weight": 1}])

    emulator.ok("APIerSv1.ExecuteAction", {"Tenant": T, "Account": "a1", "ActionsId": "Expire"})
    emulator.advance("1s")

    listed = emulator.account("a1")["BalanceMap"]["*data"]
    cleaned = emulator.ok("APIerSv1.ExecuteAction", {"Tenant": T, "Account": "a1", "ActionsId": "Clean"})

    assert [b["ExpirationDate"] for b in listed] == ["2026-01-15T10:00:00Z"]
    assert cleaned == "OK" and emulator.account("a1")["BalanceMap"]["*data"] == []
    assert emulator.error("APIerSv1.ExecuteAction", {"Tenant": T, "Account": "a1", "ActionsId": "Clean"}) == (
        "PARTIALLY_EXECUTED"
    )
