# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..adapters import CarrierError, karrio_adapter
from odoo.addons.logistics_sync_base.jobs import record_outside

# what a carrier is sent of an address (read alone: a booking job reads each address
# once, not res.partner's other columns)
ADDRESS_FIELDS = [
    "name",
    "street",
    "street2",
    "city",
    "zip",
    "country_id",
    "state_id",
    "phone",
    "mobile",
    "email",
]


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

    delivery_type = fields.Selection(
        selection_add=[("logistics_sync", "Logistics Sync carrier")],
        ondelete={
            "logistics_sync": lambda recs: recs.write({"delivery_type": "fixed", "fixed_price": 0})
        },
    )
    logistics_endpoint_id = fields.Many2one(
        "logistics.endpoint",
        string="Logistics Sync endpoint",
        domain="[('kind', '=', 'carrier')]",
        check_company=True,
        help="The carrier's endpoint: Odoo books through it (Logistics Sync provider) and "
        "its webhooks update transfers shipped with this carrier.",
    )
    logistics_event_count = fields.Integer(
        # a number, no content: counted as the superuser so that reading every field
        # of a carrier works for anyone who may read the carrier
        string="Sync events",
        compute="_compute_logistics_event_count",
        compute_sudo=True,
    )

    def _compute_logistics_event_count(self):
        counts = dict(
            self.env["logistics.event"]._read_group(
                [("endpoint_id", "in", self.logistics_endpoint_id.ids)],
                ["endpoint_id"],
                ["__count"],
            )
        )
        for carrier in self:
            carrier.logistics_event_count = counts.get(carrier.logistics_endpoint_id, 0)

    @api.depends("delivery_type", "logistics_endpoint_id.carrier_protocol")
    def _compute_can_generate_return(self):
        result = super()._compute_can_generate_return()
        for carrier in self.filtered(lambda c: c.delivery_type == "logistics_sync"):
            # sudo: the transfer form asks every user who opens it; only the
            # endpoint's protocol is read
            endpoint = carrier.logistics_endpoint_id.sudo()
            carrier.can_generate_return = endpoint.carrier_protocol == "rest" or (
                endpoint.carrier_protocol == "karrio"
                and endpoint.karrio_carrier in karrio_adapter.RETURNS
            )
        return result

    # ------------------------------------------------------- provider methods
    def _logistics_endpoint(self):
        self.ensure_one()
        # sudo: quoting, booking, cancelling and return labels need the carrier's
        # endpoint (credentials, circuit) whoever does them: a salesperson getting a
        # rate, an Inventory / User shipping; callers use it to talk to this carrier only
        endpoint = self.logistics_endpoint_id.sudo()
        if not endpoint:
            raise UserError(
                self.env._("Carrier %(name)s has no Logistics Sync endpoint.", name=self.name)
            )
        return endpoint.with_company(endpoint.company_id)

    def logistics_sync_rate_shipment(self, order):
        """Interactive quote: one synchronous call, honest about a carrier being down."""
        endpoint = self._logistics_endpoint()
        allowed, wait = endpoint._circuit_allows()
        if not allowed:
            return self._logistics_rate_error(
                self.env._(
                    "The carrier is unavailable (circuit open); try again in %(s)s s.", s=wait
                )
            )
        weight = sum(
            line.product_id.weight * line.product_uom_qty
            for line in order.order_line
            if not line.is_delivery
        )
        partner = order.partner_shipping_id
        shipment = {
            "reference": order.name,
            "service": endpoint.carrier_service or "standard",
            "weight_kg": round(weight or 1.0, 3),
            "recipient": self._logistics_recipient(partner),
        }
        try:
            answer = endpoint._carrier_client().rate(shipment)
        except CarrierError as exc:
            endpoint._circuit_record(False, exc)
            return self._logistics_rate_error(exc.message)
        endpoint._circuit_record(True)
        return {
            "success": True,
            "price": float(answer.get("amount") or 0.0),
            "transit_days": answer.get("transit_days"),
            "error_message": False,
            "warning_message": False,
        }

    def _logistics_rate_error(self, message):
        return {"success": False, "price": 0.0, "error_message": message, "warning_message": False}

    @api.model
    def _logistics_recipient(self, partner):
        partner.fetch(ADDRESS_FIELDS)
        return {
            "name": partner.name or "",
            "street": partner.street or "",
            "city": partner.city or "",
            "zip": partner.zip or "",
            "country": partner.country_id.code or "",
            "street2": partner.street2 or "",
            "state": partner.state_id.code or "",
            "phone": partner.phone or partner.mobile or "",
            "email": partner.email or "",
        }

    def logistics_sync_send_shipping(self, pickings):
        """Odoo's synchronous hook, made asynchronous: the booking is queued."""
        pickings._logistics_queue_booking()
        return [
            {"exact_price": picking.carrier_price or 0.0, "tracking_number": False}
            for picking in pickings
        ]

    def logistics_sync_get_tracking_link(self, picking):
        return picking.logistics_tracking_url or False

    def logistics_sync_cancel_shipment(self, pickings):
        endpoint = self._logistics_endpoint()
        client = endpoint._carrier_client()
        for picking in pickings:
            # a booking the carrier stored but whose answer was lost is cancelled too;
            # nothing is written on the transfer before the carrier answered (no
            # lock on it while the carrier is called)
            booking = picking._logistics_recovered_booking()
            if not booking:
                continue
            shipment_id = booking["shipment_id"]
            try:
                client.cancel(shipment_id)
            except CarrierError as exc:
                raise UserError(
                    self.env._(
                        "The carrier refused to cancel %(picking)s: %(error)s",
                        picking=picking.name,
                        error=exc.message,
                    )
                ) from None
            # stock.picking.cancel_shipment() posts Odoo's own note and clears the
            # tracking reference.  The carrier confirmed the cancellation: only now
            # may a new shipping book anew, with a new key.
            picking.write(
                {
                    "logistics_booking_state": "cancelled",
                    "logistics_carrier_shipment_id": False,
                    "logistics_booking_key": False,
                    "logistics_tracking_url": False,
                    "logistics_label_id": False,
                }
            )
            picking.message_post(
                body=self.env._(
                    "Shipment %(ref)s cancelled at the carrier.",
                    ref=shipment_id,
                )
            )

    def logistics_sync_get_return_label(self, pickings, tracking_number=None, origin_date=None):
        endpoint = self._logistics_endpoint()
        client = endpoint._carrier_client()
        if endpoint.carrier_protocol == "karrio":
            for picking in pickings:
                self._logistics_karrio_return_label(endpoint, client, picking)
            return True
        for picking in pickings:
            shipment_id = picking.logistics_carrier_shipment_id or (
                picking.return_id.logistics_carrier_shipment_id
                if "return_id" in picking._fields
                else False
            )
            if not shipment_id:
                raise UserError(
                    self.env._("%(picking)s has no carrier booking.", picking=picking.name)
                )
            try:
                pdf = client.return_label(shipment_id)
            except CarrierError as exc:
                raise UserError(
                    self.env._("No return label from the carrier: %(error)s", error=exc.message)
                ) from None
            picking.message_post(
                body=self.env._("Return label from the carrier."),
                attachments=[(f"{self.get_return_label_prefix()}-{picking.name}.pdf", pdf)],
            )
        return True

    def _logistics_karrio_return_label(self, endpoint, client, picking):
        """A karrio carrier's return shipment for the delivery ``picking`` is (or that
        the return transfer ``picking`` returns): one label per parcel, attached to
        ``picking``, made once per delivery."""
        delivery = picking if picking.picking_type_code == "outgoing" else picking.return_id
        if not delivery or delivery.state != "done" or not delivery.carrier_tracking_ref:
            raise UserError(
                self.env._(
                    "%(picking)s: a return label is made for a delivery that was shipped "
                    "with the carrier (done, with its tracking number), or for its return.",
                    picking=picking.name,
                )
            )
        if delivery.logistics_return_state == "done":
            raise UserError(
                self.env._(
                    "%(delivery)s already has its return label (tracking %(ref)s): it is "
                    "not made twice.",
                    delivery=delivery.name,
                    ref=delivery.logistics_return_ref,
                )
            )
        if delivery.logistics_return_state == "uncertain":
            raise UserError(
                self.env._(
                    "%(delivery)s: the carrier's answer to the return label was lost; it "
                    "may have made it. Look it up at the carrier (reference %(ref)s) "
                    "instead of asking again.",
                    delivery=delivery.name,
                    ref=delivery.name,
                )
            )
        payload = delivery._logistics_shipment_payload(endpoint, client)
        key = f"{delivery.logistics_booking_key or delivery.name}-return"
        try:
            result = client.book_return(payload, key)
        except karrio_adapter.UncertainCarrierError as exc:
            message = exc.message
            record_outside(
                self.env,
                lambda env: env["stock.picking"]
                .browse(delivery.id)
                ._logistics_return_uncertain(message),
            )
            raise UserError(
                self.env._(
                    "The carrier's answer to the return label was lost: %(error)s. It may "
                    "have made it: look it up at the carrier before anything else.",
                    error=message,
                )
            ) from None
        except CarrierError as exc:
            raise UserError(
                self.env._("No return label from the carrier: %(error)s", error=exc.message)
            ) from None
        prefix = self.get_return_label_prefix()
        labels = result["labels"]
        attachments = [
            (
                f"{prefix}-{picking.name}-{label['parcel']}.{label['format'].lower()}"
                if len(labels) > 1
                else f"{prefix}-{picking.name}.{label['format'].lower()}",
                label["data"],
            )
            for label in labels
        ]
        delivery.write(
            {"logistics_return_state": "done", "logistics_return_ref": result["tracking_number"]}
        )
        picking.message_post(
            body=self.env._(
                "Return label from the carrier: tracking %(ref)s, %(count)s label(s).",
                ref=result["tracking_number"],
                count=len(labels),
            ),
            attachments=attachments,
        )

    def _logistics_label_attachment(self, picking, pdf):
        return self.env["ir.attachment"].create(
            {
                "name": f"{self._get_delivery_label_prefix()}-{picking.name}.pdf",
                "datas": base64.b64encode(pdf),
                "mimetype": "application/pdf",
                "res_model": "stock.picking",
                "res_id": picking.id,
            }
        )
