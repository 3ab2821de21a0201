# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The audit: charges against the expected cost, set-based (read, decide, write)."""

from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

from ..lib import audit


class LogisticsFreightCharge(models.Model):
    _inherit = "logistics.freight.charge"  # pylint: disable=consider-merging-classes-inherited

    def _freight_audit(self):
        """Audit pending or waiting charges of known transfers.

        Open transfer: the charge waits (audited when the transfer is validated).
        Done: approved within tolerance, disputed otherwise (reason, activity for
        the endpoint's responsible on the carrier invoice). Reads and writes are a
        few queries for any number of charges; the decisions are
        ``lib.audit.decide``."""
        if not self:
            return
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            SQL(
                """SELECT c.id, c.picking_id, p.state, c.charge_type_id, c.amount, c.currency_id,
                          c.company_id, c.partner_id, c.date, t.accessorial, c.invoice_id
                     FROM logistics_freight_charge c
                     JOIN stock_picking p ON p.id = c.picking_id
                     JOIN logistics_freight_charge_type t ON t.id = c.charge_type_id
                    WHERE c.id = ANY(%s) AND c.state IN ('pending', 'waiting')
                    ORDER BY c.id""",
                self.ids,
            )
        )
        rows = cr.fetchall()
        now = fields.Datetime.now()
        open_ids = [row[0] for row in rows if row[2] != "done"]
        if open_ids:
            cr.execute(
                SQL(
                    "UPDATE logistics_freight_charge SET state = 'waiting',"
                    " wait_reason = 'transfer_open', wait_until = NULL WHERE id = ANY(%s)",
                    open_ids,
                )
            )
        done = [row for row in rows if row[2] == "done"]
        if not done:
            self.invalidate_model()
            return
        keys = (
            "id",
            "picking_id",
            "picking_state",
            "charge_type_id",
            "amount",
            "currency_id",
            "company_id",
            "partner_id",
            "date",
            "accessorial",
            "invoice_id",
        )
        items = [dict(zip(keys, row, strict=True)) for row in done]
        decisions = self._freight_decide(items)
        cols = [
            [item["id"] for item in items],
            *[
                [decision[name] for decision in decisions]
                for name in (
                    "state",
                    "amount_company",
                    "expected_amount",
                    "variance",
                    "approved_amount",
                    "audit_reason",
                )
            ],
        ]
        cr.execute(
            SQL(
                """UPDATE logistics_freight_charge c
                      SET state = u.state, amount_company = u.amount_company,
                          expected_amount = u.expected, variance = u.variance,
                          approved_amount = u.approved, audit_reason = u.reason,
                          wait_reason = NULL, wait_until = NULL, audited_at = %s
                     FROM unnest(%s::int4[], %s::varchar[], %s::numeric[], %s::numeric[],
                                 %s::numeric[], %s::numeric[], %s::varchar[])
                          AS u(id, state, amount_company, expected, variance, approved, reason)
                    WHERE c.id = u.id""",
                now,
                *cols,
            )
        )
        disputed = defaultdict(list)
        for item, decision in zip(items, decisions, strict=True):
            if decision["state"] != "approved":
                disputed[item["invoice_id"]].append(decision["audit_reason"])
        self.invalidate_model()
        if disputed:
            self.env["logistics.freight.invoice"].sudo().browse(
                list(disputed)
            )._freight_dispute_alert(disputed)

    @api.model
    def _freight_decide(self, items):
        """Audit decisions for charges of done transfers, in order: ``items`` are
        dicts (picking_id, charge_type_id, amount, currency_id, company_id,
        partner_id, date, accessorial); returns one dict of audit values each.

        Amounts are compared in the company's currency at the booking date's rate;
        what earlier approved charges (and earlier items) took of the expected cost
        of a type is no longer expected."""
        picking_ids = sorted({item["picking_id"] for item in items})
        cr = self.env.cr
        Picking = self.env["stock.picking"].sudo()  # expected costs are frozen for finance
        cr.execute(
            SQL(
                "SELECT id FROM stock_picking p WHERE id = ANY(%s) AND NOT EXISTS"
                " (SELECT 1 FROM logistics_freight_expected e WHERE e.picking_id = p.id)",
                picking_ids,
            )
        )
        for (picking_id,) in cr.fetchall():
            Picking.browse(picking_id)._freight_expected()
        self.env.flush_all()
        expected, dates = self._freight_expected_map(picking_ids)
        consumed = self._freight_consumed_map(picking_ids)
        lanes = self._freight_lanes(picking_ids)
        rules = (
            self.env["logistics.freight.tolerance"]
            .sudo()
            ._rules_by_company({item["company_id"] for item in items})
        )
        rates, chosen, decisions = {}, {}, []
        Currency, Company = self.env["res.currency"], self.env["res.company"]
        now = fields.Datetime.now()
        for item in items:
            picking_id, type_id = item["picking_id"], item["charge_type_id"]
            company_id, partner_id = item["company_id"], item["partner_id"]
            rate_day = dates.get(picking_id) or item["date"]
            key = (item["currency_id"], company_id, rate_day)
            if key not in rates:
                company = Company.browse(company_id)
                rates[key] = Currency.browse(item["currency_id"])._convert(
                    1.0, company.currency_id, company, rate_day, round=False
                )
            amount = float(item["amount"])
            company_currency = Company.browse(company_id).currency_id
            amount_company = company_currency.round(amount * rates[key])
            left = None
            if (picking_id, type_id) in expected:
                left = max(
                    0.0, expected[(picking_id, type_id)] - consumed.get((picking_id, type_id), 0.0)
                )
            origin, dest = lanes.get(picking_id, (None, None))
            rule_key = (company_id, partner_id, type_id, origin, dest)
            if rule_key not in chosen:
                chosen[rule_key] = audit.best_rule(
                    rules[company_id], partner_id, type_id, origin, dest
                )
            state, reason = audit.decide(
                amount_company,
                left,
                chosen[rule_key],
                item["accessorial"],
                rounding=company_currency.rounding,
            )
            if state == "approved":
                consumed[(picking_id, type_id)] = consumed.get((picking_id, type_id), 0.0) + (
                    amount_company
                )
            decisions.append(
                {
                    "state": state,
                    "amount_company": amount_company,
                    "expected_amount": left or 0.0,
                    "variance": company_currency.round(amount_company - (left or 0.0)),
                    "approved_amount": amount if state == "approved" else 0.0,
                    "audit_reason": reason,
                    "audited_at": now,
                }
            )
        return decisions

    @api.model
    def _freight_expected_map(self, picking_ids):
        """({(transfer, charge type): expected in company currency}, {transfer: booking date})."""
        self.env.cr.execute(
            SQL(
                """SELECT e.picking_id, l.charge_type_id, sum(l.amount_company), min(e.date)
                     FROM logistics_freight_expected e
                     JOIN logistics_freight_expected_line l ON l.expected_id = e.id
                    WHERE e.picking_id = ANY(%s)
                 GROUP BY e.picking_id, l.charge_type_id""",
                picking_ids,
            )
        )
        expected, dates = {}, {}
        for picking_id, type_id, amount, day in self.env.cr.fetchall():
            expected[(picking_id, type_id)] = float(amount or 0.0)
            dates[picking_id] = day
        return expected, dates

    @api.model
    def _freight_consumed_map(self, picking_ids):
        """What approved and billed charges already took of the expected cost."""
        self.env.cr.execute(
            SQL(
                """SELECT picking_id, charge_type_id,
                          sum(CASE WHEN amount <> 0
                                   THEN amount_company * approved_amount / amount ELSE 0 END)
                     FROM logistics_freight_charge
                    WHERE picking_id = ANY(%s) AND state IN ('approved', 'short_paid', 'billed')
                      AND amount > 0
                 GROUP BY picking_id, charge_type_id""",
                picking_ids,
            )
        )
        return {(p, t): float(a or 0.0) for p, t, a in self.env.cr.fetchall()}

    @api.model
    def _freight_lanes(self, picking_ids):
        """{transfer: (origin country, destination country)}: the warehouse's
        address (else the company's) and the delivery address."""
        self.env.cr.execute(
            SQL(
                """SELECT p.id, COALESCE(wp.country_id, cp.country_id), dp.country_id
                     FROM stock_picking p
                     JOIN stock_picking_type pt ON pt.id = p.picking_type_id
                LEFT JOIN stock_warehouse w ON w.id = pt.warehouse_id
                LEFT JOIN res_partner wp ON wp.id = w.partner_id
                     JOIN res_company co ON co.id = p.company_id
                     JOIN res_partner cp ON cp.id = co.partner_id
                LEFT JOIN res_partner dp ON dp.id = p.partner_id
                    WHERE p.id = ANY(%s)""",
                picking_ids,
            )
        )
        return {p: (o, d) for p, o, d in self.env.cr.fetchall()}

    # ------------------------------------------------------------ waiting charges
    @api.model
    def _cron_rematch(self, limit=5000):
        """Charges of unknown shipments: match them again (the transfer may exist
        now), audit those found; past the endpoint's wait they become exceptions
        with an activity for the endpoint's responsible."""
        waiting = self.search(
            [("state", "=", "waiting"), ("wait_reason", "=", "unknown_ref")],
            limit=limit,
            order="id",
        )
        Picking = self.env["stock.picking"].sudo()
        found = self.browse()
        for company in waiting.company_id:
            charges = waiting.filtered(lambda c, co=company: c.company_id == co)
            refs = set(charges.mapped("shipment_ref")) | set(charges.mapped("tracking_ref"))
            by_ref = Picking._freight_find_many(company, refs)
            for charge in charges:
                picking_id = by_ref.get(charge.shipment_ref) or by_ref.get(charge.tracking_ref)
                if picking_id:
                    charge._freight_set(
                        {
                            "picking_id": picking_id,
                            "state": "pending",
                            "wait_reason": False,
                            "wait_until": False,
                        }
                    )
                    found |= charge
        found._freight_audit()
        now = fields.Datetime.now()
        late = (waiting - found).filtered(lambda c: c.wait_until and c.wait_until <= now)
        if late:
            late._freight_set(
                {
                    "state": "exception",
                    "audit_reason": self.env._(
                        "No transfer matches " "this shipment reference after the endpoint's wait."
                    ),
                }
            )
            reasons = defaultdict(list)
            for charge in late:
                reasons[charge.invoice_id.id].append(
                    self.env._("unknown shipment %(ref)s", ref=charge.shipment_ref)
                )
            self.env["logistics.freight.invoice"].browse(list(reasons))._freight_dispute_alert(
                reasons
            )
        self.env["ir.cron"]._notify_progress(done=len(waiting), remaining=0)
        return len(found), len(late)
