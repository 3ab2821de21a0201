# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class LogisticsFreightAccrual(models.Model):
    """Freight of done transfers not billed at period end, accrued at expected cost.

    Dated the period's last day and reversed the next day (as Odoo's accrued
    orders are), so the carrier's bill, when it comes, replaces the accrual."""

    _name = "logistics.freight.accrual"
    _description = "Logistics Sync Freight Accrual"
    _order = "period_end desc, id desc"
    _rec_name = "period_end"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    period_end = fields.Date(required=True, readonly=True)
    move_id = fields.Many2one(
        "account.move", string="Accrual entry", readonly=True, check_company=True
    )
    reversal_move_id = fields.Many2one(
        "account.move", string="Reversal", readonly=True, check_company=True
    )
    amount = fields.Monetary(readonly=True)
    picking_ids = fields.Many2many("stock.picking", string="Transfers", readonly=True)

    _sql_constraints = [
        (
            "company_period_unique",
            "unique(company_id, period_end)",
            "A period is accrued once per company.",
        ),
    ]

    @api.model
    def _cron_accrue(self, day=None):
        """Accrue the period (month) that ended before ``day`` (today) in every
        company, once."""
        day = day or fields.Date.context_today(self)
        last = day.replace(day=1) - timedelta(days=1)
        done = self.browse()
        for company in self.env["res.company"].search([]):
            if not self.search_count([("company_id", "=", company.id), ("period_end", "=", last)]):
                done |= self._freight_accrue(company, last)
        return done

    @api.model
    def _freight_unbilled(self, company, last):
        """Done transfers (by the period end) with an expected cost and no charge
        billed by then."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """SELECT p.id FROM stock_picking p
                     JOIN logistics_freight_expected e ON e.picking_id = p.id
                    WHERE p.company_id = %s AND p.state = 'done'
                      AND p.date_done < %s::date + 1
                      AND NOT EXISTS (
                          SELECT 1 FROM logistics_freight_charge c
                            JOIN account_move m ON m.id = c.move_id
                           WHERE c.picking_id = p.id AND c.state = 'billed'
                             AND m.state = 'posted' AND m.date <= %s)
                 ORDER BY p.id""",
                company.id,
                last,
                last,
            )
        )
        return self.env["stock.picking"].browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _freight_accrue(self, company, last):
        pickings = self._freight_unbilled(company, last)
        if not pickings:
            return self.browse()
        Account = self.env["account.account"]
        accrual_account = company.expense_accrual_account_id or Account.search(
            [*Account._check_company_domain(company), ("account_type", "=", "liability_current")],
            limit=1,
        )
        journal = self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(company), ("type", "=", "general")],
            limit=1,
        )
        if not accrual_account or not journal:
            raise UserError(
                self.env._(
                    "Set an accrued expense account and a miscellaneous "
                    "journal in company %(name)s.",
                    name=company.name,
                )
            )
        lines, total = [], 0.0
        for picking in pickings:
            distribution = picking._freight_analytic_distribution() or False
            for line in picking.freight_expected_id.line_ids:
                product = line.charge_type_id.product_id.with_company(company)
                account = product._get_product_accounts()["expense"]
                lines.append(
                    Command.create(
                        {
                            "name": self.env._(
                                "Freight accrual %(ref)s - %(type)s",
                                ref=picking.name,
                                type=line.charge_type_id.name,
                            ),
                            "account_id": account.id,
                            "debit": line.amount_company,
                            "analytic_distribution": distribution,
                        }
                    )
                )
                total += line.amount_company
        lines.append(
            Command.create(
                {
                    "name": self.env._("Accrued freight %(day)s", day=last),
                    "account_id": accrual_account.id,
                    "credit": total,
                }
            )
        )
        move = (
            self.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "entry",
                    "company_id": company.id,
                    "journal_id": journal.id,
                    "date": last,
                    "ref": self.env._("Freight accrual %(day)s", day=last),
                    "line_ids": lines,
                }
            )
        )
        move._post()
        reversal = move._reverse_moves(
            default_values_list=[
                {
                    "date": last + timedelta(days=1),
                    "ref": self.env._("Reversal of: %(ref)s", ref=move.ref),
                }
            ]
        )
        reversal._post()
        return self.create(
            {
                "company_id": company.id,
                "period_end": last,
                "move_id": move.id,
                "reversal_move_id": reversal.id,
                "amount": total,
                "picking_ids": [Command.set(pickings.ids)],
            }
        )
