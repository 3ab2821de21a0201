# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The order's shipment status now counts only shipped (done) deliveries: recompute it
for the orders that show one (a TMS may have reported progress of a delivery Odoo had
not validated)."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    orders = env["sale.order"].search([("logistics_milestone", "!=", False)])
    env.add_to_compute(orders._fields["logistics_milestone"], orders)
    orders.flush_recordset(["logistics_milestone"])
