"""Customer communications throughput (issue 4), next to its raw baseline measured in the same run.

    uv run python bench/communications.py [--messages 400]

- Omnibus: ``--messages`` e-mails requested through ``CustomersApp.send_communication`` on PostgreSQL (each one an
  aggregate saved), sent by the ``Dispatcher`` thread (concurrency 4) through mailjet-rest to the Mailjet stand-in
  over HTTP: per message the attempt recorded, the call, the outcome recorded, the log projection. Reported: sent/s
  from the first request to the last ``sent`` row, and request-to-sent latency p50/p95.
- Baseline: the same number of ``MailjetClient.send`` calls with the same bodies to the same stand-in from 4 threads,
  nothing recorded.
"""

import argparse
import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from common import fresh_database, log, percentile
from sqlalchemy import func, select

from omnibus.customers.application import CustomersApp
from omnibus.customers.application.notices import EXAMPLE_TEMPLATES, WELCOME, CommunicationRequest, Notices
from omnibus.customers.integration.delivery import DeliveryPolicy, Dispatcher
from omnibus.customers.projections.communication_log import CommunicationLogProjection
from omnibus.customers.readmodel.tables import communications, metadata
from omnibus.platform.channels.connect import connect_channels
from omnibus.platform.channels.mailjet import mailjet_message
from omnibus.platform.eventstore import eventstore_env
from omnibus.platform.projections import LocalProjectionRunner
from omnibus.platform.readmodels import create_read_engine, create_tables
from omnibus.platform.settings import ServiceSettings

TEMPLATE = EXAMPLE_TEMPLATES[WELCOME]


def request(n: int) -> CommunicationRequest:
    return CommunicationRequest(
        customer_id=None,
        channel="email",
        template_key=WELCOME,
        to=f"customer{n}@bench.example",
        variables={"customer_name": f"Customer {n}", "login_url": "https://crm.example/login"},
        template_id=TEMPLATE.template_id,
        from_email=TEMPLATE.from_email,
        from_name=TEMPLATE.from_name,
        subject=TEMPLATE.subject,
    )


def baseline(count: int) -> float:
    channels = connect_channels({}, ServiceSettings(database_url="memory://"))
    try:
        bodies = [
            mailjet_message(TEMPLATE, r.to, r.variables, custom_id=f"raw-{n}")
            for n, r in enumerate(map(request, range(count)))
        ]
        channels.email.send(bodies[0])  # warm the connection
        started = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(channels.email.send, bodies))
        return count / (time.perf_counter() - started)
    finally:
        channels.close()


def omnibus(url: str, count: int) -> tuple[float, list[float]]:
    settings = ServiceSettings(database_url=url).for_service("customers")
    channels = connect_channels({}, settings)
    app = CustomersApp(env=eventstore_env(settings, CustomersApp.name), notices=Notices(EXAMPLE_TEMPLATES))
    engine = create_read_engine(settings)
    create_tables(engine, metadata)
    runner = LocalProjectionRunner(app, engine, CommunicationLogProjection())
    runner.start()
    dispatcher = Dispatcher(app, engine, channels, DeliveryPolicy(concurrency=4, poll=0.05),
                            wait_projected=lambda p: runner.wait_for(p, 5.0))  # fmt: skip
    dispatcher.start()
    try:
        started = time.perf_counter()
        for n in range(count):
            app.send_communication(request(n))
        while True:
            with engine.connect() as conn:
                done = conn.execute(
                    select(func.count()).select_from(communications).where(communications.c.status == "sent")
                ).scalar_one()
            if done >= count:
                break
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        with engine.connect() as conn:
            rows = conn.execute(select(communications.c.created, communications.c.last_modified)).all()
        latencies = [(r.last_modified - r.created).total_seconds() * 1000 for r in rows]
        assert len(channels.mailjet_standin.messages) == count, "each message sent exactly once"
        return count / elapsed, latencies
    finally:
        dispatcher.stop()
        runner.stop()
        channels.close()
        app.close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=400)
    args = parser.parse_args()
    raw = baseline(args.messages)
    with fresh_database("omnibus_bench_comms") as url:
        rate, latencies = omnibus(url, args.messages)
    result = {
        "at": datetime.now(UTC).isoformat(),
        "messages": args.messages,
        "omnibus_sent_per_s": round(rate, 1),
        "baseline_sent_per_s": round(raw, 1),
        "ratio": round(rate / raw, 2),
        "latency_ms_p50": round(statistics.median(latencies), 1),
        "latency_ms_p95": round(percentile(latencies, 95), 1),
    }
    log(json.dumps(result))


if __name__ == "__main__":
    main()
