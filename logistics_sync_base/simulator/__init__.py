# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What every Logistics Sync simulator shares (standard library only, no Odoo import).

The simulators are fake external systems on 127.0.0.1 for integration tests,
benchmarks and demos; each runs as its own process.  This package holds their
generic parts, the addon of each external system holds the rest (the carrier's
in ``logistics_sync_carrier/simulator``):

- ``server``: HTTP plumbing (requests, replies, routes, the threading server
  bound to loopback addresses only);
- ``app``: the request flow (faults, authentication hook) and the control API
  ``/_sim/config``, ``/_sim/stats``, ``/_sim/reset``;
- ``faults``: the fault knobs (latency, 5xx, 429 with Retry-After, timeouts,
  connection resets, also after the request was carried out, outage window);
- ``knobs``: the knobs every simulator has and their validation;
- ``webhooks``: the scheduler thread and signed webhook deliveries (native hex
  HMAC or Standard Webhooks), duplicates and retries;
- ``pdf``: a one-page label PDF;
- ``cli``: the common command line, the port file, the secret from the
  environment, running until stopped (signal, lifetime or parent gone);
- ``launcher``: ``spawn`` a simulator as a child process (tests, benchmarks).

Odoo never imports these modules except ``launcher`` (from the tests).  A
simulator's entry script registers the addon folders as ``odoo.addons.<addon>``
without Odoo and without running the addons' ``__init__``
(``logistics_sync_base/odoo_free.py``), so the modules import as in Odoo:
``odoo.addons.`` across addons, relative inside one.
"""
