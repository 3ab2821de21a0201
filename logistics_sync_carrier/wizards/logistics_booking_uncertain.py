# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.exceptions import UserError

from ..adapters import CarrierError


class LogisticsBookingUncertain(models.TransientModel):
    """What a person decides for a booking whose outcome is uncertain: the carrier
    may hold it (its answer was lost) and takes no idempotency key."""

    _name = "logistics.booking.uncertain"
    _description = "Logistics Sync: resolve an uncertain carrier booking"

    picking_id = fields.Many2one(
        "stock.picking", string="Transfer", required=True, ondelete="cascade"
    )
    reason = fields.Text(related="picking_id.logistics_booking_error", string="What happened")
    tracking_ref = fields.Char(
        string="Tracking number at the carrier",
        help="The shipment you found at the carrier (its site or customer service) for "
        "this transfer. Leave it empty if there is none.",
    )

    def _check(self):
        self.ensure_one()
        picking = self.picking_id
        picking.check_access("write")
        if picking.logistics_booking_state != "uncertain":
            raise UserError(
                self.env._(
                    "%(picking)s has no uncertain booking (it is %(state)s).",
                    picking=picking.name,
                    state=picking.logistics_booking_state or "-",
                )
            )
        return picking

    def action_use_tracking(self):
        """The carrier holds it: keep that shipment (no second booking)."""
        picking = self._check()
        ref = (self.tracking_ref or "").strip()
        if not ref:
            raise UserError(self.env._("Enter the tracking number found at the carrier."))
        # sudo: the booking fields are the pipeline's; a stock user settles their own transfer
        picking.sudo().write(
            {
                "logistics_booking_state": "booked",
                "logistics_carrier_shipment_id": ref,
                "carrier_tracking_ref": ref,
                "logistics_booking_error": False,
            }
        )
        picking.message_post(
            body=self.env._(
                "Booking settled by hand: the carrier holds shipment %(ref)s. Print its "
                "label from the carrier's site.",
                ref=ref,
            )
        )
        picking.activity_feedback(["logistics_sync_base.mail_activity_logistics_exception"])
        return True

    def action_void_and_rebook(self):
        """Void the shipment found at the carrier (if any), then book again."""
        picking = self._check()
        ref = (self.tracking_ref or "").strip()
        carrier = picking.carrier_id
        if ref:
            endpoint = carrier._logistics_endpoint()
            try:
                endpoint._carrier_client().cancel(ref)
            except CarrierError as exc:
                raise UserError(
                    self.env._(
                        "The carrier did not void %(ref)s: %(error)s", ref=ref, error=exc.message
                    )
                ) from None
            picking.message_post(
                body=self.env._("Shipment %(ref)s voided at the carrier.", ref=ref)
            )
        # sudo: as above; a new key, since the old booking is void or never existed
        picking.sudo().write(
            {
                "logistics_booking_state": False,
                "logistics_booking_key": False,
                "logistics_booking_error": False,
            }
        )
        picking.activity_feedback(["logistics_sync_base.mail_activity_logistics_exception"])
        picking._logistics_queue_booking()
        return True
