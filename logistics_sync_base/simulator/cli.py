# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The command line every simulator shares, and running one until it is stopped.

``add_common_arguments`` adds the address, the port file, the webhook secret
(``--webhook-secret`` or ``--webhook-secret-env NAME``, which keeps it out of
``ps``), the fault knobs and the lifetime; ``check_common_arguments`` validates
them (a non-loopback ``--host`` exits with status 2).  ``serve`` binds, writes
the port file atomically, prints ``<name> listening on <url>`` on stdout and
serves until SIGTERM / SIGINT, ``--max-lifetime`` seconds, or the death of
``--parent-pid`` (a launcher's own process), then removes the port file.
"""

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from .knobs import as_non_negative, as_positive, as_rate, as_retries, check_webhook_url
from .server import SimulatorServer, is_loopback_host

_logger = logging.getLogger("simulator")

PARENT_POLL = 1.0  # seconds between two checks that the parent process still runs


def rate_arg(text):
    try:
        return as_rate(float(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError("must be a number between 0 and 1") from exc


def positive_arg(text):
    try:
        return as_positive(float(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError("must be a number > 0") from exc


def retries_arg(text):
    try:
        return as_retries(int(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError("must be a whole number between 0 and 20") from exc


def non_negative_arg(text):
    try:
        return as_non_negative(float(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError("must be a number >= 0") from exc


def add_common_arguments(parser, webhook_formats=None):
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="where to write the port once bound")
    secret = parser.add_mutually_exclusive_group(required=True)
    secret.add_argument("--webhook-secret")
    secret.add_argument(
        "--webhook-secret-env",
        metavar="NAME",
        help="read the webhook secret from this environment variable (keeps it out of ps)",
    )
    parser.add_argument("--webhook-url")
    if webhook_formats:
        parser.add_argument("--webhook-format", choices=webhook_formats, default=webhook_formats[0])
    parser.add_argument("--webhook-interval", type=positive_arg, default=1.0)
    parser.add_argument(
        "--webhook-retries",
        type=retries_arg,
        default=6,
        help="retries of a failed webhook, 1, 2, 4 ... s apart (at most 30 s)",
    )
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--error-rate", type=rate_arg, default=0.0)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--timeout-sleep", type=non_negative_arg, default=15.0)
    parser.add_argument("--duplicate-rate", type=rate_arg, default=0.0)
    parser.add_argument("--reorder", action="store_true")
    parser.add_argument("--max-lifetime", type=positive_arg, default=900.0)
    parser.add_argument(
        "--parent-pid", type=int, help="stop when this process is gone (set by the launcher)"
    )


def check_common_arguments(parser, args, name):
    """Validate what argparse cannot; reads the secret from the environment."""
    if args.webhook_secret_env:
        args.webhook_secret = os.environ.get(args.webhook_secret_env, "")
        if not args.webhook_secret:
            parser.error(f"--webhook-secret-env: {args.webhook_secret_env} is not set")
    if not is_loopback_host(args.host):
        parser.exit(2, f"{name}: refusing to bind {args.host}: loopback addresses only\n")
    if args.latency_ms < 0:
        parser.error("--latency-ms must be >= 0")
    if args.webhook_url:
        try:
            check_webhook_url(args.webhook_url)
        except ValueError as exc:
            parser.error(f"--webhook-url: {exc}")


def write_port_file(path, port):
    """Write atomically: a reader sees no file or the whole port number."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_text(f"{port}\n", encoding="ascii")
    os.replace(temporary, target)


def configure_logging(tag):
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format=f"%(asctime)s {tag} %(message)s"
    )


def _parent_alive(pid):
    """Whether the launcher still runs: an orphan is adopted by another process."""
    return os.getppid() == pid


def serve(app, args, name, server_version=None):
    """Run ``app`` on ``args.host``/``args.port`` until stopped; returns the exit status."""
    host = "127.0.0.1" if args.host == "localhost" else args.host
    server = SimulatorServer((host, args.port), app, server_version)
    port = server.server_address[1]
    app.base_url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    app.start()
    stopping = threading.Event()

    def stop(signum=None, frame=None):
        if not stopping.is_set():
            stopping.set()
            # shutdown() waits for serve_forever(), which runs on this (main) thread.
            threading.Thread(target=server.shutdown, daemon=True).start()

    def watch_parent():
        while not stopping.wait(PARENT_POLL):
            if not _parent_alive(args.parent_pid):
                _logger.info("parent process %s is gone", args.parent_pid)
                stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    lifetime = threading.Timer(args.max_lifetime, stop)
    lifetime.daemon = True
    lifetime.start()
    if getattr(args, "parent_pid", None):
        threading.Thread(target=watch_parent, name="sim-parent", daemon=True).start()

    if args.port_file:
        write_port_file(args.port_file, port)
    # The line test harnesses wait for (stdout; the request log goes to stderr).
    sys.stdout.write(f"{name} listening on {app.base_url}\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        stopping.set()
        lifetime.cancel()
        app.stop()
        server.server_close()
        if args.port_file:
            Path(args.port_file).unlink(missing_ok=True)
        _logger.info("stopped")
    return 0
