"""provisioning: job overhead against a bare ansible-runner run of the same play, and jobs/s at the limit.

The play has 10 quick tasks (``debug``/``set_fact``, as the reference plays' bookkeeping steps), so the run itself
is mostly ansible-playbook's own start-up and per-task cost, and the job's overhead shows.

- Baseline (same run): ``ansible_runner.run`` of the play in a fresh private data directory, with the same
  inventory, extra vars and a no-op event handler; sequential, then ``PARALLEL`` at a time.
- Omnibus: the provisioning service on PostgreSQL (event store + read model; in-process bus), its job runner in
  the same process, reached over its HTTP API (``PUT /crm/provision/``): from the request to the job's final status
  in the read model, which includes the claim, one event per task state (2 per task) with redaction, the job
  token, the private-directory copy of the plays folder and the projection.
"""

import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
from omnibus.platform.service import Infrastructure
from omnibus.platform.settings import ServiceSettings
from omnibus.provisioning.main import build
from omnibus.provisioning.readmodel.queries import get_job
from omnibus.provisioning.settings import ProvisioningSettings

SEQUENTIAL = 8
PARALLEL = 2  # the concurrency limit measured: this machine has 2 cores
BATCH = 12  # jobs submitted at once for the throughput figure
TARGET_OVERHEAD = 0.10
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


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-plays-") as folder, c.fresh_database("bench_provisioning") as url:
        plays = Path(folder)
        (plays / "play_bench.yaml").write_text(PLAY)
        bare_run(plays)  # warm the file cache
        key = Ed25519PrivateKey.generate()
        infra = Infrastructure(InMemoryBus(), Authenticator(config=CrmConfig(), public_key=key.public_key()))
        settings = ProvisioningSettings(plays_dir=plays, max_parallel_jobs=PARALLEL, job_timeout_minutes=10)
        runtime = build(ServiceSettings(database_url=url).for_service("provisioning"), infra, provisioning=settings)
        token = jwt.encode(
            {"sub": "1", "permissions": ["admin"], "token_type": "access", "exp": int(time.time()) + 3600},
            key,
            algorithm="EdDSA",
        )
        headers = {"Authorization": f"Bearer {token}"}
        lock = threading.Lock()
        try:
            with TestClient(Dispatcher(embedded_app(infra, [runtime]))) as client:

                def submit() -> int:
                    body = {"customer_id": 1, "provisioning_play": "play_bench"}
                    with lock:  # one TestClient portal; the request itself is short
                        return int(client.put("/crm/provision/", json=body, headers=headers).json()["provision_id"])

                def wait(provision_ids: list[int], interval: float) -> None:
                    pending = set(provision_ids)
                    while pending:
                        with runtime.engine.connect() as conn:
                            rows = [get_job(conn, provision_id) for provision_id in pending]
                        for row in rows:
                            if row is not None and row["provisioning_status"] != 1:
                                assert row["provisioning_status"] == 0, row
                                pending.discard(row["provision_id"])
                        time.sleep(interval)

                def job() -> float:
                    started = time.perf_counter()
                    wait([submit()], 0.02)
                    return time.perf_counter() - started

                def batch() -> float:
                    started = time.perf_counter()
                    wait([submit() for _ in range(BATCH)], 0.05)  # all at once; the runner keeps PARALLEL running
                    return time.perf_counter() - started

                job()  # warm-up
                c.log("sequential runs: bare ansible-runner vs jobs, interleaved")
                bare, jobs = [], []
                for _ in range(SEQUENTIAL):
                    bare.append(bare_run(plays))
                    jobs.append(job())
                c.log(f"batches of {BATCH} at {PARALLEL} in parallel")
                bare_batch = timed_batch(BATCH, PARALLEL, lambda: bare_run(plays))
                jobs_batch = batch()
                phases = job_phases(runtime.app, 1 + SEQUENTIAL)
        finally:
            runtime.engine.dispose()
            if runtime.app is not None:
                runtime.app.close()
    overhead = mean(jobs) / mean(bare) - 1
    rows = [
        c.row("job latency, sequential (mean)", mean(jobs) * 1000, mean(bare) * 1000, "ms"),
        c.row("job latency, sequential (median)", median(jobs) * 1000, median(bare) * 1000, "ms"),
        c.row("overhead per job (mean)", (mean(jobs) - mean(bare)) * 1000, None, "ms"),
        c.row(f"jobs/s at the limit ({PARALLEL} parallel)", BATCH / jobs_batch, BATCH / bare_batch, "jobs/s"),
    ]
    targets = [c.target(f"job overhead under {TARGET_OVERHEAD:.0%} of the bare run", overhead < TARGET_OVERHEAD)]
    return c.result("provisioning", rows, targets, bare_s=bare, jobs_s=jobs, overhead=overhead, phases_ms=phases)


def job_phases(app: Any, provision_id: int) -> dict[str, float]:
    """Where a sequential job's time went, from its events' timestamps (ms)."""
    events = list(app.events.get(app.get_provision(provision_id).id))
    at = {type(e).__name__: e.timestamp for e in events}
    tasks = [e.timestamp for e in events if type(e).__name__ == "TaskRecorded"]
    return {
        "requested_to_claimed": (at["RunStarted"] - at["Requested"]).total_seconds() * 1000,
        "claimed_to_first_task": (tasks[0] - at["RunStarted"]).total_seconds() * 1000,
        "first_to_last_task": (tasks[-1] - tasks[0]).total_seconds() * 1000,
        "last_task_to_succeeded": (at["Succeeded"] - tasks[-1]).total_seconds() * 1000,
    }
