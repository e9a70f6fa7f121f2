"""The deployed gateway: a real nginx (from apt) with the configuration generated from the route table."""

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import yaml

from omnibus.contracts import ROUTES
from omnibus.platform.cli import main
from omnibus.platform.nginx import render_config
from omnibus.platform.service import discover_services
from omnibus.testing.processes import free_port

REPO = Path(__file__).resolve().parents[2]


def _nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
    if found is None:
        message = "nginx is not installed (apt-get install nginx-light)"
        if os.environ.get("OMNIBUS_REQUIRE_INFRA") == "1":
            pytest.fail(f"{message} and OMNIBUS_REQUIRE_INFRA=1", pytrace=False)
        pytest.skip(message)
    return found


class Nginx:
    def __init__(self, folder: Path, upstreams: dict[str, str]) -> None:
        self.port = free_port()
        self.folder = folder
        config = folder / "nginx.conf"
        config.write_text(render_config(upstreams, listen=f"127.0.0.1:{self.port}", runtime_dir=str(folder)))
        extra = "user root;" if os.geteuid() == 0 else ""  # workers need the (root-only) temp folder
        command = [_nginx_binary(), "-c", str(config), "-e", str(folder / "startup.log")]
        self.process = subprocess.Popen([*command, *(["-g", extra] if extra else [])])
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {(folder / 'error.log').read_text(errors='replace')}")
            try:
                httpx.get(f"{self.url}/health", timeout=0.5)
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise TimeoutError("nginx did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class _Echo(BaseHTTPRequestHandler):
    """An upstream that answers with its own name and what it received."""

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.dumps(
            {
                "service": self.server.service_name,  # type: ignore[attr-defined]
                "method": self.command,
                "path": self.path,
                "body": self.rfile.read(length).decode(),
                "x_forwarded_for": self.headers.get("x-forwarded-for"),
                "x_request_id": self.headers.get("x-request-id"),
            }
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo_upstreams() -> Iterator[dict[str, str]]:
    servers = []
    for service in sorted({r.service for r in ROUTES}):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
        server.service_name = service  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield {s.service_name: f"http://127.0.0.1:{s.server_address[1]}" for s in servers}  # type: ignore[attr-defined]
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def echo_gateway(tmp_path: Path, echo_upstreams: dict[str, str]) -> Iterator[Nginx]:
    nginx = Nginx(tmp_path, echo_upstreams)
    yield nginx
    nginx.stop()


def test_every_route_prefix_reaches_its_service(echo_gateway: Nginx) -> None:
    with httpx.Client(base_url=echo_gateway.url) as client:
        for route in ROUTES:
            for path in (route.prefix, f"{route.prefix}/", f"{route.prefix}/42?page=2"):
                answer = client.get(path)
                assert answer.status_code == 200, path
                assert answer.json()["service"] == route.service, path
                assert answer.json()["path"] == path


def test_longest_whole_segment_prefix_wins_and_unknown_paths_are_404(echo_gateway: Nginx) -> None:
    with httpx.Client(base_url=echo_gateway.url) as client:
        assert client.get("/crm/customers").json()["service"] == "customers"
        assert client.get("/crm/inventory_template/3").json()["service"] == "catalog"
        assert client.get("/crm/oam/remove_action_plan/1").json()["service"] == "charging-gateway"
        for unknown in ("/crm/customerX", "/crm", "/nothing/here", "/crm/invoices_of_nobody"):
            answer = client.get(unknown)
            assert answer.status_code == 404, unknown
            assert answer.json() == {"message": "Not found", "code": "not_found"}
        assert client.get("/health").json() == {"status": "ok"}


def test_method_body_forwarded_for_and_request_id_are_passed_on(echo_gateway: Nginx) -> None:
    with httpx.Client(base_url=echo_gateway.url) as client:
        sent = client.put("/crm/customer/", json={"customer_name": "Ada"}, headers={"X-Forwarded-For": "203.0.113.9"})
        made = client.patch("/crm/customer/1", content=b"{}")
        kept = client.get("/crm/customer/1", headers={"X-Request-ID": "abc-123"})

    assert sent.json()["method"] == "PUT"
    assert json.loads(sent.json()["body"]) == {"customer_name": "Ada"}
    assert sent.json()["x_forwarded_for"] == "203.0.113.9, 127.0.0.1"
    assert made.json()["method"] == "PATCH"
    assert len(made.json()["x_request_id"]) == 32
    assert kept.json()["x_request_id"] == "abc-123"


def test_committed_compose_config_matches_the_route_table(tmp_path: Path) -> None:
    generated = tmp_path / "omnibus.conf"
    assert main(["gateway", "nginx", "-o", str(generated)]) == 0

    committed = REPO / "deploy" / "nginx" / "omnibus.conf"
    assert committed.read_text() == generated.read_text(), "run `omnibus gateway nginx -o deploy/nginx/omnibus.conf`"


def test_the_compose_file_runs_and_scrapes_every_installed_service() -> None:
    compose = yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text())
    scrape = yaml.safe_load((REPO / "deploy" / "observability" / "prometheus.yml").read_text())
    targets = {t for job in scrape["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}

    for service in discover_services():
        assert compose["services"][service]["command"] == [service]
        assert {f"{service}:8000", f"{service}:9100"} <= targets


def test_bad_upstreams_are_refused() -> None:
    with pytest.raises(ValueError, match="http://host"):
        render_config({"customers": "ftp://x"})
    with pytest.raises(SystemExit, match="SERVICE=URL"):
        main(["gateway", "nginx", "--upstream", "customers"])


@pytest.mark.e2e
def test_real_services_behind_nginx(tmp_path: Path, launch, signing_key) -> None:
    customers = launch("customers")
    billing = launch("billing")
    nginx = Nginx(tmp_path, {"customers": customers.url, "billing": billing.url})
    try:
        headers = {"Authorization": f"Bearer {signing_key.token(['admin'])}"}
        with httpx.Client(base_url=nginx.url, headers=headers) as client:
            created = client.put("/crm/customer/", json={"customer_name": "Through nginx"})
            assert created.status_code == 200, created.text
            customer_id = created.json()["customer_id"]
            shown = client.get(f"/crm/customer/customer_id/{customer_id}")
            unauthenticated = httpx.get(f"{nginx.url}/crm/customers")
            billing_answer = client.get("/crm/invoice/no_such_path")
    finally:
        nginx.stop()

    assert shown.status_code == 200 and shown.json()["customer_name"] == "Through nginx"
    assert unauthenticated.status_code == 401
    assert "x-request-id" in billing_answer.headers  # answered by the billing service, not nginx's own 404
