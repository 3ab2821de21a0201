#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A fake 3PL warehouse on 127.0.0.1, for tests, benchmarks, demos.

Standard library only (paramiko, imported when used, for X12 over SFTP), no Odoo
import: run it as a script (the Odoo addon never imports it)::

    python tpl_simulator.py --port 8076 --token TOKEN --webhook-secret whsec_... \\
        --webhook-url http://127.0.0.1:8069/logistics_sync/v1/events/demo-3pl

It binds loopback addresses only, writes its port to ``--port-file``, prints
``3PL simulator listening on http://127.0.0.1:PORT`` and stops by itself after
``--max-lifetime`` seconds, when ``--parent-pid`` is gone, or on SIGTERM.

What it offers (the interface is logistics_sync_3pl/readme/USAGE.md)
-------------------------------------------------------------------
- ``POST /3pl/v1/documents`` (Bearer token, ``Idempotency-Key``): a shipping
  order or receipt advice, a version at a time (an older version: 409
  ``stale_version``; after a cancel: 409 ``document_cancelled``; the same key
  again: the same answer); ``POST /3pl/v1/documents/<id>/cancel``;
  ``GET /3pl/v1/documents/<id>``.
- Picking: ``POST /_sim/pick/<id>`` picks (or receives) a document now and
  returns its confirmation event; with ``auto_confirm`` every document is
  picked ``webhook_interval`` seconds after it arrives.  Short picks, lots
  Odoo does not know and damaged goods at ``short_pick_rate``,
  ``unknown_lot_rate`` and ``damage_rate``; packages get SSCC-18 numbers from
  ``gs1_prefix``.  Confirmations go to ``webhook_url`` signed per Standard
  Webhooks v1 (the contract's signature), with ``duplicate_rate``.
- Stock: ``POST /_sim/stock`` sets its stock (``{"lines": [{sku, lot,
  quantity}]}``); shipping takes from it, receiving adds to it;
  ``POST /_sim/snapshot`` (``{"warehouse": code}``) returns (and sends) a
  ``tpl_stock_snapshot`` with ``snapshot_drift`` of its lines off by 1 to 3.
- Suppliers: ``POST /_sim/inbound_asn`` (``{"order_ref", "lines"}``) returns (and
  sends) a supplier's ``tpl_inbound_asn`` with lots, expiry dates and an SSCC.
- The shared faults (latency, 5xx, 429, timeouts, resets, outage) and the
  control API ``/_sim/config``, ``/_sim/stats``, ``/_sim/reset``.
- X12 over SFTP (``--x12-sftp-port`` and the other ``--x12-*`` options,
  ``x12_mailbox.py``): it logs in to an SFTP server on 127.0.0.1 as the 3PL (the host
  key pinned), answers each 940 with a 997 and, once picked, a 945;
  ``POST /_sim/x12/poll`` polls now.  This mode needs paramiko (the venv's).
"""

import importlib
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADDONS = HERE.parent.parent  # the folder holding the addons


def _load_app():
    """The simulator's app, imported as ``odoo.addons.logistics_sync_3pl.simulator.app``
    (``logistics_sync_base/odoo_free.py``: without Odoo, without the addons' ``__init__``)."""
    spec = importlib.util.spec_from_file_location(
        "lsync_odoo_free", ADDONS / "logistics_sync_base" / "odoo_free.py"
    )
    odoo_free = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(odoo_free)
    odoo_free.register(ADDONS)
    return importlib.import_module("odoo.addons.logistics_sync_3pl.simulator.app")


def spawn(args, log_path=None, timeout=20.0, stdout_path=None, port_file=None):
    """Start this simulator as a child process on 127.0.0.1 and a free port.

    ``args``: command-line options (token, secret, knobs).  Returns ``(process,
    url)``; see ``logistics_sync_base/simulator/launcher.py``.
    """
    _load_app()
    launcher = importlib.import_module("odoo.addons.logistics_sync_base.simulator.launcher")
    return launcher.spawn(
        Path(__file__),
        args,
        log_path=log_path,
        stdout_path=stdout_path,
        timeout=timeout,
        port_file=port_file,
    )


def main(argv=None):
    return _load_app().main(argv)


if __name__ == "__main__":
    # Run as a script, this folder is first on sys.path: its modules (app, api...)
    # are only meant to be imported as parts of the package.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    sys.exit(main())
