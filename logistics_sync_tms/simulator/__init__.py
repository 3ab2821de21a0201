# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The TMS simulator: a fake transport management system on 127.0.0.1 (standard
library only).

Run it with ``tms_simulator.py`` (see its docstring for the command line and
the knobs).  The generic parts (server, faults, webhooks, command line,
launcher) come from ``logistics_sync_base/simulator``; here are the TMS's:

- ``rules``: the checks of a shipment request, why a tender is rejected, the
  consolidation key, planned windows and cost;
- ``planning``: shipments and the signed webhooks answering them (tender,
  planning, transit milestones);
- ``api``: the REST/JSON API under ``/tms/v1`` with idempotency keys;
- ``app``: the simulator itself (state, statistics, routes, authentication,
  command line).

Odoo never imports these modules.
"""
