# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""One line of a carrier invoice, audited against the transfer's expected cost."""

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

STATES = [
    ("waiting", "Waiting"),
    ("pending", "Pending audit"),
    ("approved", "Approved"),
    ("disputed", "Disputed"),
    ("short_paid", "Short-paid"),
    ("rejected", "Rejected"),
    ("billed", "Billed"),
    ("exception", "Exception"),
]
BILLABLE = ("approved", "short_paid")
# what a charge is: written by the import, the audit and the decision methods only
GUARDED_FIELDS = frozenset(
    {
        "invoice_id",
        "company_id",
        "partner_id",
        "endpoint_id",
        "date",
        "currency_id",
        "picking_id",
        "shipment_ref",
        "tracking_ref",
        "charge_type_id",
        "description",
        "quantity",
        "amount",
        "amount_company",
        "expected_amount",
        "variance",
        "approved_amount",
        "state",
        "wait_reason",
        "wait_until",
        "audit_reason",
        "audited_at",
        "parent_id",
        "move_id",
        "move_line_id",
    }
)


class LogisticsFreightCharge(models.Model):
    _name = "logistics.freight.charge"
    _description = "Logistics Sync Freight Charge"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _rec_name = "shipment_ref"
    _check_company_auto = True

    invoice_id = fields.Many2one(
        "logistics.freight.invoice",
        string="Carrier invoice",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, string="Company")
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company currency"
    )
    partner_id = fields.Many2one("res.partner", string="Carrier", required=True, readonly=True)
    endpoint_id = fields.Many2one(
        "logistics.endpoint",
        required=True,
        readonly=True,
        string="Endpoint",
        help="The carrier endpoint the charge came from (webhook or invoice file).",
    )
    date = fields.Date(string="Invoice date", required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True, string="Currency")
    picking_id = fields.Many2one(
        "stock.picking",
        string="Transfer",
        index="btree_not_null",
        readonly=True,
        check_company=True,
    )
    shipment_ref = fields.Char(
        required=True,
        readonly=True,
        string="Shipment reference",
        help="The carrier's reference of the shipment: the transfer's name, its external reference"
        " or a TMS load number.",
    )
    tracking_ref = fields.Char(
        readonly=True,
        string="Tracking number",
        help="The carrier's tracking number, also used to find the transfer.",
    )
    charge_type_id = fields.Many2one(
        "logistics.freight.charge.type", string="Charge type", required=True, readonly=True
    )
    accessorial = fields.Boolean(related="charge_type_id.accessorial", string="Accessorial")
    description = fields.Char(readonly=True, string="Description")
    quantity = fields.Float(default=1.0, readonly=True, string="Quantity")
    amount = fields.Monetary(string="Charged", required=True, readonly=True)
    amount_company = fields.Monetary(
        string="Charged (company currency)",
        currency_field="company_currency_id",
        readonly=True,
        help="Converted at the rate of the booking date (the expected cost's).",
    )
    expected_amount = fields.Monetary(
        string="Expected",
        currency_field="company_currency_id",
        readonly=True,
        help="What is left of the expected cost of this type for the transfer, in the "
        "company's currency.",
    )
    variance = fields.Monetary(
        currency_field="company_currency_id",
        readonly=True,
        string="Variance",
        help="Charged (company currency) minus expected: above zero, an overcharge.",
    )
    approved_amount = fields.Monetary(
        readonly=True,
        help="What is paid: the charge, or the part approved when short-paid.",
        string="Approved",
    )
    state = fields.Selection(
        STATES,
        default="pending",
        required=True,
        index=True,
        readonly=True,
        tracking=True,
        string="Status",
        help="Waiting: for its transfer (unknown, or not done yet). Pending audit, then Approved, "
        "or Disputed when outside the tolerance. Short-paid: a part approved. Billed: on a "
        "vendor bill. Exception: waited too long for its transfer.",
    )
    wait_reason = fields.Selection(
        [("unknown_ref", "Unknown shipment"), ("transfer_open", "Transfer not done")],
        readonly=True,
        string="Waiting for",
    )
    wait_until = fields.Datetime(
        readonly=True,
        string="Waits until",
        help="A charge still waiting then becomes an exception, with an activity.",
    )
    audit_reason = fields.Char(
        readonly=True, string="Audit result", help="Why the audit approved or disputed the charge."
    )
    audited_at = fields.Datetime(readonly=True, string="Audited on")
    parent_id = fields.Many2one(
        "logistics.freight.charge",
        string="Split from",
        readonly=True,
        index="btree_not_null",
        help="The charge this one is the disputed rest of, or the billed charge it adjusts.",
    )
    move_id = fields.Many2one(
        "account.move",
        string="Vendor bill",
        readonly=True,
        index="btree_not_null",
        check_company=True,
        copy=False,
    )
    move_line_id = fields.Many2one(
        "account.move.line", readonly=True, copy=False, string="Bill line"
    )

    # ------------------------------------------------------------ guard
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            # charges come from carrier invoices (file or event), never typed in
            raise AccessError(
                self.env._(
                    "Freight charges are created by importing carrier invoices (a file "
                    "or a freight_charge event), not one by one."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        guarded = set(vals) & GUARDED_FIELDS
        if guarded and not self.env.su:
            # The audit and the decisions (Approve, Reject, Short pay, Credit) write
            # as superuser through _freight_set; a user writing the state or the
            # amounts directly, e.g. over RPC, would skip the audit.
            raise AccessError(
                self.env._(
                    "Freight charges change only through the audit and its decisions "
                    "(Approve, Reject, Short pay, Credit); tried to write %(fields)s.",
                    fields=", ".join(sorted(guarded)),
                )
            )
        return super().write(vals)

    def _freight_set(self, vals):
        """Write the audit's or a decision's values. sudo: only these methods may
        (see ``write``); the values come from the audit rules and the decision
        methods' checks, never from a request as they are."""
        return self.sudo().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_billed(self):
        billed = self.filtered(lambda c: c.state == "billed" or c.move_id)
        if billed:
            raise UserError(
                self.env._(
                    "Billed freight charges cannot be deleted (%(refs)s): they are on "
                    "vendor bills; credit them instead.",
                    refs=", ".join(billed[:5].mapped("shipment_ref")),
                )
            )

    # ------------------------------------------------------------ creation (set-based)
    _INSERT_COLUMNS = (
        ("invoice_id", "int4"),
        ("company_id", "int4"),
        ("partner_id", "int4"),
        ("endpoint_id", "int4"),
        ("currency_id", "int4"),
        ("date", "date"),
        ("picking_id", "int4"),
        ("shipment_ref", "varchar"),
        ("tracking_ref", "varchar"),
        ("charge_type_id", "int4"),
        ("description", "varchar"),
        ("quantity", "float8"),
        ("amount", "numeric"),
        ("state", "varchar"),
        ("wait_reason", "varchar"),
        ("wait_until", "timestamp"),
        ("parent_id", "int4"),
        ("approved_amount", "numeric"),
        ("audit_reason", "varchar"),
        ("amount_company", "numeric"),
        ("expected_amount", "numeric"),
        ("variance", "numeric"),
        ("audited_at", "timestamp"),
    )

    @api.model
    def _freight_insert(self, rows, chunk=20000):
        """Insert charges with one ``INSERT ... SELECT unnest(...)`` per chunk.

        The import path of files of 100,000 lines: no stored computed field or
        chatter hook is involved (the carrier invoice gets the chatter). Access
        is checked as for ``create``."""
        self.check_access("create")
        ids = []
        uid, now = self.env.uid, fields.Datetime.now()
        names = [name for name, _type in self._INSERT_COLUMNS]
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            arrays = [
                SQL("%s::" + sqltype + "[]", [row.get(name) for row in part])  # noqa: ISC003
                for name, sqltype in self._INSERT_COLUMNS
            ]
            self.env.cr.execute(
                SQL(
                    "INSERT INTO logistics_freight_charge (%s, create_uid, write_uid,"
                    " create_date, write_date) SELECT *, %s, %s, %s, %s FROM unnest(%s)"
                    " RETURNING id",
                    SQL(", ").join(SQL.identifier(name) for name in names),
                    uid,
                    uid,
                    now,
                    now,
                    SQL(", ").join(arrays),
                )
            )
            ids.extend(row[0] for row in self.env.cr.fetchall())
        self.invalidate_model()
        return self.browse(ids)

    # ------------------------------------------------------------ dispute actions
    def _freight_log(self, body):
        for charge in self:
            charge.message_post(body=body)

    def action_approve(self):
        """Approve disputed charges in full (who and when: the chatter)."""
        for charge in self:
            if charge.state not in ("disputed", "exception") or not charge.picking_id:
                raise UserError(
                    self.env._("Only disputed charges of a known transfer can be approved.")
                )
            charge._freight_require_done()
            charge._freight_set({"state": "approved", "approved_amount": charge.amount})
            charge._freight_log(
                self.env._("Approved in full by %(user)s.", user=self.env.user.name)
            )
        return True

    def action_reject(self):
        for charge in self:
            if charge.state not in ("disputed", "exception", "waiting", "pending"):
                raise UserError(self.env._("Only charges not yet approved can be rejected."))
            charge._freight_set({"state": "rejected", "approved_amount": 0.0})
            charge._freight_log(self.env._("Rejected by %(user)s.", user=self.env.user.name))
        return True

    def _freight_require_done(self):
        if self.picking_id.state != "done":
            raise UserError(
                self.env._(
                    "Transfer %(name)s is not done: its charges cannot be approved yet.",
                    name=self.picking_id.name,
                )
            )

    def _freight_short_pay(self, amount):
        """Approve ``amount`` of a disputed charge: it is paid that much, and the
        rest becomes a new disputed charge (``parent_id``) still to settle."""
        self.ensure_one()
        if self.state != "disputed" or not self.picking_id:
            raise UserError(self.env._("Only a disputed charge can be short-paid."))
        self._freight_require_done()
        if amount <= 0 or self.currency_id.compare_amounts(amount, self.amount) >= 0:
            raise UserError(self.env._("The part approved must be between 0 and the charge."))
        rest = self.currency_id.round(self.amount - amount)
        self._freight_set({"state": "short_paid", "approved_amount": amount})
        ratio = rest / self.amount if self.amount else 0.0
        remainder = self._freight_insert(
            [
                {
                    **self._freight_copy_values(),
                    "amount": rest,
                    "state": "disputed",
                    "parent_id": self.id,
                    "audit_reason": self.env._("Rest of a short-paid charge"),
                }
            ]
        )
        remainder._freight_set(
            {
                "expected_amount": 0.0,
                "amount_company": self.company_currency_id.round(self.amount_company * ratio),
                "variance": self.company_currency_id.round(self.amount_company * ratio),
            }
        )
        self._freight_log(
            self.env._(
                "Short-paid by %(user)s: %(paid)s approved, %(rest)s stays disputed.",
                user=self.env.user.name,
                paid=round(amount, 6),
                rest=round(rest, 6),
            )
        )
        return remainder

    def _freight_copy_values(self):
        return {
            name: (self[name].id if self._fields[name].type == "many2one" else self[name]) or None
            for name, _type in self._INSERT_COLUMNS
            if name
            not in (
                "state",
                "wait_reason",
                "wait_until",
                "parent_id",
                "approved_amount",
                "audit_reason",
                "amount_company",
                "expected_amount",
                "variance",
                "audited_at",
            )
        }

    def _freight_credit(self, amount, reason):
        """An adjustment after billing: a credit of ``amount`` on a billed charge
        becomes an approved negative charge, settled on a credit note (dated
        today, or the first open date when today's period is locked).

        The charge is locked first (``FOR NO KEY UPDATE``: a second credit, from
        another user or request, waits for this one, then is run again by Odoo on the
        serialization failure) and its credits are summed: together they never exceed
        what was billed."""
        self.ensure_one()
        if self.state != "billed":
            raise UserError(self.env._("Only a billed charge can be credited."))
        currency = self.currency_id
        amount = currency.round(amount)
        if currency.compare_amounts(amount, 0.0) <= 0:
            raise UserError(self.env._("A credit must be more than 0."))
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT id FROM logistics_freight_charge WHERE id = %s FOR NO KEY UPDATE", self.id),
            log_exceptions=False,  # a concurrent credit's serialization failure: run again
        )
        # and touched: Odoo's transactions are REPEATABLE READ, so a second credit that
        # waited for this lock would still sum the credits of its older snapshot; the
        # row changed, it gets a serialization failure instead, and Odoo runs the
        # request again (then it sees this credit)
        self.env.cr.execute(
            SQL(
                "UPDATE logistics_freight_charge SET write_date = now() at time zone 'UTC',"
                " write_uid = %s WHERE id = %s",
                self.env.uid,
                self.id,
            )
        )
        self.invalidate_recordset(["write_date", "write_uid"])
        self.env.cr.execute(
            SQL(
                """SELECT coalesce(sum(-approved_amount), 0) FROM logistics_freight_charge
                    WHERE parent_id = %s AND approved_amount < 0
                      AND state IN ('approved', 'short_paid', 'billed')""",
                self.id,
            )
        )
        credited = float(self.env.cr.fetchone()[0])
        billed = self.approved_amount
        if currency.compare_amounts(credited + amount, billed) > 0:
            raise UserError(
                self.env._(
                    "%(ref)s: a credit of %(amount)s would exceed what was billed: "
                    "%(billed)s billed, %(credited)s credited already, %(left)s left to credit.",
                    ref=self.shipment_ref,
                    amount=currency.round(amount),
                    billed=currency.round(billed),
                    credited=currency.round(credited),
                    left=currency.round(billed - credited),
                )
            )
        credit = self._freight_insert(
            [
                {
                    **self._freight_copy_values(),
                    "amount": -amount,
                    "approved_amount": -amount,
                    "state": "approved",
                    "parent_id": self.id,
                    "audit_reason": reason,
                    "description": reason,
                }
            ]
        )
        self._freight_log(
            Markup("%s")
            % self.env._(
                "Credit of %(amount)s by %(user)s: %(reason)s",
                amount=amount,
                user=self.env.user.name,
                reason=reason,
            )
        )
        return credit

    def _freight_adjust_action(self, mode):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "logistics.freight.adjust",
            "view_mode": "form",
            "target": "new",
            "context": {"default_charge_id": self.id, "default_mode": mode},
        }

    def action_short_pay(self):
        return self._freight_adjust_action("short_pay")

    def action_credit(self):
        return self._freight_adjust_action("credit")
