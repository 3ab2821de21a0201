# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class LogisticsCarrierBooking(models.Model):
    """What a carrier answered to a booking, stored the moment it answered.

    Written in a transaction of its own (the booking job may still fail or die
    after it), so a booking the carrier made is never lost; also the audit trail
    of which idempotency key got which carrier reference.
    """

    _name = "logistics.carrier.booking"
    _description = "Logistics Sync Carrier Booking"
    _order = "id desc"
    _rec_name = "shipment_id"

    picking_id = fields.Many2one(
        "stock.picking", string="Transfer", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="picking_id.company_id", store=True)
    idempotency_key = fields.Char(
        string="Idempotency key",
        help="Sent with every try of this booking: the carrier returns the same booking instead of a second one.",
        required=True,
        index=True,
    )
    shipment_id = fields.Char(string="Carrier shipment", required=True)
    tracking_number = fields.Char(string="Tracking number")
    tracking_url = fields.Char(string="Tracking link")
    price = fields.Float()
    currency = fields.Char()
    label_ids = fields.Many2many(
        "ir.attachment",
        string="Labels",
        help="The labels the carrier gave with this booking, one per parcel.",
    )
    replayed = fields.Boolean(
        help="The carrier answered with a booking it already had for this key."
    )
