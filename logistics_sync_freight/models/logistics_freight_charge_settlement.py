# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Settlement: approved charges grouped per carrier and period into vendor bills."""

import json
from calendar import monthrange

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.tools import SQL

from .logistics_freight_charge import BILLABLE


def period_end(day):
    return day.replace(day=monthrange(day.year, day.month)[1])


# one file per concern of the model (audit, settlement), on purpose
class LogisticsFreightCharge(models.Model):
    _inherit = "logistics.freight.charge"  # pylint: disable=consider-merging-classes-inherited

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
        data = self._freight_bill_data()
        totals = {}  # product -> total of its charges, one bill line each for now
        for row in data:
            totals[row["product_id"]] = totals.get(row["product_id"], 0.0) + row["amount"]
        Product = self.env["product.product"]
        today = fields.Date.context_today(self)
        move = (
            self.env["account.move"]
            .with_company(company)
            .create(
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
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": product_id,
                                "name": Product.browse(product_id).name,
                                "quantity": 1.0,
                                "price_unit": total,
                                "tax_ids": [Command.clear()],
                            }
                        )
                        for product_id, total in totals.items()
                    ],
                }
            )
        )
        self._freight_post_bill(move, data)
        return move

    def _freight_bill_data(self):
        """What the bill lines need of each charge, in one query: [{id, product_id,
        amount (positive), quantity, label, distribution (JSON or None)}]."""
        self.env.cr.execute(
            SQL(
                """SELECT c.id, t.id, t.product_id, abs(c.approved_amount), c.quantity,
                          c.description, p.name, p.id, p.sale_id
                     FROM logistics_freight_charge c
                     JOIN logistics_freight_charge_type t ON t.id = c.charge_type_id
                     JOIN stock_picking p ON p.id = c.picking_id
                    WHERE c.id = ANY(%s) ORDER BY c.id""",
                self.ids,
            )
        )
        rows = self.env.cr.fetchall()
        type_names = {t.id: t.name for t in self.env["logistics.freight.charge.type"].search([])}
        Picking = self.env["stock.picking"]
        distributions = {
            picking.id: picking._freight_analytic_distribution()
            for picking in Picking.browse({row[7] for row in rows if row[8]})
        }
        return [
            {
                "id": cid,
                "product_id": product_id,
                "amount": float(amount or 0.0),
                "quantity": quantity or 1.0,
                "label": " - ".join(filter(None, [picking_name, type_names[type_id], description])),
                "distribution": json.dumps(distributions[picking_id])
                if distributions.get(picking_id)
                else None,
            }
            for cid, type_id, product_id, amount, quantity, description, picking_name, picking_id, _sale in rows
        ]

    def _freight_post_bill(self, move, data):
        """Post the bill, give each charge its own line, mark the charges billed.

        The bill is created and posted by the ORM with one line per product (its
        totals, payable line and checks are Odoo's); each of those lines is then
        split into one line per charge with one ``INSERT ... SELECT`` copying it
        (same account, partner, product, dates; the charge's amount, quantity,
        label and analytic distribution; rounding differences on the last line),
        so the bill's totals do not change. Analytic lines are created by the ORM
        for the lines that have a distribution. ``data``: ``_freight_bill_data()``."""
        move.action_post()
        by_product = {}
        for row in data:
            by_product.setdefault(row["product_id"], []).append(row)
        new_lines = []
        digits = move.currency_id.decimal_places
        company_digits = move.company_currency_id.decimal_places
        for line in move.invoice_line_ids:
            charges = by_product.get(line.product_id.id, [])
            sign = 1 if line.amount_currency >= 0 else -1
            rate = line.balance / line.amount_currency if line.amount_currency else 1.0
            rows, left_currency, left_balance = [], line.amount_currency, line.balance
            for index, row in enumerate(charges):
                amount = round(row["amount"], digits)
                if index == len(charges) - 1:
                    amount_currency = round(left_currency, digits)
                    balance = round(left_balance, company_digits)
                else:
                    amount_currency = sign * amount
                    balance = round(amount_currency * rate, company_digits)
                left_currency -= amount_currency
                left_balance -= balance
                rows.append(
                    (
                        row["id"],
                        row["label"],
                        row["quantity"],
                        amount / row["quantity"],
                        amount,
                        amount_currency,
                        balance,
                        row["distribution"],
                    )
                )
            new_lines += self._freight_split_line(line, rows)
        self.env.invalidate_all()
        Line = self.env["account.move.line"]
        analytic = Line.browse([lid for lid, _cid, dist in new_lines if dist])
        if analytic:
            analytic._create_analytic_lines()
        self.env.cr.execute(
            SQL(
                """UPDATE logistics_freight_charge c
                      SET state = 'billed', move_id = %s, move_line_id = u.line,
                          write_date = now() at time zone 'UTC', write_uid = %s
                     FROM unnest(%s::int4[], %s::int4[]) AS u(id, line)
                    WHERE c.id = u.id""",
                move.id,
                self.env.uid,
                [cid for _lid, cid, _dist in new_lines],
                [lid for lid, _cid, _dist in new_lines],
            )
        )
        self.invalidate_model()
        move.message_post(
            body=Markup("%s") % self.env._("Settled %(count)s carrier charges.", count=len(self))
        )

    def _freight_split_line(self, line, rows):
        """Replace bill line ``line`` by one copy per row (charge id, label,
        quantity, unit price, subtotal, amount in currency, balance, analytic
        distribution JSON). Returns [(new line id, charge id, distribution)]."""
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'account_move_line' AND table_schema = current_schema()"
            )
        )
        replaced = {
            "id",
            "name",
            "quantity",
            "price_unit",
            "price_subtotal",
            "price_total",
            "amount_currency",
            "balance",
            "debit",
            "credit",
            "analytic_distribution",
            "logistics_freight_charge_id",
            "sequence",
            "create_date",
            "write_date",
        }
        kept = [row[0] for row in cr.fetchall() if row[0] not in replaced]
        columns = SQL(", ").join(SQL.identifier(name) for name in kept)
        copied = SQL(", ").join(SQL.identifier("l", name) for name in kept)
        cr.execute(
            SQL(
                """INSERT INTO account_move_line (%s, logistics_freight_charge_id, name, quantity,
                          price_unit, price_subtotal, price_total, amount_currency, balance,
                          debit, credit, analytic_distribution, sequence, create_date,
                          write_date)
                   SELECT %s, u.charge, u.label, u.qty, u.unit, u.subtotal, u.subtotal,
                          u.amount_currency, u.balance, GREATEST(u.balance, 0),
                          GREATEST(-u.balance, 0), u.dist, l.sequence + u.ord,
                          now() at time zone 'UTC', now() at time zone 'UTC'
                     FROM account_move_line l,
                          unnest(%s::int4[], %s::varchar[], %s::numeric[], %s::numeric[],
                                 %s::numeric[], %s::numeric[], %s::numeric[], %s::jsonb[])
                          WITH ORDINALITY AS u(charge, label, qty, unit, subtotal,
                                               amount_currency, balance, dist, ord)
                    WHERE l.id = %s
                 ORDER BY u.ord
                RETURNING id, logistics_freight_charge_id, analytic_distribution""",
                columns,
                copied,
                *[list(col) for col in zip(*rows, strict=True)],
                line.id,
            )
        )
        created = cr.fetchall()
        cr.execute(SQL("DELETE FROM account_move_line WHERE id = %s", line.id))
        return created
