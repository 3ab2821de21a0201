# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A transfer of a 3PL warehouse released to its 3PL: one record per transfer, one
version per change sent (a shipping order for a delivery, a receipt advice for
a receipt).

The same machinery as the TMS releases (``logistics_sync_tms``), shared in base's
``logistics.release.mixin``: a change of the transfer bumps ``change_seq`` and
queues the release's sync job; the job
serialises the calls of one release with an advisory lock (``lib.locks.claim``),
stores the request in flight before the call and sends the next change after
it, so versions and a cancellation reach the 3PL in order.  Sending is in
``logistics_tpl_release_sync.py``; confirmations in
``logistics_tpl_release_confirm.py``.
"""

from odoo import api, fields, models

STATES = [
    ("queued", "Queued"),
    ("blocked", "Release blocked"),
    ("sent", "Sent"),
    ("confirmed", "Confirmed by the 3PL"),
    ("cancelled", "Cancelled"),
]


def _rfc3339(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


class LogisticsTplRelease(models.Model):
    _name = "logistics.tpl.release"
    _inherit = ["logistics.release.mixin"]
    _description = "Logistics Sync 3PL document"
    _order = "id desc"
    _check_company_auto = True
    _release_closed_states = ("cancelled", "confirmed")

    name = fields.Char(string="Document", required=True, index=True, readonly=True)
    # picking_id, company_id, the version and the request in flight: base's
    # logistics.release.mixin (the same columns as before; labels kept here)
    endpoint_id = fields.Many2one(string="3PL")
    warehouse_id = fields.Many2one(
        "stock.warehouse", string="Warehouse", readonly=True, check_company=True
    )
    document_type = fields.Selection(
        [("shipping_order", "Shipping order"), ("receipt_advice", "Receipt advice")],
        string="Document type",
        required=True,
        readonly=True,
    )
    state = fields.Selection(STATES, default="queued", required=True, index=True, readonly=True)
    sent_version = fields.Integer(help="The last version the 3PL stored.")
    pending_op = fields.Selection(
        [("send", "Send a version"), ("cancel", "Cancel")], string="Call in flight", readonly=True
    )
    last_document = fields.Text(string="Last document sent", readonly=True)
    confirmation_event_id = fields.Many2one(
        "logistics.event", string="Confirmation", readonly=True, ondelete="set null"
    )
    confirmation_payload = fields.Text(
        string="Confirmation applied",
        readonly=True,
        help="The lines and packages of the confirmation applied (JSON): a correction is "
        "compared with it.",
    )
    confirmation_hash = fields.Char(readonly=True)
    confirmed_at = fields.Datetime(string="Confirmed", readonly=True)
    package_ids = fields.One2many("logistics.tpl.package", "release_id", string="Packages")

    _sql_constraints = [
        ("picking_unique", "unique(picking_id)", "A transfer has one 3PL document."),
    ]

    # ------------------------------------------------------------ the document
    def _document(self, version):
        """The document of this release's transfer as it is now
        (``schemas/shipping_order_v1.json`` or ``schemas/receipt_advice_v1.json``)."""
        self.ensure_one()
        picking = self.picking_id
        lines = []
        for move in picking.move_ids.sorted("id"):
            if move.state == "cancel" or not move.product_uom_qty:
                continue
            product = move.product_id
            lines.append(
                {
                    "line_id": move.id,
                    "sku": product.default_code or "",
                    "product": product.display_name,
                    "quantity": move.product_uom_qty,
                    "unit": move.product_uom.name,
                    "tracking": product.tracking or "none",
                }
            )
        partner = picking.partner_id
        doc = {
            "schema_version": 1,
            "document_type": self.document_type,
            "document_id": self.name,
            "version": version,
            "warehouse": self.warehouse_id.code,
            "party": self._party(partner),
            "references": {
                "order": (picking.group_id.name if picking.group_id else None) or None,
                "customer_reference": None,
                "origin": picking.origin or None,
            },
            "lines": lines,
        }
        moment = _rfc3339(picking.scheduled_date)
        if self.document_type == "shipping_order":
            doc["scheduled_date"] = moment
            doc["carrier"] = picking.carrier_id.name if picking.carrier_id else None
        else:
            doc["expected_date"] = moment
        return doc

    @api.model
    def _party(self, partner):
        if not partner:
            return {}
        doc = {
            "name": partner.name or partner.commercial_partner_id.name or "",
            "street": partner.street or None,
            "street2": partner.street2 or None,
            "city": partner.city or None,
            "state": partner.state_id.code or None,
            "zip": partner.zip or None,
            "country": partner.country_id.code or None,
            "phone": partner.phone or None,
            "email": partner.email or None,
        }
        return {k: v for k, v in doc.items() if v != ""}

    # ------------------------------------------------------------ changes
    def _tpl_touch(self):
        """The transfer changed: a new version follows, in order."""
        self._release_touch()

    def _tpl_request_cancel(self):
        self._release_request_cancel()

    def _release_enqueue(self):
        self._tpl_enqueue()

    def _tpl_enqueue(self):
        """One sync job per release at a time, on its endpoint's channel."""
        for release in self:
            endpoint = release.endpoint_id
            release.with_delay(
                channel=endpoint.channel_name,
                max_retries=endpoint.max_attempts,
                identity_key=f"logistics_sync-3pl-release-{release.id}",
                description=f"Logistics Sync: 3PL document {release.name} ({endpoint.code})",
            )._job_tpl_sync()

    # ------------------------------------------------------------ actions
    def action_tpl_retry(self):
        """Button: send this document again now."""
        self.write({"exception": False, "exception_reason": False})
        self._tpl_enqueue()
        return True

    def _release_alert(self, summary, note):
        self._tpl_alert(summary, note)

    def _tpl_alert(self, summary, note):
        """An exception activity on the transfer for the endpoint's responsible."""
        for release in self:
            # sudo: raised by pipeline jobs whatever their user's rights on the transfer
            release.picking_id.sudo().activity_schedule(
                "logistics_sync_base.mail_activity_logistics_exception",
                summary=summary,
                note=note,
                user_id=release.endpoint_id._responsible_users()[:1].id,
            )
