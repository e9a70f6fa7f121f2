"""The ``omnibus`` command: run services, mint dev tokens, and the operators' event-stream tools.

omnibus run                       every installed service in one process, embedded defaults, demo data
omnibus serve <service>           one service on real infrastructure (settings from OMNIBUS_* variables)
omnibus token [--permissions ..]  mint an access token with the embedded mode's dev key
omnibus events tail <service>     print a service's recorded events (filters; --follow)
omnibus events replay <service> --queue Q [--from N] [--to N]   re-publish a stream to one queue
omnibus projections rebuild <service> <projection>
omnibus projections reset <service> <bus projection>   empty one fed by other services, to replay it from zero
omnibus dlq list|show|redrive <queue> ...   inspect dead letters, repair a body, send them back
omnibus contracts export <dir>    JSON Schema and AsyncAPI 3 of every published event
omnibus gateway nginx [-o FILE]   the nginx gateway configuration, generated from the route table
omnibus emulate <system> [...]    a local stand-in of an external system (e.g. `emulate cgrates --port 2080`)
omnibus outbox [--channel email|sms] [--to ADDRESS]   what the local Mailjet and SMSC stand-ins received
"""

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from omnibus.platform.settings import ServiceSettings


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    result: int = args.handler(args)
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="omnibus", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = parser.add_subparsers()

    run = commands.add_parser("run", help="all installed services in one process")
    run.add_argument("--port", type=int, default=None)
    run.add_argument("--host", default=None)
    run.add_argument("--no-demo", action="store_true", help="do not create demo data")
    run.add_argument(
        "--processes",
        action="store_true",
        help="each service in its own process behind a gateway (as deployed); needs PostgreSQL/RabbitMQ",
    )
    run.set_defaults(handler=_run)

    serve = commands.add_parser("serve", help="one service on real infrastructure")
    serve.add_argument("service")
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--host", default=None)
    serve.add_argument(
        "--role",
        choices=("all", "api", "workers"),
        default="all",
        help="api: HTTP only; workers: relay, projections and consumers only; all: both (on PostgreSQL and "
        "RabbitMQ as two processes, so that they use two cores)",
    )
    serve.add_argument("--api-processes", type=int, default=1, help="HTTP processes sharing the port (SO_REUSEPORT)")
    serve.set_defaults(handler=_serve)

    token = commands.add_parser("token", help="mint a dev access token (embedded mode key)")
    token.add_argument("--sub", default="1", help="user id")
    token.add_argument("--permissions", default="admin", help="comma-separated permissions")
    token.add_argument("--customer-id", type=int, default=None)
    token.add_argument("--minutes", type=int, default=60)
    token.set_defaults(handler=_token)

    events = commands.add_parser("events", help="event-stream tools").add_subparsers()
    tail = events.add_parser("tail", help="print a service's recorded events")
    tail.add_argument("service")
    tail.add_argument("--from", dest="start", type=int, default=0, help="after this position")
    tail.add_argument("--type", dest="event_type", default=None, help="event name contains")
    tail.add_argument("--aggregate", default=None, help="aggregate UUID")
    tail.add_argument("--customer", type=int, default=None, help="customer_id in the event")
    tail.add_argument("--follow", action="store_true")
    tail.add_argument("--limit", type=int, default=0, help="stop after N events (0 = no limit)")
    tail.set_defaults(handler=_tail)
    replay = events.add_parser("replay", help="re-publish a service's published events to one queue")
    replay.add_argument("service")
    replay.add_argument("--queue", required=True)
    replay.add_argument("--from", dest="start", type=int, default=0, help="after this position")
    replay.add_argument("--to", dest="stop", type=int, default=None, help="up to this position (inclusive)")
    replay.set_defaults(handler=_replay)

    projections = commands.add_parser("projections", help="read-model tools").add_subparsers()
    rebuild = projections.add_parser(
        "rebuild", help="replay a projection from zero into shadow tables while the live one serves, then switch"
    )
    rebuild.add_argument("service")
    rebuild.add_argument("projection")
    rebuild.set_defaults(handler=_rebuild)
    reset = projections.add_parser(
        "reset", help="empty a projection fed by other services' events, then replay their streams to rebuild it"
    )
    reset.add_argument("service")
    reset.add_argument("projection")
    reset.set_defaults(handler=_reset)

    dlq = commands.add_parser("dlq", help="dead-letter tools").add_subparsers()
    dlq_list = dlq.add_parser("list", help="dead letters of a subscriber queue")
    dlq_list.add_argument("queue")
    dlq_list.add_argument("--limit", type=int, default=50)
    dlq_list.set_defaults(handler=_dlq_list)
    dlq_show = dlq.add_parser("show", help="one dead letter with headers and body")
    dlq_show.add_argument("queue")
    dlq_show.add_argument("message_id")
    dlq_show.add_argument("--body", action="store_true", help="print only the body (to edit it, then redrive)")
    dlq_show.set_defaults(handler=_dlq_show)
    dlq_redrive = dlq.add_parser("redrive", help="move dead letters back to their queue (optionally repaired)")
    dlq_redrive.add_argument("queue")
    dlq_redrive.add_argument("--id", dest="ids", action="append", default=None, help="only these message ids")
    dlq_redrive.add_argument(
        "--body-file", default=None, help="with one --id: send it back with this JSON body (an operator's fix)"
    )
    dlq_redrive.set_defaults(handler=_dlq_redrive)

    contracts = commands.add_parser("contracts", help="published-language tools").add_subparsers()
    export = contracts.add_parser("export", help="write JSON Schemas and an AsyncAPI 3 document")
    export.add_argument("directory")
    export.set_defaults(handler=_export)

    gateway = commands.add_parser("gateway", help="deployed gateway tools").add_subparsers()
    nginx = gateway.add_parser("nginx", help="write the nginx configuration generated from the route table")
    nginx.add_argument(
        "--upstream",
        action="append",
        default=None,
        metavar="SERVICE=URL",
        help="a service's base URL (repeatable); without any, every installed service at --template",
    )
    nginx.add_argument("--template", default="http://{service}:8000", help="upstream URL of each service")
    nginx.add_argument("--listen", default="5000", help="nginx listen address (port or host:port)")
    nginx.add_argument("--runtime-dir", default=None, help="pid file, logs and temp files here; foreground")
    nginx.add_argument("-o", "--output", default=None, help="file to write (default: standard output)")
    nginx.set_defaults(handler=_gateway_nginx)
    _add_emulators(commands.add_parser("emulate", help="local stand-ins of external systems").add_subparsers())
    outbox = commands.add_parser("outbox", help="e-mails and SMS the local Mailjet and SMSC stand-ins received")
    outbox.add_argument("--channel", choices=("email", "sms"), default=None, help="only this channel")
    outbox.add_argument("--to", default=None, help="only messages to this address or number")
    outbox.add_argument("--last", type=int, default=20, help="how many of the latest (0 = all)")
    outbox.set_defaults(handler=_outbox)
    return parser


def _add_emulators(emulate: Any) -> None:
    """``omnibus emulate <name>``: each stand-in registers under the ``omnibus.emulators`` entry points an object
    with ``help``, ``add_arguments(parser)`` and ``run(args) -> int`` (ARCHITECTURE.md §10)."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="omnibus.emulators"):
        command = ep.load()
        sub = emulate.add_parser(ep.name, help=getattr(command, "help", None))
        command.add_arguments(sub)
        sub.set_defaults(handler=command.run)


def _outbox(args: argparse.Namespace) -> int:
    from omnibus.platform.channels.connect import MAILJET_RECORD, SMSC_RECORD, outbox_dir
    from omnibus.platform.channels.standin import read_record

    folder = outbox_dir(ServiceSettings())
    if folder is None:
        raise SystemExit("the stand-ins keep what they receive on disk with an embedded store or OMNIBUS_OUTBOX_DIR")
    found = []
    if args.channel in (None, "email"):
        for m in read_record(folder / MAILJET_RECORD):
            if args.to is None or any(r.get("Email") == args.to for r in m.get("To", [])):
                found.append({"channel": "email", **m})
    if args.channel in (None, "sms"):
        wanted = None if args.to is None else args.to.replace(" ", "").lstrip("+")
        for m in read_record(folder / SMSC_RECORD):
            if wanted is None or m.get("destinatination_msisdn") == wanted:
                found.append({"channel": "sms", **m})
    found.sort(key=lambda m: str(m.get("ArrivedAt") or m.get("received_at")))
    for message in found[-args.last :] if args.last else found:
        print(json.dumps(message))
    return 0


def _run(args: argparse.Namespace) -> int:
    import uvicorn

    from omnibus.platform.logging_setup import configure_logging
    from omnibus.platform.runtime import Dispatcher, build_services, embedded_app

    settings = ServiceSettings(demo_data=not args.no_demo)
    configure_logging(settings.log_level)
    if args.processes:
        return _run_processes(settings, args)
    infra, runtimes = build_services(settings, allow_dev_key=True)
    host, port = args.host or settings.http_host, args.port or settings.http_port
    _print_welcome(settings, [r.name for r in runtimes], host, port)
    uvicorn.run(Dispatcher(embedded_app(infra, runtimes)), host=host, port=port, log_level="warning")
    return 0


def _run_processes(settings: ServiceSettings, args: argparse.Namespace) -> int:
    """One ``omnibus serve`` process per installed service, plus the gateway on the public port."""
    import os
    import subprocess

    import uvicorn
    from cryptography.hazmat.primitives import serialization

    from omnibus.platform.gateway import create_gateway
    from omnibus.platform.runtime import dev_signing_key_path, load_or_create_dev_key
    from omnibus.platform.service import discover_services

    if settings.store_kind != "postgres" or settings.amqp_url.startswith("memory://"):
        raise SystemExit("--processes needs OMNIBUS_DATABASE_URL=postgresql://... and OMNIBUS_AMQP_URL=amqp://...")
    host, port = args.host or settings.http_host, args.port or settings.http_port
    env = dict(os.environ)
    if not (settings.jwt_public_key or settings.jwt_public_key_file or settings.jwks_url):
        public = load_or_create_dev_key(dev_signing_key_path(settings)).public_key()
        pem = dev_signing_key_path(settings).with_suffix(".pub.pem")
        pem.write_bytes(
            public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        env["OMNIBUS_JWT_PUBLIC_KEY_FILE"] = str(pem)
    upstreams, children = {}, []
    for offset, name in enumerate(discover_services(), start=1):
        child_port = port + 100 + offset
        child_env = {
            **env,
            "OMNIBUS_HTTP_PORT": str(child_port),
            "OMNIBUS_HTTP_HOST": "127.0.0.1",
            "OMNIBUS_DEMO_DATA": "false" if args.no_demo else "true",
        }
        children.append(subprocess.Popen([sys.executable, "-m", "omnibus.platform.cli", "serve", name], env=child_env))
        upstreams[name] = f"http://127.0.0.1:{child_port}"
    _print_welcome(settings, list(upstreams), host, port)
    try:
        uvicorn.run(create_gateway(upstreams), host=host, port=port, log_level="warning")
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=15)
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from omnibus.platform.logging_setup import configure_logging
    from omnibus.platform.runtime import Dispatcher, build_services, embedded_app, run_workers

    settings = ServiceSettings()
    configure_logging(settings.log_level)
    if args.role == "workers":
        infra, runtimes = build_services(settings, [args.service])
        asyncio.run(run_workers(infra, runtimes, settings.metrics_port))
        return 0
    separate = settings.store_kind == "postgres" and not settings.amqp_url.startswith("memory://")
    children = []
    if args.role == "all" and separate:
        children.append(_spawn(args.service, "workers"))
    for _ in range(args.api_processes - 1):
        children.append(_spawn(args.service, "api"))
    infra, runtimes = build_services(settings, [args.service])
    for runtime in runtimes:
        runtime.background = args.role == "all" and not separate
    host, port = args.host or settings.http_host, args.port or settings.http_port
    server = uvicorn.Server(uvicorn.Config(Dispatcher(embedded_app(infra, runtimes)), log_level="warning"))
    try:
        server.run(sockets=[_shared_socket(host, port)])
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=15)
    return 0


def _spawn(service: str, role: str) -> Any:
    """A child ``serve`` process that the kernel stops when this process dies, however it dies."""
    import ctypes
    import signal
    import subprocess

    def die_with_parent() -> None:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    command = [sys.executable, "-m", "omnibus.platform.cli", "serve", service, "--role", role]
    return subprocess.Popen(command, preexec_fn=die_with_parent)  # noqa: PLW1509


def _shared_socket(host: str, port: int) -> Any:
    """A listening socket several API processes can share (the kernel spreads connections among them)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _print_welcome(settings: ServiceSettings, services: list[str], host: str, port: int) -> None:
    token = _mint(settings, "1", ["admin"], None, 12 * 60)
    print(f"Omnibus is running services {', '.join(services)} on http://{host}:{port}")
    print(f"  API docs:   http://{host}:{port}/crm/docs/")
    print(f"  data:       {settings.database_url} (bus: {settings.amqp_url})")
    print("  an admin token valid 12 hours (mint others with `omnibus token`):")
    print(f"  export TOKEN={token}")
    print(f'  curl -H "Authorization: Bearer $TOKEN" http://{host}:{port}/crm/customers')


def _mint(settings: ServiceSettings, sub: str, permissions: list[str], customer_id: int | None, minutes: int) -> str:
    import jwt

    from omnibus.platform.runtime import dev_signing_key_path, load_or_create_dev_key

    now = int(time.time())
    claims: dict[str, Any] = {"sub": sub, "permissions": permissions, "iat": now, "exp": now + minutes * 60}
    claims["token_type"] = "access"
    if customer_id is not None:
        claims["customer_id"] = customer_id
    return jwt.encode(claims, load_or_create_dev_key(dev_signing_key_path(settings)), algorithm="EdDSA")


def _token(args: argparse.Namespace) -> int:
    permissions = [p.strip() for p in args.permissions.split(",") if p.strip()]
    print(_mint(ServiceSettings(), args.sub, permissions, args.customer_id, args.minutes))
    return 0


def _one_service(name: str) -> Any:
    from omnibus.platform.runtime import build_services

    _, (runtime,) = build_services(ServiceSettings(), [name])
    if runtime.app is None:
        raise SystemExit(f"service {name} has no event store")
    return runtime


def _tail(args: argparse.Namespace) -> int:
    from omnibus.platform.eventstore import event_meta

    runtime = _one_service(args.service)
    app, position, shown = runtime.app, args.start, 0
    while True:
        notifications = app.read_notifications(position, 1000)
        for notification in notifications:
            position = notification.id
            event = app.mapper.to_domain_event(notification)
            state = {k: v for k, v in vars(event).items() if k != "__meta__"}
            name = type(event).__qualname__
            if args.event_type and args.event_type.lower() not in name.lower():
                continue
            if args.aggregate and str(notification.originator_id) != args.aggregate:
                continue
            if args.customer is not None and state.get("customer_id") != args.customer:
                continue
            line = {
                "position": position,
                "type": name,
                "aggregate_id": str(notification.originator_id),
                "version": notification.originator_version,
                "meta": event_meta(event),
                "state": state,
            }
            print(json.dumps(line, default=str))
            shown += 1
            if args.limit and shown >= args.limit:
                return 0
        if not notifications:
            if not args.follow:
                return 0
            time.sleep(0.5)


def _replay(args: argparse.Namespace) -> int:
    from omnibus.platform.relay import messages_for

    runtime = _one_service(args.service)
    app, outbound = runtime.app, runtime.parts.outbound
    if outbound is None:
        raise SystemExit(f"service {args.service} publishes no events")
    head = args.stop if args.stop is not None else app.max_notification_id()

    async def replay() -> int:
        bus = runtime.infra.bus
        await bus.start()
        await bus.declare_queue(args.queue)
        position, sent = args.start, 0
        try:
            while position < head:
                notifications = app.read_notifications(position, 1000, stop=head)
                if not notifications:
                    break
                messages = messages_for(app, outbound, notifications)
                await bus.send_to_queue(args.queue, messages)
                position, sent = notifications[-1].id, sent + len(messages)
                _progress(f"replayed {sent} events, position {position}/{head}")
        finally:
            await bus.close()
        return sent

    sent = asyncio.run(replay())
    print(f"\nreplayed {sent} events to {args.queue}")
    return 0


def _rebuild(args: argparse.Namespace) -> int:
    from omnibus.platform.projections import rebuild

    runtime = _one_service(args.service)
    projection = next((p for p in runtime.parts.projections if p.name == args.projection), None)
    if projection is None:
        names = [p.name for p in runtime.parts.projections]
        raise SystemExit(f"unknown projection {args.projection}; {args.service} has {names}")
    started = time.monotonic()
    total = rebuild(
        runtime.app,
        runtime.engine,
        projection,
        progress=lambda pos, head: _progress(f"rebuilding {projection.name}: {pos}/{head}"),
    )
    elapsed = time.monotonic() - started
    print(f"\nrebuilt {projection.name} from {total} events in {elapsed:.1f}s ({total / max(elapsed, 1e-9):,.0f}/s)")
    return 0


def _reset(args: argparse.Namespace) -> int:
    from omnibus.platform.consumers import reset_bus_projection

    runtime = _one_service(args.service)
    projection = next((p for p in runtime.parts.bus_projections if p.name == args.projection), None)
    if projection is None:
        names = [p.name for p in runtime.parts.bus_projections]
        raise SystemExit(f"unknown bus projection {args.projection}; {args.service} has {names}")
    queues = reset_bus_projection(runtime.engine, runtime.name, projection)
    print(f"{projection.name} is empty; replay what it reads to rebuild it, with each publisher's OMNIBUS_* settings:")
    for queue in queues:
        context = queue.rsplit(".", 1)[1]  # the bus context; the service is charging-gateway for "charging"
        print(f"  omnibus events replay <service of {context}> --queue {queue}")
    return 0


def _bus() -> Any:
    from omnibus.platform.runtime import create_bus

    return create_bus(ServiceSettings())


def _dlq_list(args: argparse.Namespace) -> int:
    async def go() -> None:
        bus = _bus()
        await bus.start()
        try:
            for dead in await bus.dead_letters(args.queue, args.limit):
                print(
                    f"{dead.message_id}  {dead.routing_key}  attempts={dead.attempts}  {dead.failed_at}  "
                    f"{dead.error_type}: {dead.error}"
                )
        finally:
            await bus.close()

    asyncio.run(go())
    return 0


def _dlq_show(args: argparse.Namespace) -> int:
    async def go() -> int:
        bus = _bus()
        await bus.start()
        try:
            for dead in await bus.dead_letters(args.queue, 10_000):
                if dead.message_id == args.message_id and args.body:
                    sys.stdout.write(dead.body.decode(errors="replace"))
                    return 0
                if dead.message_id == args.message_id:
                    print(
                        json.dumps(
                            {
                                "message_id": dead.message_id,
                                "routing_key": dead.routing_key,
                                "error": dead.error,
                                "error_type": dead.error_type,
                                "attempts": dead.attempts,
                                "failed_at": dead.failed_at,
                                "headers": dead.headers,
                                "body": dead.body.decode(errors="replace"),
                            },
                            indent=2,
                            default=str,
                        )
                    )
                    return 0
        finally:
            await bus.close()
        print(f"no dead letter {args.message_id} in {args.queue}.dlq", file=sys.stderr)
        return 1

    return asyncio.run(go())


def _dlq_redrive(args: argparse.Namespace) -> int:
    fixed: dict[str, bytes] = {}
    if args.body_file is not None:
        if not args.ids or len(args.ids) != 1:
            raise SystemExit("--body-file repairs one message: give exactly one --id")
        with open(args.body_file, "rb") as file:
            body = file.read()
        try:
            json.loads(body)
        except ValueError as error:
            raise SystemExit(f"{args.body_file} is not valid JSON: {error}") from None
        fixed[args.ids[0]] = body

    async def go() -> int:
        bus = _bus()
        await bus.start()
        try:
            moved: int = await bus.redrive(args.queue, args.ids, fixed)
            return moved
        finally:
            await bus.close()

    print(f"redrove {asyncio.run(go())} message(s) to {args.queue}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from omnibus.contracts.export import export

    for path in export(args.directory):
        print(path)
    return 0


def _gateway_nginx(args: argparse.Namespace) -> int:
    from pathlib import Path

    from omnibus.platform.nginx import render_config
    from omnibus.platform.service import discover_services

    if args.upstream:
        pairs = [item.partition("=") for item in args.upstream]
        if any(not name or not url for name, _, url in pairs):
            raise SystemExit("--upstream takes SERVICE=URL")
        upstreams = {name: url for name, _, url in pairs}
    else:
        upstreams = {name: args.template.format(service=name) for name in discover_services()}
    try:
        config = render_config(upstreams, listen=args.listen, runtime_dir=args.runtime_dir)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    if args.output is None:
        print(config, end="")
    else:
        Path(args.output).write_text(config)
    return 0


def _progress(text: str) -> None:
    print(f"\r{text}", end="", flush=True, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
