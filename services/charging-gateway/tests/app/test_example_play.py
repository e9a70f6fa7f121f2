"""The example OCS play (deploy/playbooks/play_ocs_prepaid_bundle.yaml) runs for real: ansible-playbook, the
gateway's /jsonrpc relay as crm_config.ocs.cgrates, the emulator behind it."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from omnibus.testing.helpers import eventually

PLAY = Path(__file__).parents[4] / "deploy" / "playbooks" / "play_ocs_prepaid_bundle.yaml"
T = "cgrates.org"
GIB = 1024**3


def run_play(tmp_path, gateway, **extra_vars):
    """The layout the provisioning runner gives a play: project/Provisioners/plays/ and project/crm_config.yaml."""
    plays = tmp_path / "project" / "Provisioners" / "plays"
    plays.mkdir(parents=True)
    shutil.copy(PLAY, plays)
    config = {"ocs": {"cgrates": gateway.url.removeprefix("http://"), "ocsTenant": T}}
    (tmp_path / "project" / "crm_config.yaml").write_text(yaml.safe_dump(config))
    variables = {
        "access_token": gateway.token("cgrates_api_write"),
        "ansible_python_interpreter": sys.executable,
        **extra_vars,
    }
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        "localhost,",
        "-c",
        "local",
        str(plays / PLAY.name),
        "-e",
        json.dumps(variables),
    ]
    env = {**os.environ, "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"), "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run(command, capture_output=True, text=True, timeout=180, env=env, check=False)


def test_the_play_creates_the_account_its_bundle_and_a_renewal_that_runs_monthly(tmp_path, gateway):
    played = run_play(tmp_path, gateway, service_uuid="Mobile_1", product_id=42, customer_id=9, auto_renew=True)
    assert played.returncode == 0, played.stdout[-9000:]
    account = gateway.emulator.account("Mobile_1")
    gateway.post(
        "/crm/ocs/account/service_uuid/Mobile_1/usage",
        json={"origin_id": "u1", "tor": "*data", "usage": 5 * GIB},
    )
    gateway.emulator.ok("Emulator.AdvanceClock", {"To": "2026-02-16T00:00:00Z"})  # *monthly: the 15th, 10:00

    assert played.returncode == 0, played.stdout[-3000:]
    balances = {t: [(b["ID"], b["Value"]) for b in account["BalanceMap"][t]] for t in ("*data", "*voice", "*sms")}
    assert balances == {
        "*data": [("DATA_20GB_Monthly", 20 * GIB)],
        "*voice": [("VOICE_500min_Monthly", 500 * 60 * 10**9)],
        "*sms": [("SMS_250_Monthly", 250)],
    }
    renewed = gateway.emulator.balance("Mobile_1", "*data", "DATA_20GB_Monthly")
    assert (renewed["Value"], renewed["ExpirationDate"]) == (20 * GIB, "2026-03-17T10:00:00Z")  # reset, new expiry
    names = gateway.names()
    assert names[:5] == [
        "OcsAccountCreated",
        "OcsBalanceAdded",
        "OcsBalanceAdded",
        "OcsBalanceAdded",
        "ActionPlanScheduled",
    ]
    [scheduled] = gateway.published("ActionPlanScheduled")
    assert (
        json.loads(scheduled.body)["action_plan_id"] == "ServiceID_Mobile_1__ProductID_42__CustomerID_9__MonthlyRenewal"
    )


def test_a_failing_step_rolls_the_ocs_account_back(tmp_path, gateway):
    played = run_play(tmp_path, gateway, service_uuid="Mobile_2", product_id=42, auto_renew=True, renewal_actions="")

    assert played.returncode != 0
    assert "OCS provisioning failed at 'Define the renewal action set" in played.stdout
    assert gateway.emulator.error("APIerSv2.GetAccount", {"Tenant": T, "Account": "Mobile_2"}) == "NOT_FOUND"
    eventually(lambda: _removed(gateway))


def _removed(gateway):
    assert gateway.names()[-1] == "OcsAccountRemoved", gateway.names()
