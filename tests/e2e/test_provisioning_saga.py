"""Journeys of the provisioning saga across real processes: identity, customers, catalog, the charging gateway (its
CGRateS emulator), billing (its Stripe stand-in) and provisioning, each `omnibus serve` on its own PostgreSQL
database, events and commands over RabbitMQ, one gateway in front (as nginx would be), the HSS stand-in.

Job tokens are issued by identity (D65): provisioning signs a client assertion with a key of its own, which only
identity trusts; the other services trust identity's key alone, so every API call the play makes proves it.

The CGRateS emulator runs as its own process, as a CGRateS would (``omnibus emulate cgrates``).

1. A mobile SIM ordered over HTTP is provisioned end to end.
2. The provisioning workers are SIGKILLed while the play runs; started again, they roll the job back exactly once.
"""

import json
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import uvicorn
import yaml

from omnibus.platform.gateway import create_gateway
from omnibus.provisioning.hss import HssStandIn
from omnibus.testing import eventually, unique_name
from omnibus.testing.plugin import create_database, drop_database
from omnibus.testing.processes import ServiceProcess, SigningKey, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
PLAYS = Path(__file__).parents[2] / "deploy" / "playbooks"
SERVICES = ("identity", "customers", "catalog", "charging-gateway", "billing", "provisioning")
http = httpx.Client(timeout=30)


@dataclass
class System:
    url: str
    admin: dict[str, str]
    processes: dict[str, ServiceProcess]
    env: dict[str, str]
    hss: HssStandIn
    log_dir: Path

    def call(self, method: str, path: str, body: Any = None, **options: Any) -> Any:
        response = http.request(method, f"{self.url}{path}", json=body, headers=self.admin, **options)
        assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def job(self, provision_id: int) -> dict[str, Any]:
        return dict(self.call("GET", f"/crm/provision/provision_id/{provision_id}"))

    def finished(self, provision_id: int, timeout: float = 240) -> dict[str, Any]:
        def done() -> dict[str, Any]:
            job = self.job(provision_id)
            assert job["provisioning_status"] != 1, job.get("saga")
            return job

        return eventually(done, timeout=timeout, interval=0.5)

    def ocs_account(self, service_uuid: str) -> dict[str, Any]:
        body = {"method": "ApierV2.GetAccount", "params": [{"Tenant": "cgrates.org", "Account": service_uuid}]}
        return dict(self.call("POST", "/jsonrpc", body))

    def order(self) -> tuple[dict[str, Any], tuple[int, int, str]]:
        """A new customer, a SIM and a number in stock, and the mobile product's order for them."""
        customer = self.call("PUT", "/crm/customer/", {"customer_name": f"Saga {uuid.uuid4().hex[:6]}"})
        templates = self.templates
        digits = str(uuid.uuid4().int)
        imsi = "00101" + digits[:10]
        sim = self.call(
            "PUT",
            "/crm/inventory/",
            {
                "inventory_template_id": templates["SIM Card"],
                "itemtext1": "8944" + digits[10:25],
                "itemtext2": imsi,
                "itemtext3": uuid.uuid4().hex,
                "itemtext4": uuid.uuid4().hex,
            },
        )
        number = self.call(
            "PUT",
            "/crm/inventory/",
            {"inventory_template_id": templates["Mobile Number"], "itemtext1": "614" + digits[25:33]},
        )
        body = {
            "customer_id": customer["customer_id"],
            "product_id": self.product_id,
            "SIM Card": sim["inventory_id"],
            "Mobile Number": number["inventory_id"],
        }
        return body, (sim["inventory_id"], number["inventory_id"], imsi)

    product_id: int = 0
    templates: dict[str, int] | None = None


@pytest.fixture(scope="module")
def system(postgres_url: str, amqp_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    folder = tmp_path_factory.mktemp("saga_e2e")
    identity_key, provisioning_key = SigningKey(folder), SigningKey(_mkdir(folder / "provisioning"))
    hss = HssStandIn().start()
    cgrates_port = free_port()  # the emulator in a process of its own, as deployed (one OCS for every process)
    cgrates = subprocess.Popen(
        [sys.executable, "-m", "omnibus.platform.cli", "emulate", "cgrates", "--port", str(cgrates_port)],
        stdout=open(folder / "cgrates.log", "wb"),  # noqa: SIM115 - kept open for the process's lifetime
        stderr=subprocess.STDOUT,
    )
    gateway_port = free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    config = folder / "crm_config.yaml"
    config.write_text(
        yaml.safe_dump({"crm": {"base_url": gateway_url}, "hss": {"hss_peers": [f"http://{hss.address}"]}})
    )
    base = unique_name("e2e_saga")
    databases = {s: create_database(postgres_url, f"{base}_{s.replace('-', '_')}") for s in SERVICES}
    with _vhost(amqp_url) as vhost:
        env = {
            "OMNIBUS_AMQP_URL": vhost,
            "OMNIBUS_CRM_CONFIG": str(config),
            "OMNIBUS_GATEWAY_URL": gateway_url,
            "OMNIBUS_JWT_PUBLIC_KEY_FILE": str(identity_key.public_pem),
            "OMNIBUS_JWT_ISSUER": "omnibus-identity",
            "OMNIBUS_IDENTITY_SIGNING_KEY_FILE": str(identity_key.private_pem),
            "OMNIBUS_IDENTITY_TOKEN_CLIENT_KEYS": str(provisioning_key.public_pem),
            "OMNIBUS_IDENTITY_OUTBOX_FILE": str(folder / "outbox.jsonl"),
            "OMNIBUS_IDENTITY_SECRET_KEY_FILE": str(folder / "identity-secret.key"),
            "OMNIBUS_CATALOG_SECRET_KEY_FILE": str(folder / "catalog-secret.key"),
            "OMNIBUS_DEV_SIGNING_KEY_FILE": str(provisioning_key.private_pem),  # provisioning's assertions
            "OMNIBUS_PROVISIONING_PLAYS_DIR": str(PLAYS),
            "OMNIBUS_PROVISIONING_STEP_TIMEOUT_SECONDS": "60",
            "OMNIBUS_CHARGING_RECONCILE_INTERVAL": "0",
            "OMNIBUS_CGRATES_URL": f"http://127.0.0.1:{cgrates_port}",
            "OMNIBUS_LOG_LEVEL": "INFO",
        }
        roles = dict.fromkeys(SERVICES, ("all",)) | {"provisioning": ("api", "workers")}
        processes = {
            f"{s}:{role}": ServiceProcess(s, {**env, "OMNIBUS_DATABASE_URL": databases[s]}, role=role, log_dir=folder)
            for s, service_roles in roles.items()
            for role in service_roles
        }
        upstreams = {name.split(":")[0]: p.url for name, p in processes.items() if not name.endswith(":workers")}
        server = uvicorn.Server(uvicorn.Config(create_gateway(upstreams), port=gateway_port, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        try:
            for process in processes.values():
                process.start(wait_ready=False)
            for process in processes.values():
                if process.role != "workers":
                    process.wait_ready(timeout=300)  # a loaded 2-core machine starts 13 processes here
            admin = {"Authorization": f"Bearer {identity_key.token(['admin'], iss='omnibus-identity')}"}
            system = System(gateway_url, admin, processes, env, hss, folder)
            _catalogue(system)
            yield system
        finally:
            for process in processes.values():
                process.stop()
            server.should_exit = True
            hss.stop()
            cgrates.terminate()
            cgrates.wait(timeout=15)
            for name in databases:
                drop_database(postgres_url, f"{base}_{name.replace('-', '_')}")


def test_a_mobile_sim_ordered_over_http_is_provisioned_end_to_end(system: System) -> None:
    body, (sim_id, number_id, imsi) = system.order()

    provision_id = system.call("PUT", "/crm/provision/", body)["provision_id"]
    job = system.finished(provision_id)

    assert job["provisioning_status"] == 0, (job["failed_task"], job["error"], job["saga"], _logs(system)[-1500:])
    saga = job["saga"]
    service = system.call("GET", f"/crm/service/service_uuid/{saga['service_uuid']}")
    assert (service["service_status"], service["service_id"]) == ("Active", saga["service_id"])
    items = [system.call("GET", f"/crm/inventory/inventory_id/{i}") for i in (sim_id, number_id)]
    assert {(i["item_state"], i["service_id"]) for i in items} == {("Assigned", service["service_id"])}
    balances = system.ocs_account(saga["service_uuid"])["result"]["BalanceMap"]
    assert set(balances) == {"*data", "*voice", "*sms"}
    subscriber = http.get(f"http://{system.hss.address}/subscriber/imsi/{imsi}").json()
    assert subscriber["msisdn"] == items[1]["itemtext1"]
    charges = _live_charges(system, body["customer_id"])
    assert [(t["retail_cost"], t["provision_id"]) for t in charges] == [(25.0, provision_id)]


def test_a_sigkilled_runner_rolls_the_job_back_exactly_once_when_it_starts_again(system: System) -> None:
    body, (sim_id, number_id, imsi) = system.order()
    workers = system.processes["provisioning:workers"]

    provision_id = system.call("PUT", "/crm/provision/", body)["provision_id"]
    eventually(lambda: _play_running(system.job(provision_id)), timeout=180, interval=0.2)
    workers.kill()
    assert not _plays_of(provision_id), "ansible-playbook outlived its runner"
    workers.start(wait_ready=False)
    job = system.finished(provision_id)

    saga = job["saga"]
    assert (job["provisioning_status"], saga["failed_step"]) == (2, "run_playbook"), (job, _logs(system))
    assert job["error"].startswith("interrupted")
    actions = [c["action"] for c in saga["compensations"]]
    assert actions == ["void_charges", "deprovision_play", "remove_charging_account", "release_inventory"]
    assert all(c["outcome"] == "completed" for c in saga["compensations"])
    items = [system.call("GET", f"/crm/inventory/inventory_id/{i}") for i in (sim_id, number_id)]
    assert {(i["item_state"], i["customer_id"]) for i in items} == {("New", None)}
    assert system.ocs_account(saga["service_uuid"])["error"] == "NOT_FOUND"
    assert http.get(f"http://{system.hss.address}/subscriber/imsi/{imsi}").status_code == 404
    lookup = http.get(f"{system.url}/crm/service/service_uuid/{saga['service_uuid']}", headers=system.admin)
    assert lookup.status_code == 404
    assert _live_charges(system, body["customer_id"]) == []
    # each play ran once: the interrupted one passed its first task, the rollback's failed it into its rescue
    runs = [
        e["provisioning_status"]
        for e in job["provisioning_result_json"]
        if e["event_name"] == "Take the deprovision path"
    ]
    assert runs == [0, 2]


def _catalogue(system: System) -> None:
    templates: dict[str, int] = {}
    for item, keys in (("SIM Card", ["iccid", "imsi", "ki", "opc"]), ("Mobile Number", ["msisdn"])):
        body: dict[str, Any] = {"item": item, **{f"itemtext{n}_key": k for n, k in enumerate(keys, start=1)}}
        templates[item] = system.call("PUT", "/crm/inventory_template/", body)["inventory_template_id"]
    product = system.call(
        "PUT",
        "/crm/product/",
        {
            "product_name": "Prepaid Mobile 20GB",
            "product_slug": f"mobile-{uuid.uuid4().hex[:6]}",
            "category": "standalone",
            "service_type": "mobile",
            "provisioning_play": "play_local_mobile_sim",
            "inventory_items_list": "['SIM Card', 'Mobile Number']",
            "provisioning_json_vars": json.dumps({"data_gb": 20, "voice_minutes": 500, "sms_count": 100, "days": 30}),
            "retail_cost": 15,
            "retail_setup_cost": 25,
        },
    )
    system.product_id, system.templates = product["product_id"], templates


def _live_charges(system: System, customer_id: int) -> list[dict[str, Any]]:
    lines = system.call("GET", f"/crm/transaction/customer_id/{customer_id}")
    return [t for t in (lines["data"] if isinstance(lines, dict) else lines) if not t["void"]]


def _play_running(job: dict[str, Any]) -> None:
    started = [e for e in job["provisioning_result_json"] if e["event_name"] == "Get the SIM card from the inventory"]
    assert started, job["provisioning_result_json"]


def _plays_of(provision_id: int) -> list[str]:
    """ansible-playbook processes still running a play (only this job's runs now)."""
    time.sleep(1.0)  # the kernel delivers the hang-up of the play's terminal to it
    listing = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout
    return [line for line in listing.splitlines() if "ansible-playbook" in line and "omnibus-provision-" in line]


def _logs(system: System) -> str:
    return "\n".join(p.logs()[-3000:] for p in system.processes.values() if p.service == "provisioning")


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


class _vhost:  # noqa: N801 - a context manager
    """A RabbitMQ virtual host of its own for the module (as the tests' ``fresh_vhost``)."""

    def __init__(self, amqp_url: str) -> None:
        self.amqp_url = amqp_url
        self.name = unique_name("e2e_saga")

    def __enter__(self) -> str:
        ctl = shutil.which("rabbitmqctl")
        if ctl is None:
            pytest.fail("rabbitmqctl not found: cannot create an isolated vhost", pytrace=False)
        parts = urlsplit(self.amqp_url)
        subprocess.run([ctl, "-q", "add_vhost", self.name], check=True, capture_output=True)
        user = parts.username or "guest"
        subprocess.run([ctl, "-q", "set_permissions", "-p", self.name, user, ".*", ".*", ".*"], check=True)
        return urlunsplit((parts.scheme, parts.netloc, f"/{self.name}", parts.query, parts.fragment))

    def __exit__(self, *_: object) -> None:
        ctl = shutil.which("rabbitmqctl")
        if ctl is not None:
            subprocess.run([ctl, "-q", "delete_vhost", self.name], check=False, capture_output=True)
