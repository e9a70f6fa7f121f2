"""create_customer: ``PUT /crm/customer/`` on ``omnibus serve customers`` vs a raw FastAPI + psycopg insert.

Both are served by uvicorn with one worker and loaded by the same wrk command (32 connections); each is warmed
up first. Sanity: rows in the database afterwards match the requests wrk completed, and no request failed.
Two more runs measure the cost of tracing: the same service exporting spans (batching OTLP exporter) to a local
sink that accepts OTLP/HTTP like a collector, with every trace sampled and with the deployment default of 10%.
"""

import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import common as c

CONNECTIONS = 32
THREADS = 1  # wrk threads: one keeps wrk's own CPU share small on a 2-core machine
WARMUP_S = 5
DURATION_S = 15
LUA = c.BENCH_DIR / "wrk" / "create_customer.lua"
TARGET_RATIO, TARGET_P99_MS = 0.60, 30.0
TARGET_TRACING_OVERHEAD = 0.15
SAMPLE_RATIOS = (1.0, 0.1)  # every trace, and the deployment default (deploy/compose.yaml)


class _OtlpSink(BaseHTTPRequestHandler):
    """Accepts OTLP/HTTP exports like a collector would (and drops them)."""

    received = 0

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length") or 0))
        _OtlpSink.received += 1
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def wrk(url: str, seconds: int, token: str) -> dict[str, Any]:
    cmd = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "-s", str(LUA), url]
    out = subprocess.run(
        cmd, env={"BENCH_TOKEN": token, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=True
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK_JSON "))
    stats: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
    stats["rps"] = stats["requests"] / (stats["duration_us"] / 1e6)
    stats["failed"] = sum(stats[k] for k in stats if k.startswith("errors_"))
    return stats


def settled_count(db: str, sql: str) -> int:
    """The row count once requests still in flight when wrk stopped have finished (unchanged for 0.5 s)."""
    count = -1
    while (now := int(c.scalar(db, sql))) != count:
        count = now
        time.sleep(0.5)
    return count


def measure(
    name: str, cmd: list[str], env: dict[str, str], port: int, token: str, count_sql: str, db: str, folder: Path
) -> dict[str, Any]:
    logfile = folder / f"{name}.log"
    proc = c.start_process(cmd, env, logfile)
    try:
        c.wait_http(proc, f"http://127.0.0.1:{port}/health", logfile)
        url = f"http://127.0.0.1:{port}/crm/customer/"
        c.log(f"{name}: warm-up {WARMUP_S}s")
        wrk(url, WARMUP_S, token)
        before = settled_count(db, count_sql)
        c.log(f"{name}: measuring {DURATION_S}s at {CONNECTIONS} connections")
        stats = wrk(url, DURATION_S, token)
        stats["rows_added"] = settled_count(db, count_sql) - before
        stats["pid"] = proc.pid
    finally:
        c.stop_process(proc)
    c.log(
        f"{name}: {stats['rps']:.0f} req/s, p50 {stats['latency_p50_us'] / 1000:.1f} ms, "
        f"p99 {stats['latency_p99_us'] / 1000:.1f} ms, {stats['failed']} failed, {stats['rows_added']} rows"
    )
    return stats


def run() -> dict[str, Any]:
    if shutil.which("wrk") is None:
        print("wrk is not installed: run `apt-get install -y wrk` (Debian/Ubuntu) and try again.")
        return c.result("create_customer", [], [c.target("wrk installed", False)], skipped="wrk missing")
    with (
        tempfile.TemporaryDirectory(prefix="omnibus-bench-") as tmp,
        c.fresh_vhost() as amqp,
        c.fresh_database("omnibus_bench_customers") as omnibus_db,
        c.fresh_database("omnibus_bench_raw") as raw_db,
    ):
        folder = Path(tmp)
        private, public = c.dev_keys(folder)
        token = c.mint_token(private)

        port = c.free_port()
        raw = measure(
            "raw_insert",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                str(c.BENCH_DIR / "baselines"),
                "raw_insert:app",
                "--port",
                str(port),
                "--workers",
                "1",
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            {"BENCH_RAW_DATABASE_URL": raw_db},
            port,
            "",
            "SELECT count(*) FROM customers",
            raw_db,
            folder,
        )

        port = c.free_port()
        env = {
            "OMNIBUS_DATABASE_URL": omnibus_db,
            "OMNIBUS_AMQP_URL": amqp,
            "OMNIBUS_HTTP_PORT": str(port),
            "OMNIBUS_DEV_SIGNING_KEY_FILE": str(private),
            "OMNIBUS_JWT_PUBLIC_KEY_FILE": str(public),
        }
        count_sql = "SELECT count(*) FROM eventstore.customers_events WHERE topic LIKE '%:Customer.Created'"
        omnibus = measure("omnibus", [c.OMNIBUS, "serve", "customers"], env, port, token, count_sql, omnibus_db, folder)

        sink = ThreadingHTTPServer(("127.0.0.1", 0), _OtlpSink)
        threading.Thread(target=sink.serve_forever, daemon=True).start()
        traced = {}
        try:
            for ratio in SAMPLE_RATIOS:
                port = c.free_port()
                traced_env = {
                    **env,
                    "OMNIBUS_HTTP_PORT": str(port),
                    "OMNIBUS_OTEL_EXPORTER": "otlp",
                    "OMNIBUS_OTEL_ENDPOINT": f"http://127.0.0.1:{sink.server_address[1]}/v1/traces",
                    "OMNIBUS_OTEL_SAMPLE_RATIO": str(ratio),
                }
                before = _OtlpSink.received
                traced[ratio] = measure(
                    f"omnibus_traced_{ratio}",
                    [c.OMNIBUS, "serve", "customers"],
                    traced_env,
                    port,
                    token,
                    count_sql,
                    omnibus_db,
                    folder,
                )
                traced[ratio]["exports_received"] = _OtlpSink.received - before
        finally:
            sink.shutdown()

    p99_ms = omnibus["latency_p99_us"] / 1000
    rows = [
        c.row("create-customer req/s", omnibus["rps"], raw["rps"], "req/s"),
        c.row("latency p50", omnibus["latency_p50_us"] / 1000, raw["latency_p50_us"] / 1000, "ms"),
        c.row("latency p99", p99_ms, raw["latency_p99_us"] / 1000, "ms"),
        c.row("requests completed", omnibus["requests"], raw["requests"]),
        c.row("customers added to the DB", omnibus["rows_added"], raw["rows_added"]),
        c.row("non-2xx + socket errors", omnibus["failed"], raw["failed"]),
    ]
    overheads = {ratio: 1 - t["rps"] / omnibus["rps"] for ratio, t in traced.items()}
    for ratio, t in traced.items():
        rows.append(c.row(f"traced, sampling {ratio}: req/s (vs untraced)", t["rps"], omnibus["rps"], "req/s"))
        rows.append(c.row(f"traced, sampling {ratio}: p99 (vs untraced)", t["latency_p99_us"] / 1000, p99_ms, "ms"))
    targets = [
        c.target(f"req/s >= {TARGET_RATIO:.0%} of raw", omnibus["rps"] >= TARGET_RATIO * raw["rps"]),
        c.target(f"p99 < {TARGET_P99_MS:.0f} ms", p99_ms < TARGET_P99_MS),
        c.target("no failed requests", all(r["failed"] == 0 for r in (omnibus, raw, *traced.values()))),
        *(
            c.target(
                f"tracing overhead at sampling {ratio}: {overhead:.0%} < {TARGET_TRACING_OVERHEAD:.0%}",
                overhead < TARGET_TRACING_OVERHEAD,
            )
            for ratio, overhead in overheads.items()
        ),
        c.target("spans were exported", all(t["exports_received"] > 0 for t in traced.values())),
        # wrk stops with up to CONNECTIONS requests in flight, which the server may still complete
        c.target(
            "rows added = requests completed (+ in-flight)",
            0 <= omnibus["rows_added"] - omnibus["requests"] <= CONNECTIONS,
        ),
    ]
    settings = {"connections": CONNECTIONS, "threads": THREADS, "warmup_s": WARMUP_S, "duration_s": DURATION_S}
    return c.result("create_customer", rows, targets, omnibus=omnibus, raw=raw, traced=traced, settings=settings)
