# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The carrier simulator: a fake parcel carrier on 127.0.0.1 (standard library only).

Run it with ``carrier_simulator.py`` (see its docstring for the command line and
the knobs).  The generic parts (server, faults, webhooks, command line,
launcher) come from ``logistics_sync_base/simulator``; here are the carrier's:

- ``orders``: prices, services and the checks of a booking request;
- ``lifecycle``: bookings, their tracking progression (PU, IT, OD, DL) and the
  webhooks it sends;
- ``rest``: the REST/JSON API under ``/v1`` and the public tracking page;
- ``soap``: the SOAP 1.1 service on ``/soap`` and its hostile answers;
- ``app``: the simulator itself (state, statistics, routes, authentication,
  command line).

Odoo never imports these modules.
"""
