"""Run the benchmarks (all, or those named) and write ``bench/results/<timestamp>.json``.

    uv run python bench/run.py                      # everything (a few minutes; the first run builds a 1M-event DB)
    uv run python bench/run.py create_customer relay
    uv run python bench/run.py --strict             # exit 1 when a target is missed (for CI gates)

Needs PostgreSQL and RabbitMQ (OMNIBUS_BENCH_POSTGRES_URL / OMNIBUS_BENCH_AMQP_URL, defaults on 127.0.0.1) and wrk.
Every benchmark measures its raw baseline in the same run, so ratios hold on a noisy machine.
"""

import argparse
import importlib
import json
import math
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

BENCHMARKS = (
    "create_customer",
    "relay",
    "e2e_latency",
    "projection_rebuild",
    "search",
    "billing_run",
    "billing_pdf",
    "provisioning",
    "catalog_import",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(BENCHMARKS)}")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    names = args.names or list(BENCHMARKS)

    results: list[dict[str, Any]] = []
    for name in names:
        print(f"\n== {name}", flush=True)
        started = time.monotonic()
        try:
            outcome = importlib.import_module(name).run()
        except Exception as error:
            traceback.print_exc()
            outcome = {
                "benchmark": name,
                "rows": [],
                "targets": [{"target": "ran", "met": False}],
                "details": {"error": repr(error)},
            }
        outcome["seconds"] = round(time.monotonic() - started, 1)
        results.append(outcome)

    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": code_version(),
        "machine": {
            "host": platform.node(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "results": results,
    }
    folder = Path(__file__).resolve().parent / "results"
    folder.mkdir(exist_ok=True)
    path = folder / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print()
    print(f"code {report['code']}, {report['date']}\n")
    print(table(results))
    print(f"\nwritten to {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    if any("error" in r["details"] for r in results):
        return 2
    missed = not all(t["met"] for r in results for t in r["targets"])
    return 1 if args.strict and missed else 0


def code_version() -> str:
    """The commit measured, ``+dirty`` when files outside bench/ have uncommitted changes."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=Path(__file__).parent).stdout.strip()

    dirty = [line for line in git("status", "--porcelain").splitlines() if " bench/" not in f" {line[3:]}"]
    return git("rev-parse", "--short", "HEAD") + ("+dirty" if dirty else "")


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(results: list[dict[str, Any]]) -> str:
    """A plain-text table: one line per metric, then each benchmark's targets."""
    lines = [f"{'benchmark':<19} {'metric':<42} {'omnibus':>10} {'baseline':>10} {'ratio':>7}", "-" * 92]
    for outcome in results:
        for r in outcome["rows"]:
            metric = f"{r['metric']} ({r['unit']})" if r["unit"] else r["metric"]
            ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
            lines.append(
                f"{outcome['benchmark']:<19} {metric:<42} {fmt(r['omnibus']):>10} {fmt(r['baseline']):>10} {ratio:>7}"
            )
        for t in outcome["targets"]:
            lines.append(f"{outcome['benchmark']:<19}   target: {t['target']:<60} {'MET' if t['met'] else 'MISSED'}")
        lines.append("")
    return "\n".join(lines).rstrip()


if __name__ == "__main__":
    sys.exit(main())
