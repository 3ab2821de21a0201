#!/usr/bin/env python3
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A fake parcel carrier on 127.0.0.1, for integration tests and demos.

Standard library only, no Odoo import: run it as a script (the Odoo addon never
imports it)::

    python carrier_simulator.py --port 0 --port-file /tmp/sim.port \\
        --api-key KEY --username U --password P --webhook-secret SECRET

It binds loopback addresses only, writes the port it got to ``--port-file``
(atomically), prints ``carrier simulator listening on http://127.0.0.1:PORT``
and stops by itself after ``--max-lifetime`` seconds, when ``--parent-pid`` is
gone (set by the launcher), or on SIGTERM / SIGINT.
One line per request goes to stderr; secrets and Authorization headers never do.

What it offers
--------------
- REST (JSON) under ``/v1``: rates, bookings with ``Idempotency-Key``, PDF
  labels and return labels, cancellation, tracking (one number or a batch).
  Authentication: ``Authorization: Bearer <api key>``, ``X-API-Key: <api key>``
  or HTTP Basic ``<username>:<password>``.
- SOAP 1.1 document/literal on ``/soap`` (GetRate, BookShipment,
  CancelShipment, TrackShipment), described by ``../wsdl/sim_carrier.wsdl``,
  served with the real address on ``GET /soap?wsdl``.  Bookings are shared
  with REST.  Requests carrying ``<!DOCTYPE`` or ``<!ENTITY`` are refused (400).
- A lifecycle per booking: PU (picked up), IT (in transit), OD (out for
  delivery), DL (delivered), one step every ``--webhook-interval`` seconds.
  Events are kept for polling and, when a webhook URL is known (the booking's
  ``webhook_url``, else ``--webhook-url``; loopback http(s) URLs only), POSTed
  there: ``native`` events signed with ``X-Sim-Signature`` (hex HMAC-SHA256 of
  the body), or ``canonical`` events signed per Standard Webhooks v1 (the
  secret is then ``whsec_<base64>``).  Failed deliveries are retried
  ``--webhook-retries`` times (default 6) with exponential backoff, 1, 2, 4 ... s
  apart (at most 30 s), with a 5 s timeout per POST.
- ``/health`` and the control API under ``/_sim`` (no authentication):
  ``GET /_sim/stats``, ``GET|POST /_sim/config``, ``POST /_sim/reset``,
  ``POST /_sim/advance/<shipment id>``, ``GET /_sim/evil.dtd``.

Knobs (command line, most of them also live through ``POST /_sim/config``)
---------------------------------------------------------------------------
- ``latency_ms``: sleep before answering each ``/v1`` or ``/soap`` request.
- ``error_rate``: probability that such a request is faulted (seeded RNG, see
  ``--seed``).  The fault is one of, uniformly: 500, 502, 503, 429 with
  ``Retry-After: 1``, a timeout (sleep ``timeout_sleep`` seconds, then answer
  normally) or a connection reset (RST, no answer).  For booking calls
  (``POST /v1/shipments`` and every SOAP call, whose operation is only known
  once the body is parsed) half of the 5xx, timeouts and resets happen *after*
  the request was carried out: the carrier booked, the client never learns it.
  Faults come before authentication, as from a gateway.  ``/health``,
  ``/track``, ``GET /soap?wsdl`` and ``/_sim`` are never faulted.
- outage (``outage`` true/false or ``outage_seconds``): every ``/v1`` and
  ``/soap`` request answers 503 with ``Retry-After: 2``.
- ``duplicate_rate``: probability that a webhook event is POSTed twice.
- ``reorder``: events are held and delivered in swapped pairs (IT before PU,
  DL before OD).
- ``webhook_url``, ``webhook_format`` (native|canonical), ``webhook_interval``.
- ``soap_evil`` ("", "xxe", "billion_laughs", "dtd"): SOAP answers carry an
  external entity, nested entities or an external DTD reference, to test that
  a client refuses them; the operation itself is not carried out.
  ``GET /_sim/evil.dtd`` counts its fetches.
- ``timeout_sleep``: how long an injected timeout lasts.

``GET /_sim/stats``: ``bookings`` (stored), ``bookings_by_reference``,
``requests`` (``/v1`` and ``/soap`` calls), ``faults`` by kind (``outage``
included), ``webhooks_sent`` (2xx answers), ``webhooks_failed`` (given up after
the retries), ``webhook_attempts``, ``events``, ``soap_requests`` and
``evil_dtd_fetches``.

``POST /_sim/reset`` drops bookings, events, pending webhooks and statistics
and puts every knob back to its command-line value.  Shipment numbers keep
counting, so a client never sees the same shipment id twice in one run.

This file is the entry point only.  The simulator is the package beside it
(``orders``, ``lifecycle``, ``rest``, ``soap``, ``app``) built on the shared
``logistics_sync_base/simulator`` (server, faults, webhooks, command line,
launcher); both are imported as ``odoo.addons.<addon>`` without Odoo
(``logistics_sync_base/odoo_free.py``), so the addons' ``__init__`` (which imports
Odoo) never runs here.  ``spawn``
starts it as a child process for tests and benchmarks.
"""

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADDONS = HERE.parent.parent  # the folder holding the addons


def _load_app():
    """The simulator's app, imported as ``odoo.addons.logistics_sync_carrier.simulator.app``
    (``logistics_sync_base/odoo_free.py``: without Odoo, without the addons' ``__init__``)."""
    spec = importlib.util.spec_from_file_location(
        "lsync_odoo_free", ADDONS / "logistics_sync_base" / "odoo_free.py"
    )
    odoo_free = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(odoo_free)
    odoo_free.register(ADDONS)
    return importlib.import_module("odoo.addons.logistics_sync_carrier.simulator.app")


def spawn(args, log_path=None, timeout=20.0, stdout_path=None, port_file=None):
    """Start this simulator as a child process on 127.0.0.1 and a free port.

    ``args``: command-line options (credentials, knobs).  Returns ``(process,
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
    # Run as a script, this folder is first on sys.path: its modules (app, rest...)
    # are only meant to be imported as parts of the package.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    sys.exit(main())
