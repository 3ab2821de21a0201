# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Advance ship notices from suppliers (``tpl_inbound_asn`` events,
``schemas/tpl_inbound_asn_v1.json``): attached to the supplier's open receipt of
the purchase order before it arrives.

The supplier is the partner whose *ASN endpoint* signed the event; the receipt is
that supplier's oldest open receipt whose Source Document is the event's
``shipment_ref``.  Every check runs before the first write (``lib.confirmation
.plan``: product on the receipt, quantity within what is ordered, lots only on
tracked products, serial numbers once; SSCC check digits): a notice is attached
whole or refused whole (dead letter).  Attached, it replaces any earlier notice of
that receipt, pre-fills the receipt's detailed operations (quantities, lots or
serial numbers, their expiry dates where Odoo tracks them), and its expected
arrival becomes the receipt's scheduled date.
"""

from markupsafe import Markup

from odoo import Command, api, fields, models

from ..lib import confirmation, documents, sscc
from odoo.addons.logistics_sync_base.lib.canonical import parse_rfc3339
from odoo.addons.logistics_sync_base.lib.errors import PermanentEventError

OVER_ORDERED = ("quantity over ordered of", "announced", "ordered")
CONTENT_KEYS = ("asn_id", "expected_at", "carrier", "tracking_ref", "packages", "lines")


class LogisticsTplInboundAsn(models.Model):
    _name = "logistics.tpl.inbound.asn"
    _description = "Logistics Sync supplier advance ship notice"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="ASN number", required=True, readonly=True)
    picking_id = fields.Many2one(
        "stock.picking", string="Receipt", required=True, readonly=True, ondelete="cascade"
    )
    partner_id = fields.Many2one("res.partner", string="Supplier", readonly=True)
    order_ref = fields.Char(
        string="Purchase order", readonly=True, help="The order reference the supplier gave."
    )
    endpoint_id = fields.Many2one(
        "logistics.endpoint",
        string="Received from",
        readonly=True,
        ondelete="restrict",
        groups="logistics_sync_base.group_logistics_sync_user",
    )
    event_id = fields.Many2one(
        "logistics.event",
        string="Event",
        readonly=True,
        ondelete="set null",
        groups="logistics_sync_base.group_logistics_sync_user",
    )
    company_id = fields.Many2one(related="picking_id.company_id", store=True, index=True)
    expected_date = fields.Datetime(string="Expected arrival", readonly=True)
    carrier = fields.Char(string="Carrier", readonly=True)
    tracking_ref = fields.Char(string="Tracking number", readonly=True)
    package_count = fields.Integer(
        string="Packages", readonly=True, help="How many packages (SSCC) the supplier announced."
    )
    content_hash = fields.Char(
        string="Content digest",
        readonly=True,
        help="Digest of the notice's content: the same notice again changes nothing.",
    )
    line_ids = fields.One2many("logistics.tpl.inbound.asn.line", "asn_id", string="Lines")

    _sql_constraints = [
        ("picking_unique", "unique(picking_id)", "A receipt has one supplier notice.")
    ]

    @api.model
    def _tpl_from_event(self, event, data):
        """Attach the notice ``data`` (the typed payload of ``event``); returns
        ``("applied" | "superseded", receipt)``.  sudo: the pipeline's own records
        (the receipt must be one of the signing supplier's)."""
        receipt = self._tpl_receipt_for(event, data)
        content = {key: data.get(key) for key in CONTENT_KEYS}
        digest = documents.fingerprint(content)
        asn = self.sudo().search([("picking_id", "=", receipt.id)])
        if asn.content_hash == digest:
            return "superseded", receipt
        moves = receipt.move_ids.filtered(lambda m: m.state not in ("done", "cancel")).sorted("id")
        allocations = self._tpl_plan(event, data, moves)
        # every check passed: from here on, writes only
        by_id = {move.id: move for move in moves}
        expected = parse_rfc3339(data["expected_at"]).replace(tzinfo=None)
        vals = {
            "name": data["asn_id"],
            "partner_id": receipt.partner_id.commercial_partner_id.id,
            "order_ref": event.shipment_ref,
            "endpoint_id": event.endpoint_id.id,
            "event_id": event.id,
            "expected_date": expected,
            "carrier": data.get("carrier") or False,
            "tracking_ref": data.get("tracking_ref") or False,
            "package_count": len(self._tpl_ssccs(data)),
            "content_hash": digest,
            "line_ids": [Command.clear()]
            + [
                Command.create(
                    {
                        "product_id": by_id[alloc["line_id"]].product_id.id,
                        "quantity": alloc["quantity"],
                        "lot_name": alloc["lot"] or False,
                        "expiry_date": alloc["expiry_date"] or False,
                        "sscc": alloc["package"] or False,
                    }
                )
                for alloc in allocations
                if alloc["quantity"] > 0
            ],
        }
        if asn:
            asn.write(vals)
        else:
            asn = self.sudo().create(dict(vals, picking_id=receipt.id))
        receipt._tpl_prefill_from_asn(allocations, by_id)
        receipt.write({"scheduled_date": expected})
        receipt.message_post(
            body=Markup("%s")
            % self.env._(
                "Supplier notice %(asn)s: %(units)s units in %(packages)s packages expected "
                "on %(date)s; the detailed operations are pre-filled from it.",
                asn=asn.name,
                units=f"{sum(line.quantity for line in asn.line_ids):g}",
                packages=asn.package_count,
                date=data["expected_at"],
            ),
            author_id=self.env.ref("base.partner_root").id,
        )
        return "applied", receipt

    @api.model
    def _tpl_receipt_for(self, event, data):
        endpoint = event.endpoint_id
        suppliers = (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .search([("tpl_asn_endpoint_id", "=", endpoint.id)])
        )
        if not suppliers:
            raise PermanentEventError(
                self.env._(
                    "Supplier notice %(asn)s refused: endpoint %(endpoint)s is no supplier's "
                    "ASN endpoint.",
                    asn=data["asn_id"],
                    endpoint=endpoint.name,
                )
            )
        receipts = (
            self.env["stock.picking"]
            .sudo()
            .search(
                [
                    ("picking_type_code", "=", "incoming"),
                    ("origin", "=", event.shipment_ref),
                    ("partner_id", "child_of", suppliers.commercial_partner_id.ids),
                    ("company_id", "=", event.company_id.id),
                ],
                order="id",
            )
        )
        receipt = receipts.filtered(lambda p: p.state not in ("draft", "done", "cancel"))[:1]
        if not receipt:
            raise PermanentEventError(
                self.env._(
                    "Supplier notice %(asn)s refused: no open receipt of purchase order "
                    "%(ref)s from %(supplier)s%(why)s.",
                    asn=data["asn_id"],
                    ref=event.shipment_ref,
                    supplier=", ".join(suppliers.commercial_partner_id.mapped("name")),
                    why=self.env._(" (received or cancelled already)") if receipts else "",
                )
            )
        return receipt

    @api.model
    def _tpl_ssccs(self, data):
        codes = [p["sscc"] for p in data.get("packages") or []]
        codes += [row["sscc"] for row in data["lines"] if row.get("sscc")]
        return list(dict.fromkeys(codes))

    @api.model
    def _tpl_plan(self, event, data, moves):
        lines = [
            {
                "line_id": move.id,
                "sku": move.product_id.default_code or "",
                "quantity": move.product_uom_qty,
                "tracking": move.product_id.tracking or "none",
            }
            for move in moves
        ]
        rows = [
            {
                "sku": row["sku"],
                "quantity": row["quantity"],
                "lot": row.get("lot"),
                "expiry_date": row.get("expiry_date"),
                "package": row.get("sscc"),
            }
            for row in data["lines"]
        ]
        # packages named only on rows are packages too
        packages = data.get("packages") or [{"sscc": code} for code in self._tpl_ssccs(data)]
        reasons = [
            f"package {code} has no valid SSCC-18 check digit"
            for code in self._tpl_ssccs(data)
            if not sscc.is_valid(code)
        ]
        try:
            allocations = confirmation.plan(
                lines, rows, packages, lots_required=False, over=OVER_ORDERED
            )
        except confirmation.ConfirmationError as exc:
            reasons += exc.reasons
        if reasons:
            raise PermanentEventError(
                self.env._(
                    "Supplier notice %(asn)s for %(ref)s refused, nothing attached: %(reasons)s",
                    asn=data["asn_id"],
                    ref=event.shipment_ref,
                    reasons="; ".join(reasons),
                )
            )
        return allocations
