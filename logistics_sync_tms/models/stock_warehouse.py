# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


def check_hours(record, opens, closes, what):
    """Opening hours: both empty (0) or 00:00 <= from < until <= 24:00."""
    if not (opens or closes):
        return
    if not (0 <= opens < closes <= 24):
        raise ValidationError(
            record.env._(
                "%(what)s of %(name)s: the hours must be from 00:00 to 24:00, the "
                "start before the end.",
                what=what,
                name=record.display_name,
            )
        )


class StockWarehouse(models.Model):
    _inherit = "stock.warehouse"

    tms_pickup_hour_from = fields.Float(
        string="Pickup from",
        help="Opening hour of the dock, local time of the warehouse's address (its time "
        "zone, else the company's). With the closing hour, the pickup window sent to the "
        "TMS is that day's opening hours, no earlier than the scheduled date. Empty: "
        "the scheduled date plus the TMS endpoint's pickup window.",
    )
    tms_pickup_hour_to = fields.Float(
        string="Pickup until",
        help="Closing hour of the dock, local time: a transfer scheduled later is "
        "picked up the next day.",
    )

    @api.constrains("tms_pickup_hour_from", "tms_pickup_hour_to")
    def _check_tms_pickup_hours(self):
        for warehouse in self:
            check_hours(
                warehouse,
                warehouse.tms_pickup_hour_from,
                warehouse.tms_pickup_hour_to,
                self.env._("Pickup hours"),
            )
