"""provisioning: the saga's overhead per job against a bare ansible-runner run of the same play; jobs/s at the limit.

The play has 10 quick tasks (``debug``/``set_fact``, as the reference plays' bookkeeping steps), so the run itself
is mostly ansible-playbook's own start-up and per-task cost, and what the job adds shows.

- Baseline (same run): ``ansible_runner.run`` of the play in a fresh private data directory, with the same
  inventory, extra vars and a no-op event handler; sequential, then ``PARALLEL`` at a time.
- Omnibus: the whole CRM in this process as the embedded runner builds it, on PostgreSQL (a database per service)
  and the in-process bus: provisioning (job runner in the same process), catalog, customers, the charging gateway
  (CGRateS emulator) and billing (Stripe stand-in). A mobile product's job, ``PUT /crm/provision/`` with a SIM and
  a number picked, runs the saga's six steps: two reservations, the OCS account, the play, the activation, two
  assignments, the setup charge, i.e. eight commands through the outbox relays, the bus, the receivers' command
  consumers and back as replies. Timed from the request to the job's final status in the read model. A job of the
  same play without a product (the play alone: claim, task events, token, private directory) is measured too.
"""

import base64
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from statistics import mean, median
from typing import Any

import ansible_runner
import common as c
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from omnibus.platform.auth.authenticator import Authenticator
from omnibus.platform.crm_config import CrmConfig
from omnibus.platform.messaging.memory import InMemoryBus
from omnibus.platform.runtime import Dispatcher, embedded_app
from omnibus.platform.service import Infrastructure, discover_services
from omnibus.platform.settings import ServiceSettings
from omnibus.provisioning.main import build
from omnibus.provisioning.readmodel.queries import get_job
from omnibus.provisioning.settings import ProvisioningSettings
from omnibus.provisioning.tokens import LocalJobTokens

SEQUENTIAL = 8
PARALLEL = 2  # the concurrency limit measured: this machine has 2 cores
BATCH = 12  # jobs submitted at once for the throughput figure
TARGET_OVERHEAD = 0.10
OTHERS = ("customers", "catalog", "charging-gateway", "billing")
TASKS = "\n".join(
    f'    - name: Step {i}\n      ansible.builtin.debug:\n        msg: "customer {{{{ customer_id }}}} step {i}"\n'
    for i in range(1, 11)
)
PLAY = f"- name: Bench play\n  hosts: localhost\n  gather_facts: no\n  become: False\n  tasks:\n{TASKS}"


def bare_run(plays: Path) -> float:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-bare-") as private:
        (Path(private) / "inventory").mkdir()
        (Path(private) / "inventory" / "hosts").write_text(
            f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n"
        )
        runner = ansible_runner.run(
            private_data_dir=private,
            playbook=str(plays / "play_bench.yaml"),
            extravars={"customer_id": 1, "product_id": 2, "access_token": "x" * 200},
            event_handler=lambda _: False,
            quiet=True,
            suppress_ansible_output=True,
        )
        assert runner.status == "successful", runner.status
    return time.perf_counter() - started


def timed_batch(count: int, parallel: int, one: Callable[[], Any]) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(lambda _: one(), range(count)))
    return time.perf_counter() - started


@contextmanager
def the_crm(plays: Path, base: str) -> Any:
    """Every service this benchmark needs in this process, on PostgreSQL and the in-process bus."""
    key = Ed25519PrivateKey.generate()
    infra = Infrastructure(InMemoryBus(), Authenticator(config=CrmConfig(), public_key=key.public_key()))
    settings = ServiceSettings(database_url=c.db_url(f"{base}_{{service}}"))
    os.environ["OMNIBUS_CATALOG_SECRET_KEY"] = base64.urlsafe_b64encode(os.urandom(32)).decode()
    provisioning = build(
        settings.for_service("provisioning"),
        infra,
        provisioning=ProvisioningSettings(plays_dir=plays, max_parallel_jobs=PARALLEL, job_timeout_minutes=10),
        signing_key=key,
        job_tokens=LocalJobTokens(key, "EdDSA", 3600),
    )
    definitions = discover_services()
    runtimes = [provisioning, *(definitions[n].build(settings.for_service(n), infra) for n in OTHERS)]
    token = jwt.encode(
        {"sub": "1", "permissions": ["admin"], "token_type": "access", "exp": int(time.time()) + 3600}, key, "EdDSA"
    )
    try:
        with TestClient(Dispatcher(embedded_app(infra, runtimes))) as client:
            client.headers["Authorization"] = f"Bearer {token}"
            yield client, provisioning
    finally:
        for runtime in runtimes:
            standin = getattr(runtime.api.state, "stripe_standin", None)
            if standin is not None:
                standin.stop()
            if runtime.app is not None:
                runtime.app.close()
            runtime.engine.dispose()
        for name in ("provisioning", *OTHERS):
            c.drop_database(f"{base}_{name.replace('-', '_')}")


def run() -> dict[str, Any]:
    base = f"bench_saga_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="bench-plays-") as folder, the_crm(Path(folder), base) as (client, prov):
        plays = Path(folder)
        (plays / "play_bench.yaml").write_text(PLAY)
        bare_run(plays)  # warm the file cache
        lock = threading.Lock()

        def call(method: str, path: str, body: Any) -> dict[str, Any]:
            with lock:  # one TestClient portal; the requests themselves are short
                response = client.request(method, path, json=body)
            assert response.status_code == 200, response.text
            return dict(response.json())

        product_id, picks = catalogue(call, SEQUENTIAL + BATCH + 1)
        customer_id = call("PUT", "/crm/customer/", {"customer_name": "Bench Ltd"})["customer_id"]
        time.sleep(1.0)  # billing and catalog learn the customer from customers' events

        def submit(saga: bool) -> int:
            body: dict[str, Any] = {"customer_id": customer_id}
            if saga:
                sim, number = picks.pop()
                body |= {"product_id": product_id, "SIM Card": sim, "Mobile Number": number}
            else:
                body["provisioning_play"] = "play_bench"
            return int(call("PUT", "/crm/provision/", body)["provision_id"])

        def wait(provision_ids: list[int], interval: float) -> None:
            pending = set(provision_ids)
            while pending:
                with prov.engine.connect() as conn:
                    rows = [get_job(conn, provision_id) for provision_id in pending]
                for row in rows:
                    if row is not None and row["provisioning_status"] != 1:
                        assert row["provisioning_status"] == 0, row
                        pending.discard(row["provision_id"])
                time.sleep(interval)

        def job(saga: bool) -> float:
            started = time.perf_counter()
            wait([submit(saga)], 0.01)
            return time.perf_counter() - started

        job(True)  # warm-up
        c.log("sequential runs: bare ansible-runner, a play-only job, a saga job, interleaved")
        bare, plain, sagas = [], [], []
        for _ in range(SEQUENTIAL):
            bare.append(bare_run(plays))
            plain.append(job(False))
            sagas.append(job(True))
        c.log(f"batches of {BATCH} at {PARALLEL} in parallel")
        bare_batch = timed_batch(BATCH, PARALLEL, lambda: bare_run(plays))
        started = time.perf_counter()
        wait([submit(True) for _ in range(BATCH)], 0.05)  # all at once; the runner keeps PARALLEL running
        saga_batch = time.perf_counter() - started
        phases = saga_phases(prov.app, 1)
    overhead = mean(sagas) / mean(bare) - 1
    rows = [
        c.row("saga job latency, sequential (mean)", mean(sagas) * 1000, mean(bare) * 1000, "ms"),
        c.row("saga job latency, sequential (median)", median(sagas) * 1000, median(bare) * 1000, "ms"),
        c.row("play-only job latency (mean)", mean(plain) * 1000, mean(bare) * 1000, "ms"),
        c.row("saga overhead per job (mean)", (mean(sagas) - mean(bare)) * 1000, None, "ms"),
        c.row("saga steps' own time per job (mean)", (mean(sagas) - mean(plain)) * 1000, None, "ms"),
        c.row(f"saga jobs/s at the limit ({PARALLEL} parallel)", BATCH / saga_batch, BATCH / bare_batch, "jobs/s"),
    ]
    targets = [c.target(f"saga overhead under {TARGET_OVERHEAD:.0%} of the bare run", overhead < TARGET_OVERHEAD)]
    details = {"bare_s": bare, "play_only_s": plain, "saga_s": sagas, "overhead": overhead, "phases_ms": phases}
    return c.result("provisioning", rows, targets, **details)


def catalogue(call: Callable[..., dict[str, Any]], count: int) -> tuple[int, list[tuple[int, int]]]:
    """A mobile product whose play is the bench play, and ``count`` SIM + number pairs in stock (untimed)."""
    sim = call("PUT", "/crm/inventory_template/", {"item": "SIM Card"})["inventory_template_id"]
    number = call("PUT", "/crm/inventory_template/", {"item": "Mobile Number"})["inventory_template_id"]
    picks = []
    for n in range(count):
        a = call("PUT", "/crm/inventory/", {"inventory_template_id": sim, "itemtext1": f"89440000000000{n:05d}"})
        b = call("PUT", "/crm/inventory/", {"inventory_template_id": number, "itemtext1": f"6140000{n:05d}"})
        picks.append((a["inventory_id"], b["inventory_id"]))
    product = call(
        "PUT",
        "/crm/product/",
        {
            "product_name": "Bench Mobile",
            "product_slug": "bench-mobile",
            "category": "standalone",
            "service_type": "mobile",
            "provisioning_play": "play_bench",
            "inventory_items_list": "['SIM Card', 'Mobile Number']",
            "retail_setup_cost": 1,
        },
    )
    return int(product["product_id"]), picks


def saga_phases(app: Any, provision_id: int) -> dict[str, float]:
    """Where the warm-up saga job's time went, from its events' timestamps (ms)."""
    events = list(app.events.get(app.get_provision(provision_id).id))
    first = {}
    for e in events:
        first.setdefault(type(e).__name__, e.timestamp)
    tasks = [e.timestamp for e in events if type(e).__name__ == "TaskRecorded"]
    play_ended = next(e.timestamp for e in events if type(e).__name__ == "PlayEnded")
    ms = lambda a, b: round((b - a).total_seconds() * 1000, 1)  # noqa: E731
    return {
        "requested_to_play_queued (reserve x2, OCS account)": ms(first["Requested"], first["PlayQueued"]),
        "play_queued_to_claimed": ms(first["PlayQueued"], first["RunStarted"]),
        "claimed_to_first_task": ms(first["RunStarted"], tasks[0]),
        "first_to_last_task": ms(tasks[0], tasks[-1]),
        "last_task_to_play_ended": ms(tasks[-1], play_ended),
        "play_ended_to_succeeded (activate, assign x2, setup charge)": ms(play_ended, first["Succeeded"]),
    }
