# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Control number sequences become PostgreSQL sequences (18.0.1.1.0).

The partners' control number sequences were ``no_gap``: the row lock they take until
the sending transaction ends made two jobs of one partner collide. Switched to
``standard``; Odoo creates the PostgreSQL sequence at the current next number, so no
number is used twice."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    endpoints = (
        env["logistics.endpoint"]
        .with_context(active_test=False)
        .search([("edi_sequence_id", "!=", False)])
    )
    endpoints.edi_sequence_id.filtered(lambda seq: seq.implementation == "no_gap").write(
        {"implementation": "standard"}
    )
