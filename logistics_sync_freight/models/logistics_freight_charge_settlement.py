# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Settlement: approved charges become vendor bills, built whole through the ORM.

One bill (credit note for negative adjustments) per carrier invoice, up to
``lines_per_bill`` lines, one line per charge with its charge type's product, the
product's supplier taxes mapped by the vendor's fiscal position and the carrier's
invoice number as the reference; the bills of a carrier/month group are created by
one ``create`` and posted by one ``action_post``: Odoo computes their totals, taxes,
accounting dates (lock dates) and hashes. Nothing touches a posted entry."""

import logging
from collections import defaultdict

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .logistics_freight_charge import BILLABLE

_logger = logging.getLogger(__name__)

_DUE = SQL(
    """FROM logistics_freight_charge c
       JOIN stock_picking p ON p.id = c.picking_id AND p.state = 'done'
      WHERE c.state IN %s AND c.move_id IS NULL""",
    BILLABLE,
)


# one file per concern of the model (audit, settlement), on purpose
class LogisticsFreightCharge(models.Model):
    _inherit = "logistics.freight.charge"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _cron_settle(self, limit=2000, lines_per_bill=500):
        """The settlement cron. Run by the cron worker (``cron_id`` in the context):
        one batch of up to ``limit`` charges, then ``_notify_progress`` (ir.cron
        commits and calls again while charges remain). Run otherwise (*Run
        manually*, a script): batches until nothing is due. Returns the bills.

        Never twice: the charges are locked (``FOR UPDATE SKIP LOCKED``) and marked
        billed with their bill line in the transaction that creates the bill; a
        batch killed midway rolls back whole, and the next run takes the same
        charges again."""
        blocked = set()
        moves, done = self._freight_settle_batch(limit, lines_per_bill, blocked)
        if "cron_id" not in self.env.context:
            while True:
                more, count = self._freight_settle_batch(limit, lines_per_bill, blocked)
                if not count:
                    break
                moves |= more
                done += count
        self.env["ir.cron"]._notify_progress(done=done, remaining=self._freight_due_count(blocked))
        return moves

    @api.model
    def _freight_due_count(self, blocked=()):
        """Charges due for billing, but those of groups that failed in this run."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT c.company_id, c.endpoint_id, c.partner_id, c.currency_id,"
                " date_trunc('month', c.date)::date, c.approved_amount < 0, count(*) %s"
                " GROUP BY 1, 2, 3, 4, 5, 6",
                _DUE,
            )
        )
        return sum(
            row[-1]
            for row in self.env.cr.fetchall()
            if row[:-1] not in blocked and ("endpoint", row[1]) not in blocked
        )

    @api.model
    def _freight_settle_batch(self, limit, lines_per_bill, blocked):
        """Bill up to ``limit`` due charges, group after group (company, endpoint,
        carrier, currency, month, sign), each group in its own savepoint: a group
        that fails (a company without a purchase journal, an account or tax
        missing) is added to ``blocked`` with an activity saying why, and the
        others are settled. Returns (bills, charges billed)."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT c.company_id, c.endpoint_id, c.partner_id, c.currency_id,"
                " date_trunc('month', c.date)::date, c.approved_amount < 0 %s"
                " GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 5, 2, 3, 4, 6",
                _DUE,
            )
        )
        groups = [row for row in cr.fetchall() if row not in blocked]
        moves, done = self.env["account.move"], 0
        Endpoint = self.env["logistics.endpoint"].sudo()  # configuration, read for the cron
        for group in groups:
            if done >= limit:
                break
            company_id, endpoint_id, partner_id, currency_id, month, negative = group
            if ("endpoint", endpoint_id) in blocked:
                continue
            endpoint = Endpoint.browse(endpoint_id)
            journal = endpoint._freight_journal()
            if not journal:
                blocked.add(("endpoint", endpoint_id))
                endpoint._freight_settle_failed(
                    self.env._(
                        "Freight charges of company %(company)s cannot be billed: choose a "
                        "purchase journal for freight bills on endpoint %(endpoint)s or on "
                        "the company (Accounting settings).",
                        company=endpoint.company_id.name,
                        endpoint=endpoint.name,
                    )
                )
                continue
            try:
                with cr.savepoint():
                    cr.execute(
                        SQL(
                            """SELECT c.id, c.invoice_id %s AND c.company_id = %s AND c.endpoint_id = %s
                                  AND c.partner_id = %s AND c.currency_id = %s
                                  AND date_trunc('month', c.date)::date = %s
                                  AND (c.approved_amount < 0) = %s
                             ORDER BY c.invoice_id, c.id LIMIT %s FOR UPDATE OF c SKIP LOCKED""",
                            _DUE,
                            company_id,
                            endpoint_id,
                            partner_id,
                            currency_id,
                            month,
                            negative,
                            limit - done,
                        )
                    )
                    rows = cr.fetchall()
                    if rows and len(rows) == limit - done and (done or rows[0][1] != rows[-1][1]):
                        # the batch is full: the last carrier invoice may go on, so it
                        # waits for the next batch, whole (one bill per invoice); only
                        # an invoice larger than a whole batch is billed in parts
                        rows = [row for row in rows if row[1] != rows[-1][1]]
                    charges = self.browse([row[0] for row in rows])
                    if not charges:
                        continue
                    moves |= charges._freight_bill(journal, negative, lines_per_bill)
                    done += len(charges)
            except UserError as error:
                blocked.add(group)
                endpoint._freight_settle_failed(
                    self.env._(
                        "Freight charges of %(carrier)s (%(month)s, %(company)s) cannot be "
                        "billed: %(error)s",
                        carrier=endpoint.freight_partner_id.display_name,
                        month=month.strftime("%Y-%m"),
                        company=endpoint.company_id.name,
                        error=error.args[0] if error.args else str(error),
                    )
                )
        return moves, done

    def _freight_bill(self, journal, negative, lines_per_bill):
        """Bills (credit notes when ``negative``) for these charges of one company,
        carrier, currency and month: one per carrier invoice and ``lines_per_bill``
        lines, created by one ``create``, posted by one ``action_post``; then the
        charges are marked billed with their line. All in the caller's transaction."""
        first = self[:1]
        company = first.company_id
        partner = first.partner_id.with_company(company)
        Move = self.env["account.move"].with_company(company)
        fiscal_position = (
            self.env["account.fiscal.position"].with_company(company)._get_fiscal_position(partner)
        )
        data = self._freight_bill_data()
        by_invoice = defaultdict(list)
        for row in data:
            by_invoice[row["invoice_id"]].append(row)
        invoices = self.env["logistics.freight.invoice"].browse(list(by_invoice))
        today = fields.Date.context_today(self)
        products = self._freight_bill_products(company, fiscal_position, data)
        currency, company_currency = first.currency_id, company.currency_id
        commercial = partner.commercial_partner_id.id
        sign = -1 if negative else 1
        vals_list, sources, rates = [], [], {}
        for invoice in invoices:
            rows = by_invoice[invoice.id]
            # a credit after billing is dated today; a bill, the carrier's invoice date
            invoice_date = today if negative else min(invoice.date, today)
            if invoice_date not in rates:
                # the rate Odoo gives the bill (invoice_currency_rate): each line's
                # amounts are given as Odoo computes them, so that it has none to rewrite
                rates[invoice_date] = self.env["res.currency"]._get_conversion_rate(
                    company_currency, currency, company, invoice_date
                )
            rate = rates[invoice_date]
            for start in range(0, len(rows), lines_per_bill):
                chunk = rows[start : start + lines_per_bill]
                vals_list.append(
                    {
                        "move_type": "in_refund" if negative else "in_invoice",
                        "company_id": company.id,
                        "journal_id": journal.id,
                        "partner_id": partner.id,
                        "fiscal_position_id": fiscal_position.id,
                        "currency_id": currency.id,
                        "invoice_date": invoice_date,
                        "ref": invoice.name,
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "display_type": "product",
                                    "currency_id": currency.id,
                                    "product_id": row["product_id"],
                                    "product_uom_id": products[row["product_id"]]["uom"],
                                    "account_id": products[row["product_id"]]["account"],
                                    "tax_ids": [Command.set(products[row["product_id"]]["taxes"])],
                                    "name": row["label"],
                                    "quantity": 1.0,
                                    "price_unit": currency.round(row["amount"]),
                                    "amount_currency": sign * currency.round(row["amount"]),
                                    "balance": company_currency.round(
                                        sign * currency.round(row["amount"]) / rate
                                    ),
                                    "partner_id": commercial,
                                    "analytic_distribution": row["distribution"],
                                    "logistics_freight_charge_id": row["id"],
                                }
                            )
                            for row in chunk
                        ],
                    }
                )
                sources.append(invoice)
        moves = self._freight_post_bills(Move, partner, vals_list)
        self._freight_mark_billed(moves)
        for move, invoice in zip(moves, sources, strict=True):
            self._freight_bill_chatter(move, invoice)
        return moves

    @api.model
    def _freight_post_bills(self, Move, partner, vals_list):
        """Create the bills of ``vals_list`` (product lines only) complete, as Odoo's
        own invoice synchronisation would, and post them. The same tax lines and
        payment term lines, computed by the same methods, but once per bill instead
        of before and after every write (``_freight_complete_bills``; Odoo's own
        importers do the same: point of sale creates and posts its entries with
        ``skip_invoice_sync``). The bill lines are given their ``balance`` and
        ``amount_currency`` as Odoo computes them; the bills must balance
        (``_check_balanced``) once complete.

        Bills with a payment term that has an early payment discount (whose
        discount lines this does not compute) go through Odoo's synchronisation.
        No cash rounding is set on these bills."""
        if partner.property_supplier_payment_term_id.early_discount:
            moves = Move.create(vals_list)
            moves.action_post()
            return moves
        complete = Move.with_context(skip_invoice_sync=True, skip_invoice_line_sync=True)
        dates = {}
        for vals in vals_list:
            # the accounting date Odoo's _compute_date gives a new bill (period of
            # the bill date, or the first open one; taxes count for the tax lock
            # date), computed once per bill date instead of once per bill
            has_tax = any(line[2]["tax_ids"][0][2] for line in vals["invoice_line_ids"])
            key = (vals["invoice_date"], has_tax)
            if key not in dates:
                dates[key] = Move.new(
                    {
                        name: vals[name]
                        for name in ("move_type", "company_id", "journal_id", "invoice_date")
                    }
                )._get_accounting_date(vals["invoice_date"], has_tax)
            vals["date"] = dates[key]
        container = {"records": Move}
        with Move._check_balanced(container):
            moves = complete.create(vals_list)
            container["records"] = moves
            moves._freight_complete_bills()
        # nothing left to synchronise: posting writes the bills' state, date (a
        # locked period), name and hash, none of which changes a line's amounts
        moves = Move.browse(moves.ids)
        moves.with_context(skip_invoice_sync=True).action_post()
        return moves

    def _freight_bill_chatter(self, move, invoice):
        count = len(move.invoice_line_ids)
        body = self.env._(
            "Settled %(count)s charges of carrier invoice %(invoice)s.",
            count=count,
            invoice=invoice.name,
        )
        if move.company_id._get_violated_lock_dates(
            move.invoice_date, bool(move.line_ids.tax_ids), move.journal_id
        ):
            locked = self.env._(
                "The period of %(day)s is locked: accounted on %(date)s, the first open date.",
                day=move.invoice_date,
                date=move.date,
            )
            body = f"{body} {locked}"
            invoice.message_post(
                body=Markup("%s")
                % self.env._("Vendor bill %(bill)s: %(locked)s", bill=move.name, locked=locked)
            )
        move.message_post(body=Markup("%s") % body)

    def _freight_mark_billed(self, moves):
        """Each charge billed with its bill line (one UPDATE of the charges; the
        bills are not touched)."""
        self.env.cr.execute(
            SQL(
                """SELECT id, move_id, logistics_freight_charge_id FROM account_move_line
                    WHERE move_id = ANY(%s) AND logistics_freight_charge_id IS NOT NULL""",
                moves.ids,
            )
        )
        rows = self.env.cr.fetchall()
        if len(rows) != len(self):
            raise UserError(self.env._("Some freight charges did not get their bill line."))
        self.env.cr.execute(
            SQL(
                """UPDATE logistics_freight_charge c
                      SET state = 'billed', move_id = u.move, move_line_id = u.line,
                          write_date = now() at time zone 'UTC', write_uid = %s
                     FROM unnest(%s::int4[], %s::int4[], %s::int4[]) AS u(id, move, line)
                    WHERE c.id = u.id""",
                self.env.uid,
                [row[2] for row in rows],
                [row[1] for row in rows],
                [row[0] for row in rows],
            )
        )
        self.invalidate_model(["state", "move_id", "move_line_id"])

    @api.model
    def _freight_bill_products(self, company, fiscal_position, data):
        """{product id: {account, taxes, uom}} of the charge types on these bills:
        the product's expense account and supplier taxes of the company, both
        mapped by the vendor's fiscal position, and its purchase unit (as Odoo does
        on a bill line)."""
        Tax = self.env["account.tax"]
        result = {}
        for product in (
            self.env["product.product"]
            .with_company(company)
            .browse({row["product_id"] for row in data})
        ):
            account = product.product_tmpl_id.get_product_accounts(fiscal_pos=fiscal_position)[
                "expense"
            ]
            if not account:
                raise UserError(
                    self.env._(
                        "Product %(product)s has no expense account in company %(company)s.",
                        product=product.display_name,
                        company=company.name,
                    )
                )
            taxes = product.supplier_taxes_id.filtered_domain(Tax._check_company_domain(company))
            taxes = taxes._filter_taxes_by_company(company)
            if taxes and fiscal_position:
                taxes = fiscal_position.map_tax(taxes)
            result[product.id] = {
                "account": account.id,
                "taxes": taxes.ids,
                # the purchase unit, as Odoo gives any vendor bill line
                "uom": product.uom_po_id.id,
            }
        return result

    def _freight_bill_data(self):
        """What the bill lines need of each charge, in one query: [{id, invoice_id,
        product_id, amount (positive), label, distribution (dict or False)}]."""
        self.env.cr.execute(
            SQL(
                """SELECT c.id, c.invoice_id, t.id, t.product_id, abs(c.approved_amount),
                          c.quantity, c.description, p.name, p.id, p.sale_id
                     FROM logistics_freight_charge c
                     JOIN logistics_freight_charge_type t ON t.id = c.charge_type_id
                     JOIN stock_picking p ON p.id = c.picking_id
                    WHERE c.id = ANY(%s) ORDER BY c.invoice_id, c.id""",
                self.ids,
            )
        )
        rows = self.env.cr.fetchall()
        type_names = {
            t.id: t.name
            for t in self.env["logistics.freight.charge.type"]
            .with_context(active_test=False)
            .search([])
        }
        Picking = self.env["stock.picking"].sudo()  # the sale's analytics, for finance
        distributions = {
            picking.id: picking._freight_analytic_distribution()
            for picking in Picking.browse({row[8] for row in rows if row[9]})
        }
        result = []
        for (
            cid,
            invoice_id,
            type_id,
            product_id,
            amount,
            qty,
            desc,
            picking_name,
            picking_id,
            _s,
        ) in rows:
            label = " - ".join(filter(None, [picking_name, type_names[type_id], desc]))
            if qty and qty != 1:
                label = f"{label} (x {qty:g})"
            result.append(
                {
                    "id": cid,
                    "invoice_id": invoice_id,
                    "product_id": product_id,
                    "amount": float(amount or 0.0),
                    "label": label,
                    "distribution": distributions.get(picking_id) or False,
                }
            )
        return result
