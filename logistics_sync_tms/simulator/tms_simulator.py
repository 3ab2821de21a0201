#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A fake TMS (transport management system) on 127.0.0.1, for tests, benchmarks, demos.

Standard library only, no Odoo import: run it as a script (the Odoo addon never
imports it)::

    python tms_simulator.py --port 8074 --token TOKEN --webhook-secret whsec_... \\
        --webhook-url http://127.0.0.1:8069/logistics_sync/v1/events/demo-tms

It binds loopback addresses only, writes the port it got to ``--port-file``
(atomically), prints ``TMS simulator listening on http://127.0.0.1:PORT`` and
stops by itself after ``--max-lifetime`` seconds, when ``--parent-pid`` is gone
(set by the launcher), or on SIGTERM / SIGINT.  One line per request goes to
stderr; bodies, secrets and Authorization headers never do.

What it offers (the interface is logistics_sync_tms/docs/TMS_API.md)
--------------------------------------------------------
- REST/JSON under ``/tms/v1`` (``Authorization: Bearer <token>``, 401 JSON
  otherwise): create a shipment request (tender) with an ``Idempotency-Key``,
  a batch of up to 500, update (PUT, a newer ``version``), cancel, read by
  shipment id or by ``release_id``.  See ``api.py``.
- Rules: a tender without weight or without consignee street, city or country
  is accepted (202) and then rejected by webhook with the reason; releases
  with the same pickup date, shipper and destination country share one load
  (``load_ref``); an update of a cancelled shipment is a 409.
- Answers through webhooks signed per Standard Webhooks v1 (the secret is
  ``whsec_<base64>``), POSTed to ``webhook_url``: ``tms_update`` events
  (accepted or rejected, carrier_assigned, planned with windows, load and
  cost, cancelled), one every ``webhook_interval`` seconds, then the transit
  milestones (picked_up, in_transit, out_for_delivery, delivered), one every
  ``milestone_interval`` seconds.  See ``planning.py``.
- ``/health`` and the control API under ``/_sim`` (no authentication):
  ``GET /_sim/stats``, ``GET|POST /_sim/config``, ``POST /_sim/reset``,
  ``POST /_sim/faults`` (scripted faults), ``POST /_sim/advance/<shipment id>``.

Knobs (command line, and live through ``POST /_sim/config``)
------------------------------------------------------------
``latency_ms``; ``error_rate`` (500, 502, 503, 429 with ``Retry-After: 1``,
timeouts of ``timeout_sleep`` seconds, connection resets; for writes half of
the 5xx, timeouts and resets come after the request was stored); an outage
window (``outage`` / ``outage_seconds``: 503 with ``Retry-After: 2``);
``duplicate_rate`` and ``reorder`` of webhooks; ``unanswered_rate`` (a tender
gets no webhook at all); ``webhook_interval``, ``milestone_interval``;
``carrier_code`` (the carrier the planner assigns).

``GET /_sim/stats``: ``shipments``, ``shipments_by_status``, ``writes`` (per
``<release_id>:v<version>``, how many ``create``, ``update`` and ``cancel``
were stored: exactly once each is ``1``), ``loads`` (load -> release ids),
``unanswered``, ``requests``, ``replays``, ``batches``, ``faults`` by kind,
``events``, ``webhooks_sent``, ``webhooks_failed``, ``webhook_attempts``.
``POST /_sim/reset`` drops shipments, keys, pending webhooks and statistics
and puts every knob back to its command-line value; shipment numbers keep
counting.

This file is the entry point only; ``spawn`` starts it as a child process for
tests and benchmarks.
"""

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADDONS = HERE.parent.parent  # the folder holding the addons


def _load_app():
    """The simulator's app, imported as ``odoo.addons.logistics_sync_tms.simulator.app``
    (``logistics_sync_base/odoo_free.py``: without Odoo, without the addons' ``__init__``)."""
    spec = importlib.util.spec_from_file_location(
        "lsync_odoo_free", ADDONS / "logistics_sync_base" / "odoo_free.py"
    )
    odoo_free = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(odoo_free)
    odoo_free.register(ADDONS)
    return importlib.import_module("odoo.addons.logistics_sync_tms.simulator.app")


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
