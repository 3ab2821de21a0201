# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Settlement: approved charges grouped per carrier and period into vendor bills."""

from calendar import monthrange

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.tools import SQL

from .logistics_freight_charge import BILLABLE


def period_end(day):
    return day.replace(day=monthrange(day.year, day.month)[1])


class LogisticsFreightCharge(models.Model):
    _inherit = "logistics.freight.charge"

    @api.model
    def _cron_settle(self, limit=2000, lines_per_bill=500):
        """One batch of the settlement cron: up to ``limit`` approved charges of one
        carrier, period (month of the carrier's invoice date), currency and sign
        become vendor bills (credit notes for negative adjustments) of up to
        ``lines_per_bill`` lines; then ``_notify_progress`` (ir.cron commits and
        calls again while charges remain).

        Never twice: the charges are locked (``FOR UPDATE SKIP LOCKED``) and marked
        billed with their bill line in the same transaction that creates the bill;
        a batch killed midway rolls back whole, bill included, and the next run
        takes the same charges again. Returns the bills created."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            SQL(
                """SELECT c.company_id, c.partner_id, c.currency_id,
                          date_trunc('month', c.date)::date, c.approved_amount < 0
                     FROM logistics_freight_charge c
                     JOIN stock_picking p ON p.id = c.picking_id AND p.state = 'done'
                    WHERE c.state IN %s AND c.move_id IS NULL
                 ORDER BY 1, 2, 3, 4, 5 LIMIT 1""",
                BILLABLE,
            )
        )
        group = cr.fetchone()
        if not group:
            self.env["ir.cron"]._notify_progress(done=0, remaining=0)
            return self.env["account.move"]
        company_id, partner_id, currency_id, month, negative = group
        cr.execute(
            SQL(
                """SELECT c.id FROM logistics_freight_charge c
                     JOIN stock_picking p ON p.id = c.picking_id AND p.state = 'done'
                    WHERE c.state IN %s AND c.move_id IS NULL AND c.company_id = %s
                      AND c.partner_id = %s AND c.currency_id = %s
                      AND date_trunc('month', c.date)::date = %s
                      AND (c.approved_amount < 0) = %s
                 ORDER BY c.id LIMIT %s FOR UPDATE OF c SKIP LOCKED""",
                BILLABLE,
                company_id,
                partner_id,
                currency_id,
                month,
                negative,
                limit,
            )
        )
        charges = self.browse([row[0] for row in cr.fetchall()])
        moves = self.env["account.move"]
        for start in range(0, len(charges), lines_per_bill):
            moves |= charges[start : start + lines_per_bill]._freight_bill(
                period_end(month), negative
            )
        cr.execute(
            SQL(
                """SELECT count(*) FROM logistics_freight_charge c
                     JOIN stock_picking p ON p.id = c.picking_id AND p.state = 'done'
                    WHERE c.state IN %s AND c.move_id IS NULL""",
                BILLABLE,
            )
        )
        self.env["ir.cron"]._notify_progress(done=len(charges), remaining=cr.fetchone()[0])
        return moves

    def _freight_bill(self, last_day, negative):
        """One vendor bill (or credit note) for these charges, one line each, then
        the charges marked billed: all in the caller's transaction."""
        first = self[:1]
        company = first.company_id
        journal = self.env["account.journal"].search(
            [
                *self.env["account.journal"]._check_company_domain(company),
                ("type", "=", "purchase"),
            ],
            limit=1,
        )
        distributions = {}
        lines = []
        for charge in self:
            picking = charge.picking_id
            if picking.id not in distributions:
                distributions[picking.id] = picking._freight_analytic_distribution()
            quantity = charge.quantity or 1.0
            amount = abs(charge.approved_amount)
            lines.append(
                Command.create(
                    {
                        "product_id": charge.charge_type_id.product_id.id,
                        "name": " - ".join(
                            filter(
                                None, [picking.name, charge.charge_type_id.name, charge.description]
                            )
                        ),
                        "quantity": quantity,
                        "price_unit": amount / quantity,
                        "tax_ids": [Command.clear()],
                        "analytic_distribution": distributions[picking.id] or False,
                        "logistics_freight_charge_id": charge.id,
                    }
                )
            )
        today = fields.Date.context_today(self)
        move = self.env["account.move"].create(
            {
                "move_type": "in_refund" if negative else "in_invoice",
                "company_id": company.id,
                "journal_id": journal.id,
                "partner_id": first.partner_id.id,
                "currency_id": first.currency_id.id,
                "invoice_date": min(today, last_day),
                "ref": self.env._(
                    "Freight %(period)s (%(count)s charges)",
                    period=last_day.strftime("%Y-%m"),
                    count=len(self),
                ),
                "invoice_line_ids": lines,
            }
        )
        self._freight_post_bill(move)
        return move

    def _freight_post_bill(self, move):
        """Post the bill and mark its charges billed, with their bill lines."""
        move.action_post()
        rows = [
            (line.logistics_freight_charge_id.id, line.id)
            for line in move.invoice_line_ids
            if line.logistics_freight_charge_id
        ]
        self.env.cr.execute(
            SQL(
                """UPDATE logistics_freight_charge c
                      SET state = 'billed', move_id = %s, move_line_id = u.line,
                          write_date = now() at time zone 'UTC', write_uid = %s
                     FROM unnest(%s::int4[], %s::int4[]) AS u(id, line)
                    WHERE c.id = u.id""",
                move.id,
                self.env.uid,
                [r[0] for r in rows],
                [r[1] for r in rows],
            )
        )
        self.invalidate_model()
        move.message_post(
            body=Markup("%s") % self.env._("Settled %(count)s carrier charges.", count=len(rows))
        )
