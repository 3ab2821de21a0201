# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A local SMTP mail catcher for the demo and the live tests: nothing leaves the machine.

    python mail_catcher.py --host 127.0.0.1 --port 1025 --dir .local/mail

Every message is kept as ``<dir>/<n>.eml`` and listed in ``<dir>/index.jsonl``
(one JSON object a line: ``file``, ``to``, ``from``, ``subject``, ``message_id``,
``received_at``).  Listens on 127.0.0.1 only; stops on SIGTERM/SIGINT, after
``--max-lifetime`` seconds, or when ``--parent-pid`` is gone (the launcher's
convention, ``logistics_sync_base/simulator/launcher.py``).  Needs ``aiosmtpd``.
"""

import argparse
import email
import email.policy
import json
import os
import signal
import socket
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller


class CatchAll:
    """aiosmtpd handler: store each message, answer 250."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.count = len(list(self.folder.glob("*.eml")))

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            self.count += 1
            name = f"{self.count:06d}.eml"
            (self.folder / name).write_bytes(raw)
            entry = {
                "file": name,
                "to": sorted(envelope.rcpt_tos),
                "from": envelope.mail_from,
                "subject": str(message.get("Subject", "")),
                "message_id": str(message.get("Message-Id", "")),
                "received_at": datetime.now(UTC).isoformat(),
            }
            with open(self.folder / "index.jsonl", "a", encoding="utf-8") as index:
                index.write(json.dumps(entry) + "\n")
        return "250 Message accepted for delivery"


def read_index(folder):
    """The messages caught so far: a list of the index's dicts."""
    path = Path(folder) / "index.jsonl"
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as index:
        return [json.loads(line) for line in index if line.strip()]


def _free_port(host):
    # aiosmtpd checks its server by connecting to the port it was given: not 0
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025, help="0: a free port")
    parser.add_argument("--port-file", help="write the port listened on here once ready")
    parser.add_argument("--dir", required=True, help="where messages are kept")
    parser.add_argument("--parent-pid", type=int, help="stop when this process is gone")
    parser.add_argument("--max-lifetime", type=float, default=3600.0, help="seconds")
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the mail catcher listens on the loopback interface only")
    port = args.port or _free_port(args.host)
    controller = Controller(CatchAll(args.dir), hostname=args.host, port=port)
    controller.start()
    if args.port_file:
        tmp = Path(f"{args.port_file}.tmp")
        tmp.write_text(str(port))
        tmp.replace(args.port_file)
    sys.stdout.write(f"mail catcher listening on smtp://{args.host}:{port} ({args.dir})\n")
    sys.stdout.flush()
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    deadline = time.monotonic() + args.max_lifetime
    while not stopping.wait(1.0):
        if time.monotonic() > deadline or (args.parent_pid and not _alive(args.parent_pid)):
            break
    controller.stop()


if __name__ == "__main__":
    main()
