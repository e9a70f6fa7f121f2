"""The emulator over HTTP: the JSON-RPC envelope (§1) and accounts (§3), pinned to cgrates-reference.md."""

import httpx

from omnibus.charging_gateway.emulator.engine import Clock, Engine
from omnibus.charging_gateway.emulator.server import EmulatorApp

T = "cgrates.org"


def test_replies_echo_the_id_and_carry_the_error_as_a_plain_string(emulator):
    response = emulator.http.post(
        f"{emulator.url}/jsonrpc",
        json={"method": "APIerSv2.GetAccount", "params": [{"Tenant": T, "Account": "nobody"}], "id": "abc"},
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"id": "abc", "result": None, "error": "NOT_FOUND"}


def test_unknown_services_and_methods_answer_net_rpc_errors(emulator):
    assert emulator.error("APIerSv1.Teleport", {}) == "rpc: can't find method APIerSv1.Teleport"
    assert emulator.error("Nothing.Ping", {}) == "rpc: can't find service Nothing.Ping"
    assert emulator.error("nodot", {}) == "rpc: service/method request ill-formed: nodot"


def test_params_must_be_an_array_and_present(emulator):
    assert emulator.rpc("APIerSv1.Ping", raw_params={})["error"] == (
        "json: cannot unmarshal object into Go value of type [1]interface {}"
    )
    response = emulator.http.post(f"{emulator.url}/jsonrpc", json={"method": "APIerSv1.Ping", "id": 2})
    assert response.json()["error"] == "jsonrpc: request body missing params"


def test_a_body_that_is_not_json_gets_an_empty_200(emulator):
    response = emulator.http.post(f"{emulator.url}/jsonrpc", content=b"not json")

    assert response.status_code == 200 and response.content == b""


def test_several_requests_in_one_body_get_one_reply_line_each(emulator):
    body = b'{"method":"APIerSv1.Ping","params":[],"id":1}{"method":"CoreSv1.Ping","params":[],"id":2}'

    lines = emulator.http.post(f"{emulator.url}/jsonrpc", content=body).text.splitlines()

    assert [httpx.Response(200, content=line).json()["id"] for line in lines] == [1, 2]


def test_cors_origin_is_echoed(emulator):
    response = emulator.http.post(
        f"{emulator.url}/jsonrpc",
        json={"method": "CoreSv1.Ping", "params": [], "id": 1},
        headers={"Origin": "https://ui.example"},
    )

    assert response.headers["access-control-allow-origin"] == "https://ui.example"


def test_ping_and_status(emulator):
    assert emulator.ok("APIerSv1.Ping", {}) == "Pong"
    assert emulator.ok("CoreSv1.Ping", {}) == "Pong"
    assert "version" in emulator.ok("CoreSv1.Status", {})


def test_legacy_aliases_and_v2_inheriting_v1(emulator):
    emulator.ok("ApierV2.SetAccount", {"Tenant": T, "Account": "a1"})

    assert emulator.ok("ApierV1.GetAccount", {"Tenant": T, "Account": "a1"})["Id"] == "*out:cgrates.org:a1"
    assert (
        emulator.ok(
            "APIerSv2.AddBalance",
            {"Tenant": T, "Account": "a1", "BalanceType": "*sms", "Value": 5, "Balance": {"ID": "SMS"}},
        )
        == "OK"
    )


def test_tenant_is_mandatory_as_in_v0_10(emulator):
    assert emulator.error("APIerSv2.SetAccount", {"Account": "a1"}) == "MANDATORY_IE_MISSING: [Tenant]"
    assert emulator.error("APIerSv2.SetAccount", {"Tenant": T}) == "MANDATORY_IE_MISSING: [Account]"


def test_fields_match_case_insensitively_and_type_mismatches_fail_with_gos_message(emulator):
    assert emulator.error("apierSv2.SetAccount", {}).startswith("rpc: can't find service")  # names are exact

    emulator.ok("APIerSv2.SetAccount", {"tenant": T, "ACCOUNT": "a1", "unknownField": 1})

    assert emulator.account("a1")["ID"] == "cgrates.org:a1"
    assert emulator.error("APIerSv2.SetAccount", {"Tenant": T, "Account": 5}) == (
        "json: cannot unmarshal number into Go struct field AttrSetAccount.Account of type string"
    )


def test_a_new_account_has_the_reference_shape(emulator):
    emulator.ok("APIerSv2.SetAccount", {"Tenant": T, "Account": "a1", "ExtraOptions": {"AllowNegative": True}})

    account = emulator.account("a1")

    assert account == {
        "ID": "cgrates.org:a1",
        "BalanceMap": None,
        "UnitCounters": None,
        "ActionTriggers": None,
        "AllowNegative": True,
        "Disabled": False,
        "UpdateTime": "2026-01-15T10:00:00Z",
    }


def test_extra_options_change_only_the_keys_given(emulator):
    emulator.ok("APIerSv2.SetAccount", {"Tenant": T, "Account": "a1", "ExtraOptions": {"AllowNegative": True}})
    emulator.ok("APIerSv2.SetAccount", {"Tenant": T, "Account": "a1", "ExtraOptions": {"Disabled": True}})

    account = emulator.account("a1")

    assert account["AllowNegative"] is True and account["Disabled"] is True


def test_set_account_never_touches_balances(emulator):
    emulator.ok(
        "APIerSv1.AddBalance",
        {"Tenant": T, "Account": "a1", "BalanceType": "*monetary", "Value": 10, "Balance": {"ID": "MAIN"}},
    )
    emulator.ok("APIerSv2.SetAccount", {"Tenant": T, "Account": "a1"})

    assert emulator.balance("a1", "*monetary", "MAIN")["Value"] == 10


def test_naming_a_missing_plan_saves_nothing(emulator):
    error = emulator.error("APIerSv2.SetAccount", {"Tenant": T, "Account": "a1", "ActionPlanIDs": ["NOPE"]})

    assert error == "SERVER_ERROR: NOT_FOUND"
    assert emulator.error("APIerSv2.GetAccount", {"Tenant": T, "Account": "a1"}) == "NOT_FOUND"


def test_get_accounts_is_null_for_an_empty_tenant_and_skips_missing_ids(emulator):
    assert emulator.ok("APIerSv2.GetAccounts", {"Tenant": "empty.org"}) is None
    emulator.ok("APIerSv2.SetAccount", {"Tenant": T, "Account": "a1"})

    found = emulator.ok("APIerSv2.GetAccounts", {"Tenant": T, "AccountIDs": ["a1", "ghost"]})

    assert [a["ID"] for a in found] == ["cgrates.org:a1"]


def test_remove_account_is_idempotent(emulator):
    emulator.ok("APIerSv2.SetAccount", {"Tenant": T, "Account": "a1"})

    assert emulator.ok("APIerSv1.RemoveAccount", {"Tenant": T, "Account": "a1"}) == "OK"
    assert emulator.ok("APIerSv1.RemoveAccount", {"Tenant": T, "Account": "a1"}) == "OK"
    assert emulator.error("APIerSv2.GetAccount", {"Tenant": T, "Account": "a1"}) == "NOT_FOUND"


def test_basic_auth_answers_401_not_authorized_without_credentials(serve):
    engine = Engine(Clock())
    with serve(EmulatorApp(engine, {"admin": "secret"})) as url:
        denied = httpx.post(f"{url}/jsonrpc", json={"method": "APIerSv1.Ping", "params": [], "id": 1})
        allowed = httpx.post(
            f"{url}/jsonrpc", json={"method": "APIerSv1.Ping", "params": [], "id": 1}, auth=("admin", "secret")
        )

    assert (denied.status_code, denied.text) == (401, "Not authorized")
    assert allowed.json()["result"] == "Pong"
