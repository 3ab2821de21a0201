# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.tools import SQL

from ..lib.audit import merge_distributions


class StockPicking(models.Model):
    _inherit = "stock.picking"

    freight_expected_id = fields.One2many(
        "logistics.freight.expected", "picking_id", string="Expected freight cost"
    )
    freight_charge_ids = fields.One2many(
        "logistics.freight.charge", "picking_id", string="Freight charges"
    )

    # ------------------------------------------------------------ expected cost
    def _freight_expected_cost_sources(self):
        """Methods giving this transfer's expected cost, best first.

        Each takes no argument and returns None or {"source", "currency", "date",
        "lines": [(charge type, amount)]}. Another addon puts its own in front
        (``logistics_sync_freight_tms``: the TMS's planned cost of the load)."""
        return ["_freight_expected_from_booking", "_freight_expected_from_rate"]

    def _freight_expected_from_booking(self):
        self.ensure_one()
        booking = (
            self.env["logistics.carrier.booking"]
            .sudo()  # the booking answer is technical; only its price and date are read
            .search([("picking_id", "=", self.id)], order="id desc", limit=1)
        )
        if not booking or not booking.price:
            return None
        currency = (
            self.env["res.currency"].search(
                [("name", "=", (booking.currency or "").upper())], limit=1
            )
            or self.company_id.currency_id
        )
        return {
            "source": "booking",
            "currency": currency,
            "date": booking.create_date.date(),
            "lines": [(self.env.ref("logistics_sync_freight.charge_type_base"), booking.price)],
        }

    def _freight_expected_from_rate(self):
        self.ensure_one()
        if not self.carrier_id or not self.carrier_price:
            return None
        return {
            "source": "rate",
            "currency": self.company_id.currency_id,
            "date": (self.date_done or fields.Datetime.now()).date(),
            "lines": [
                (self.env.ref("logistics_sync_freight.charge_type_base"), self.carrier_price)
            ],
        }

    def _freight_expected(self):
        """The frozen expected cost, frozen now from the best source when absent."""
        self.ensure_one()
        Expected = self.env["logistics.freight.expected"].sudo()  # finance users freeze it
        if self.freight_expected_id:
            return self.freight_expected_id[:1]
        for method in self._freight_expected_cost_sources():
            values = getattr(self, method)()
            if values:
                return Expected._freeze(self, values)
        return Expected

    def _logistics_booking_done(self, label, labels=None):
        result = super()._logistics_booking_done(label, labels=labels)
        for picking in self:
            values = picking._freight_expected_from_booking()
            if values:
                self.env["logistics.freight.expected"].sudo()._freeze(picking, values)
        return result

    # ------------------------------------------------------------ matching
    @api.model
    def _freight_match_domains(self, refs):
        """Extra domains (after name, external reference and tracking number) that
        find transfers for carrier references: [(domain, field giving the ref)].
        None here; ``logistics_sync_freight_tms`` adds the TMS load number."""
        return []

    @api.model
    def _freight_find_many(self, company, refs):
        """{reference: transfer id} for carrier references in ``company``: the
        transfer's name, its external reference, its tracking number, then the
        domains of ``_freight_match_domains``. One query per kind of reference
        (``= ANY(array)``: the index, whatever the number of references)."""
        refs = {ref for ref in refs if ref}
        found = {}
        self.flush_model(["name", "logistics_external_ref", "carrier_tracking_ref", "company_id"])
        for column in ("name", "logistics_external_ref", "carrier_tracking_ref"):
            left = sorted(refs - set(found))
            if not left:
                return found
            self.env.cr.execute(
                SQL(
                    "SELECT %s, id FROM stock_picking WHERE company_id = %s AND %s = ANY(%s)"
                    " ORDER BY id",
                    SQL.identifier(column),
                    company.id,
                    SQL.identifier(column),
                    left,
                )
            )
            for ref, picking_id in self.env.cr.fetchall():
                found.setdefault(ref, picking_id)
        for domain, field_name in self._freight_match_domains(refs - set(found)):
            left = refs - set(found)
            if not left:
                break
            for row in self.search_read(
                [("company_id", "=", company.id)] + domain, [field_name], order="id"
            ):
                if row[field_name] in left:
                    found.setdefault(row[field_name], row["id"])
        return found

    # ------------------------------------------------------------ audit at validation
    def _action_done(self):
        result = super()._action_done()
        # the expected cost is frozen at validation (the booking price, the TMS's
        # planned cost or the delivery method's rate of now), so that the period-end
        # accrual knows it before any carrier invoice; sudo: the warehouse user
        # validating does not read freight costs, the freeze is finance's
        for picking in self.sudo().filtered(
            lambda p: p.state == "done" and p.carrier_id and not p.freight_expected_id
        ):
            picking._freight_expected()
        charges = (
            self.env["logistics.freight.charge"]
            .sudo()
            .search([("picking_id", "in", self.ids), ("state", "=", "waiting")])
        )
        if charges:
            # the charges that waited for these transfers are audited now
            # (sudo: the user validating is a warehouse user, not finance)
            charges._freight_audit()
        return result

    def _freight_analytic_distribution(self):
        self.ensure_one()
        lines = self.sale_id.order_line
        return merge_distributions(
            [(line.analytic_distribution, line.price_subtotal) for line in lines]
        )
