"""``python -m omnibus.identity outbox [--to ADDRESS] [--last N]``: the e-mails the local stand-in recorded."""

import argparse
import json
import sys

from omnibus.identity.mail import read_outbox
from omnibus.identity.settings import IdentitySettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m omnibus.identity")
    commands = parser.add_subparsers(dest="command", required=True)
    outbox = commands.add_parser("outbox", help="e-mails recorded by the local mail stand-in")
    outbox.add_argument("--to", default=None, help="only messages to this address")
    outbox.add_argument("--last", type=int, default=20, help="how many of the latest (0 = all)")
    args = parser.parse_args(argv)
    messages = [m for m in read_outbox(IdentitySettings().outbox_file) if args.to is None or m["to"] == args.to]
    for message in messages[-args.last :] if args.last else messages:
        print(json.dumps(message, indent=2))  # noqa: T201 - a command-line tool
    return 0


if __name__ == "__main__":
    sys.exit(main())
