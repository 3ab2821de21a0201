# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
from calendar import monthrange
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

SOURCE_REASONS = {
    "booking": "the carrier's booking price",
    "tms": "the TMS's planned cost",
    "rate": "the delivery method's rate, frozen at validation",
    "manual": "an expected cost entered by hand",
}


def month_end(day):
    return day.replace(day=monthrange(day.year, day.month)[1])


class LogisticsFreightAccrual(models.Model):
    """Freight of done transfers not billed at period end, accrued at expected cost.

    Dated the period's last day and reversed on the first day of the next (as
    Odoo's accrued orders are), so the carrier's bill, when it comes, replaces the
    accrual. Its lines are the report: per carrier, each transfer, charge type,
    amount and why."""

    _name = "logistics.freight.accrual"
    _description = "Logistics Sync Freight Accrual"
    _order = "period_end desc, id desc"
    _rec_name = "period_end"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True, string="Company"
    )
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    period_end = fields.Date(
        required=True,
        readonly=True,
        string="Period end",
        help="The last day of the accrued month, the accrual entry's date; its reversal is dated "
        "the next day.",
    )
    move_id = fields.Many2one(
        "account.move", string="Accrual entry", readonly=True, check_company=True
    )
    reversal_move_id = fields.Many2one(
        "account.move", string="Reversal", readonly=True, check_company=True
    )
    amount = fields.Monetary(
        readonly=True,
        string="Accrued",
        help="The period's total accrued, in the company's currency.",
    )
    picking_ids = fields.Many2many("stock.picking", string="Transfers", readonly=True)
    line_ids = fields.One2many("logistics.freight.accrual.line", "accrual_id", string="Lines")

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
        company, once; each company in its own savepoint: one that is not
        configured gets an activity and the others are accrued."""
        day = day or fields.Date.context_today(self)
        last = day.replace(day=1) - timedelta(days=1)
        done = self.browse()
        for company in self.env["res.company"].search([]):
            if self.search_count([("company_id", "=", company.id), ("period_end", "=", last)]):
                continue
            try:
                with self.env.cr.savepoint():
                    done |= self._freight_accrue(company, last)
            except UserError as error:
                self._freight_accrual_failed(company, error.args[0] if error.args else str(error))
        return done

    @api.model
    def _freight_accrual_failed(self, company, message):
        """An activity on the company's contact for the administrator (once while open)."""
        _logger.info("Freight accrual of company %s: %s", company.id, message)
        partner = company.partner_id.sudo()  # the accrual's alert, not a user's
        summary = self.env._("Freight accrual not booked")
        if partner.activity_ids.filtered(lambda a: a.summary == summary):
            return
        partner.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=summary,
            note=Markup("<p>%s</p>") % message,
            user_id=self.env.ref("base.user_admin").id,
        )

    @api.model
    def _freight_config(self, company):
        """(accrued expense account, journal) of ``company``: both set explicitly,
        else a UserError saying what to set."""
        account = company.expense_accrual_account_id
        journal = company.logistics_freight_accrual_journal_id
        if not account or not journal:
            raise UserError(
                self.env._(
                    "Freight of company %(name)s cannot be accrued: set its Expense Accrual "
                    "Account and its freight accrual journal (Accounting settings).",
                    name=company.name,
                )
            )
        return account, journal

    @api.model
    def _freight_freeze_missing(self, company, last):
        """Freeze the expected cost of done transfers (by ``last``) with a carrier
        that have none yet (validated before the cost was frozen at validation)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """SELECT p.id FROM stock_picking p
                    WHERE p.company_id = %s AND p.state = 'done' AND p.date_done < %s::date + 1
                      AND p.carrier_id IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM logistics_freight_expected e
                                       WHERE e.picking_id = p.id)""",
                company.id,
                last,
            )
        )
        Picking = self.env["stock.picking"].sudo()  # expected costs are frozen for finance
        for (picking_id,) in self.env.cr.fetchall():
            Picking.browse(picking_id)._freight_expected()

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
        """Accrue the period ending ``last`` in ``company``: the entry, its reversal
        on the next day, the report lines. Nothing to accrue: an empty recordset."""
        if self.search_count([("company_id", "=", company.id), ("period_end", "=", last)]):
            raise UserError(
                self.env._(
                    "The freight of %(company)s is already accrued for the period ending "
                    "%(day)s.",
                    company=company.name,
                    day=last,
                )
            )
        accrual_account, journal = self._freight_config(company)
        self._freight_freeze_missing(company, last)
        pickings = self._freight_unbilled(company, last)
        if not pickings:
            return self.browse()
        currency = company.currency_id
        lines, report, total = [], [], 0.0
        for picking in pickings.sudo():  # the transfers' costs, for finance
            distribution = picking._freight_analytic_distribution() or False
            expected = picking.freight_expected_id[:1]
            for line in expected.line_ids:
                amount = currency.round(line.amount_company)
                if currency.is_zero(amount):
                    continue
                product = line.charge_type_id.product_id.with_company(company)
                account = product._get_product_accounts()["expense"]
                if not account:
                    raise UserError(
                        self.env._(
                            "Product %(product)s has no expense account in company %(company)s.",
                            product=product.display_name,
                            company=company.name,
                        )
                    )
                lines.append(
                    Command.create(
                        {
                            "name": self.env._(
                                "Freight accrual %(ref)s - %(type)s",
                                ref=picking.name,
                                type=line.charge_type_id.name,
                            ),
                            "account_id": account.id,
                            "debit": amount,
                            "analytic_distribution": distribution,
                        }
                    )
                )
                report.append(
                    Command.create(
                        {
                            "picking_id": picking.id,
                            "carrier_id": picking.carrier_id.id,
                            "charge_type_id": line.charge_type_id.id,
                            "source": expected.source,
                            "amount": amount,
                            "reason": self.env._(
                                "Done on %(day)s, not billed by %(last)s; expected cost from "
                                "%(origin)s (%(date)s)",
                                day=picking.date_done.date(),
                                last=last,
                                origin=SOURCE_REASONS.get(expected.source, expected.source),
                                date=expected.date,
                            ),
                        }
                    )
                )
                total += amount
        if not lines:
            return self.browse()
        total = currency.round(total)
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
        move.action_post()
        reversal = move._reverse_moves(
            default_values_list=[
                {
                    "date": last + timedelta(days=1),
                    "ref": self.env._("Reversal of: %(ref)s", ref=move.ref),
                }
            ]
        )
        reversal.action_post()
        return self.create(
            {
                "company_id": company.id,
                "period_end": last,
                "move_id": move.id,
                "reversal_move_id": reversal.id,
                "amount": total,
                "picking_ids": [Command.set(pickings.ids)],
                "line_ids": report,
            }
        )
