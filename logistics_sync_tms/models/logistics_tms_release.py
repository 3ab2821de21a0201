# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A transfer released to a TMS: one record per transfer, one version per change sent.

The release follows its transfer: a change (quantity, dates, address, a cancel)
bumps ``change_seq`` on this row and queues its sync job; the job holds this row's
lock while it calls the TMS, so changes and calls of one transfer are serialised
(a change made while a call is in flight waits for it, and a cancel never
overtakes the release it cancels).  See ``logistics_tms_release_sync.py``.
"""

from odoo import api, fields, models
from odoo.tools import html2plaintext

from odoo.addons.logistics_sync_base.fields import BigInteger

STATES = [
    ("draft", "Draft"),
    ("blocked", "Release blocked"),
    ("queued", "Queued"),
    ("sent", "Sent (waiting for the TMS)"),
    ("accepted", "Accepted"),
    ("rejected", "Rejected"),
    ("planned", "Planned"),
    ("cancelled", "Cancelled"),
]


def _rfc3339(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


class LogisticsTmsRelease(models.Model):
    _name = "logistics.tms.release"
    _inherit = ["logistics.release.mixin"]
    _description = "Logistics Sync TMS release"
    _order = "id desc"
    _check_company_auto = True
    _release_requeue_states = ("draft", "blocked")

    name = fields.Char(string="Release", required=True, index=True, readonly=True)
    # picking_id, company_id, the version and the request in flight: base's
    # logistics.release.mixin (the same columns as before; labels kept here)
    endpoint_id = fields.Many2one(string="TMS")
    sale_id = fields.Many2one(related="picking_id.sale_id", string="Sales order")
    state = fields.Selection(STATES, default="draft", required=True, index=True, readonly=True)
    version = fields.Integer(help="The last version of the request sent or in flight.")
    sent_version = fields.Integer(help="The last version the TMS stored.")
    sent_hash = fields.Char(string="Sent request hash")
    pending_op = fields.Selection(
        [("create", "Create"), ("update", "Update"), ("cancel", "Cancel")],
        string="Call in flight",
        readonly=True,
    )
    last_key = fields.Char(string="Last idempotency key", readonly=True)
    tms_ref = fields.Char(string="TMS shipment", readonly=True, index="btree_not_null")
    load_ref = fields.Char(string="Load", readonly=True)
    planned_cost = fields.Text(
        readonly=True,
        help="The TMS's planned cost of this shipment (JSON: currency, lines of "
        "charge_type and amount), as its last planned answer gave it.",
    )
    tracking_ref = fields.Char(string="Tracking number", readonly=True)
    carrier_code = fields.Char(string="Carrier", readonly=True)
    planned_pickup_start = fields.Datetime(string="Planned pickup from", readonly=True)
    planned_pickup_end = fields.Datetime(string="Planned pickup until", readonly=True)
    planned_delivery_start = fields.Datetime(string="Planned delivery from", readonly=True)
    planned_delivery_end = fields.Datetime(string="Planned delivery", readonly=True)
    answer_version = fields.Integer(string="Answered version", readonly=True)
    answer_rank = fields.Integer(string="Answer rank", readonly=True)
    answer_sequence = BigInteger(
        string="Answer sequence",
        readonly=True,
        help="The TMS's sequence number of the last answer applied: a later planned "
        "answer for the same version is a re-plan.",
    )
    rejection_reason = fields.Text(string="Rejection reason", readonly=True)
    ack_deadline = fields.Datetime(
        string="Answer expected by", readonly=True, index="btree_not_null"
    )
    ack_alerted = fields.Boolean(string="No-answer alert sent", readonly=True)

    _sql_constraints = [
        ("picking_unique", "unique(picking_id)", "A transfer has one TMS release."),
    ]

    def _check_company(self, fnames=None):
        """Odoo's check, set-based: ``company_id`` is the transfer's (related), so
        the transfer always matches it; any other linked record (the endpoint) is
        checked once per distinct company and value, not once per release (a batch
        window creates hundreds of releases of one endpoint at once)."""
        if fnames is None or {"company_id", "company_ids"} & set(fnames):
            fnames = self._fields
        names = [
            name
            for name in fnames
            if name != "picking_id"
            and self._fields[name].relational
            and self._fields[name].check_company
        ]
        if not names:
            return
        firsts = {}
        for release in self:
            key = (release.company_id.id, *(tuple(release[name].ids) for name in names))
            firsts.setdefault(key, release.id)
        super(LogisticsTmsRelease, self.browse(list(firsts.values())))._check_company(names)

    # ------------------------------------------------------------ the request
    def _tms_prefetch_request(self):
        """Read what ``_request`` needs for all of these releases, only those
        columns, one query per model (a transfer, a partner or a product read
        field by field fetches every column of its wide table)."""

        def fetch(records, names):
            known = records._fields
            records.fetch([n for n in names if n in known and known[n].is_accessible(records.env)])

        pickings = self.picking_id
        fetch(
            pickings,
            [
                "name",
                "state",
                "partner_id",
                "sale_id",
                "picking_type_id",
                "company_id",
                "scheduled_date",
                "date_deadline",
                "note",
                "move_ids",
            ],
        )
        fetch(pickings.sale_id, ["name", "client_order_ref", "incoterm"])
        fetch(pickings.picking_type_id, ["warehouse_id"])
        warehouses = pickings.picking_type_id.warehouse_id
        fetch(warehouses, ["partner_id", "tms_pickup_hour_from", "tms_pickup_hour_to"])
        # the shipper: the warehouse's address, else the company's
        companies = pickings.filtered(
            lambda p: not p.picking_type_id.warehouse_id.partner_id
        ).company_id
        fetch(companies, ["partner_id"])
        partners = warehouses.partner_id | companies.partner_id | pickings.partner_id
        fetch(
            partners,
            [
                "name",
                "commercial_partner_id",
                "street",
                "street2",
                "city",
                "zip",
                "state_id",
                "country_id",
                "phone",
                "email",
                "tz",
                "tms_delivery_hour_from",
                "tms_delivery_hour_to",
            ],
        )
        fetch(partners.state_id, ["code"])
        fetch(partners.country_id, ["code"])
        moves = pickings.move_ids
        fetch(moves, ["state", "product_uom_qty", "product_qty", "product_id", "product_uom"])
        fetch(moves.product_uom, ["name"])
        products = moves.product_id
        fetch(products, ["default_code", "product_tmpl_id", "weight", "volume", "hs_code"])
        fetch(
            products.product_tmpl_id,
            [
                "name",
                "hs_code",
                "logistics_un_number",
                "logistics_hazard_class",
                "logistics_packing_group",
            ],
        )

    def _request(self, version):
        """The shipment request of this release's transfer as it is now
        (``static/schemas/tms_shipment_request_v1.json``)."""
        self.ensure_one()
        picking = self.picking_id
        sale = picking.sale_id
        warehouse = picking.picking_type_id.warehouse_id
        shipper = warehouse.partner_id or picking.company_id.partner_id
        lines, total_weight, total_volume = [], 0.0, 0.0
        for move in picking.move_ids:
            if move.state == "cancel" or not move.product_uom_qty:
                continue
            product = move.product_id
            quantity = move.product_qty  # in the product's unit: its weight is per unit
            weight = round((product.weight or 0.0) * quantity, 3)
            volume = round((product.volume or 0.0) * quantity, 4)
            total_weight += weight
            total_volume += volume
            lines.append(
                {
                    "sku": product.default_code or None,
                    "product": product.name,
                    "quantity": move.product_uom_qty,
                    "unit": move.product_uom.name,
                    "weight_kg": weight,
                    "volume_m3": volume or None,
                    "hs_code": (product["hs_code"] if "hs_code" in product._fields else None)
                    or None,
                    **self._dangerous_goods(product.product_tmpl_id),
                }
            )
        doc = {
            "schema_version": 1,
            "release_id": self.name,
            "version": version,
            "shipper": self._party(shipper),
            "consignee": self._party(picking.partner_id),
            "references": {
                "order": sale.name or None,
                "transfer": picking.name,
                "customer_reference": sale.client_order_ref or None,
            },
            "lines": lines,
            "packages": [],
            "total_weight_kg": round(total_weight, 3),
            "total_volume_m3": round(total_volume, 4) or None,
            "incoterm": (sale.incoterm.code if sale and "incoterm" in sale._fields else None)
            or None,
            "service_level": self.endpoint_id.tms_service_level or "standard",
            "instructions": (html2plaintext(picking.note) if picking.note else None) or None,
        }
        # windows: the endpoint's lengths, or the warehouse's and the customer's hours
        for key, span in (
            ("pickup_window", picking._tms_pickup_window(self.endpoint_id)),
            ("delivery_window", picking._tms_delivery_window(self.endpoint_id)),
        ):
            if span:
                doc[key] = {"start": _rfc3339(span[0]), "end": _rfc3339(span[1])}
        return doc

    @api.model
    def _dangerous_goods(self, template):
        """The line's dangerous goods, from the product (UN number, hazard class,
        packing group; ``dangerous_goods`` false without a UN number)."""
        return {
            "dangerous_goods": bool(template.logistics_un_number),
            "un_number": template.logistics_un_number or None,
            "hazard_class": template.logistics_hazard_class or None,
            "packing_group": template.logistics_packing_group or None,
        }

    @api.model
    def _party(self, partner):
        if not partner:
            return {}
        doc = {
            "name": partner.name or partner.commercial_partner_id.name or "",
            "street": partner.street or "",
            "street2": partner.street2 or None,
            "city": partner.city or "",
            "zip": partner.zip or None,
            "state": partner.state_id.code or None,
            "country": partner.country_id.code or "",
            "contact": {
                "name": partner.name or None,
                "phone": partner.phone or None,
                "email": partner.email or None,
            },
        }
        # empty strings fail the schema's minLength: the reason names the field
        return {k: v for k, v in doc.items() if v != ""}

    # ------------------------------------------------------------ changes
    def _tms_touch(self):
        """The transfer changed (or was cancelled): a new version follows, in order."""
        self._release_touch()

    def _tms_request_cancel(self):
        self._release_request_cancel()

    def _tms_identity(self):
        return f"logistics_sync-tms-release-{self.id}"

    def _release_enqueue(self):
        self._tms_enqueue()

    def _tms_enqueue(self):
        """One sync job per release at a time, on its endpoint's channel."""
        for release in self:
            endpoint = release.endpoint_id
            release.with_delay(
                channel=endpoint.channel_name,
                max_retries=endpoint.max_attempts,
                identity_key=release._tms_identity(),
                description=f"Logistics Sync: TMS release {release.name} ({endpoint.code})",
            )._job_tms_sync()

    # ------------------------------------------------------------ actions
    def action_tms_retry(self):
        """Button: send this release again now (same version and key when one is in flight)."""
        self.write({"ack_alerted": False})
        self._tms_enqueue()
        return True

    # ------------------------------------------------------------ exceptions
    def _release_alert(self, summary, note):
        self._tms_alert(summary, note)

    def _tms_alert(self, summary, note):
        """An exception activity on the transfer for the endpoint's responsible."""
        for release in self:
            release.picking_id.activity_schedule(
                "logistics_sync_base.mail_activity_logistics_exception",
                summary=summary,
                note=note,
                user_id=release.endpoint_id._responsible_users()[:1].id,
            )

    @api.model
    def _cron_tms_ack_timeout(self, limit=200):
        """Releases the TMS did not answer within the endpoint's deadline: one
        exception activity each (once).  Endpoint by endpoint (up to ``limit``
        releases each): one that fails never stops the others (``_cron_each``)."""
        domain = [
            ("state", "=", "sent"),
            ("ack_alerted", "=", False),
            ("ack_deadline", "<", fields.Datetime.now()),
        ]
        endpoints = self.env["logistics.endpoint"].browse(
            [endpoint.id for (endpoint,) in self._read_group(domain, ["endpoint_id"])]
        )
        alerted = self.browse()

        def alert(endpoint):
            nonlocal alerted
            late = self.search(
                domain + [("endpoint_id", "=", endpoint.id)], limit=limit, order="ack_deadline"
            )
            for release in late:
                reason = self.env._(
                    "No answer from %(tms)s since %(sent)s (deadline %(deadline)s).",
                    tms=endpoint.name,
                    sent=release.sent_at,
                    deadline=release.ack_deadline,
                )
                release.write(
                    {"ack_alerted": True, "exception": True, "exception_reason": reason[:250]}
                )
                # stored before anyone is told: a write that fails notifies nobody
                release.flush_recordset()
                release.picking_id.message_post(body=reason)
                release._tms_alert(
                    self.env._("TMS did not answer: %(ref)s", ref=release.name), reason
                )
            alerted |= late

        done = endpoints._cron_each("tms_ack_timeout", self.env._("TMS answer deadline"), alert)
        alerted = alerted.filtered(lambda r: r.endpoint_id in done)
        self.env["ir.cron"]._notify_progress(done=len(alerted), remaining=0)
        return len(alerted)
