#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A fake of one real carrier's API (UPS or FedEx) on 127.0.0.1, for karrio.

Standard library only, no Odoo import::

    python karrio_fake.py --carrier ups --port 0 --port-file /tmp/ups.port \\
        --client-id ID --client-secret SECRET --webhook-secret unused

The fake itself (paths, shapes, refusals, faults) is ``karrio_fakes.py``, with the
carriers' push subscriptions and pushes of ``karrio_push_fakes.py``;
the server, faults, control API (``/_sim``) and command line are the shared
ones of ``logistics_sync_base/simulator``.  ``spawn`` starts it as a child
process for tests and benchmarks; it stops by itself like every simulator.
"""

import argparse
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADDONS = HERE.parent.parent


def _load(module):
    """``odoo.addons.<module>`` without Odoo and without the addons' ``__init__``
    (``logistics_sync_base/odoo_free.py``)."""
    spec = importlib.util.spec_from_file_location(
        "lsync_odoo_free", ADDONS / "logistics_sync_base" / "odoo_free.py"
    )
    odoo_free = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(odoo_free)
    odoo_free.register(ADDONS)
    return importlib.import_module(f"odoo.addons.{module}")


def spawn(args, log_path=None, timeout=20.0, port_file=None):
    """Start the fake as a child process; ``(process, url)`` (see the base launcher)."""
    launcher = _load("logistics_sync_base.simulator.launcher")
    return launcher.spawn(
        Path(__file__), args, log_path=log_path, timeout=timeout, port_file=port_file
    )


def main(argv=None):
    cli = _load("logistics_sync_base.simulator.cli")
    knobs_module = _load("logistics_sync_base.simulator.knobs")
    fakes = _load("logistics_sync_carrier.simulator.karrio_push_fakes")
    parser = argparse.ArgumentParser(description="Fake of a real carrier's API (UPS, FedEx, USPS).")
    parser.add_argument("--carrier", choices=("ups", "fedex", "usps"), required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    cli.add_common_arguments(parser)
    args = parser.parse_args(argv)
    cli.check_common_arguments(parser, args, f"{args.carrier} fake")
    cli.configure_logging(f"{args.carrier}-fake")
    knobs = knobs_module.Knobs(
        latency_ms=args.latency_ms, error_rate=args.error_rate, timeout_sleep=args.timeout_sleep
    )
    app = fakes.KarrioPushFake(
        carrier=args.carrier,
        client_id=args.client_id,
        client_secret=args.client_secret,
        knobs=knobs,
        seed=args.seed,
    )
    return cli.serve(app, args, f"{args.carrier} fake", server_version=f"Fake{args.carrier}/1")


if __name__ == "__main__":
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    sys.exit(main())
