# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError


class LogisticsFreightInvoice(models.Model):
    """A carrier invoice as received (event or file): its number is unique per endpoint."""

    _name = "logistics.freight.invoice"
    _description = "Logistics Sync Carrier Invoice"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Carrier invoice", required=True, index=True, readonly=True)
    endpoint_id = fields.Many2one(
        "logistics.endpoint",
        required=True,
        index=True,
        check_company=True,
        readonly=True,
        string="Endpoint",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True, string="Company"
    )
    partner_id = fields.Many2one(
        "res.partner", string="Carrier", required=True, check_company=True, readonly=True
    )
    date = fields.Date(string="Invoice date", required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True, string="Currency")
    amount_total = fields.Monetary(string="Total", readonly=True)
    batch_id = fields.Many2one("logistics.freight.batch", string="Import batch", readonly=True)
    event_id = fields.Many2one("logistics.event", string="Event", readonly=True)
    charge_ids = fields.One2many("logistics.freight.charge", "invoice_id", string="Charges")
    charge_count = fields.Integer(compute="_compute_counts", string="Number of charges")
    disputed_count = fields.Integer(compute="_compute_counts", string="Disputed charges")

    _sql_constraints = [
        (
            "endpoint_name_unique",
            "unique(endpoint_id, name)",
            "This carrier invoice number was already received from this endpoint.",
        )
    ]

    @api.ondelete(at_uninstall=False)
    def _unlink_except_billed(self):
        # the charges go with their invoice (ondelete cascade, in the database)
        if self.charge_ids.filtered(lambda c: c.state == "billed" or c.move_id):
            raise UserError(
                self.env._(
                    "Carrier invoices with billed charges cannot be deleted: their "
                    "charges are on vendor bills."
                )
            )

    @api.depends("charge_ids.state")
    def _compute_counts(self):
        for invoice in self:
            invoice.charge_count = len(invoice.charge_ids)
            invoice.disputed_count = len(
                invoice.charge_ids.filtered(lambda c: c.state in ("disputed", "exception"))
            )

    @api.model
    def _freight_known_numbers(self, endpoint, numbers):
        rows = self.with_context(active_test=False).search_read(
            [("endpoint_id", "=", endpoint.id), ("name", "in", list(numbers))], ["name"]
        )
        return {row["name"] for row in rows}

    @api.model
    def _freight_receive(self, endpoint, invoices, batch=None, event=None, picking_by_ref=None):
        """Store carrier invoices (``lib.invoice_csv.parse``'s shape, amounts per
        line) of ``endpoint`` with their charges, match them, audit what can be.

        Returns the new charges. Callers check first that no number is known
        (``_freight_known_numbers``); the unique constraint is the last guard."""
        company = endpoint.company_id
        partner = endpoint._freight_partner()
        Currency = self.env["res.currency"].with_context(active_test=False)
        currencies = {
            c.name: c
            for c in Currency.search(
                [("name", "in", [inv["currency"] for inv in invoices.values()])]
            )
        }
        records = self.create(
            [
                {
                    "name": number,
                    "endpoint_id": endpoint.id,
                    "company_id": company.id,
                    "partner_id": partner.id,
                    "date": inv["date"],
                    "currency_id": currencies[inv["currency"]].id,
                    "amount_total": sum(line["amount"] for line in inv["lines"]),
                    "batch_id": batch.id if batch else False,
                    "event_id": event.id if event else False,
                }
                for number, inv in invoices.items()
            ]
        )
        if picking_by_ref is None:
            refs = set()
            for inv in invoices.values():
                for line in inv["lines"]:
                    refs.add(line["shipment_ref"])
                    if line["tracking_ref"]:
                        refs.add(line["tracking_ref"])
            picking_by_ref = self.env["stock.picking"].sudo()._freight_find_many(company, refs)
        types = {
            t.code: (t.id, t.accessorial)
            for t in self.env["logistics.freight.charge.type"].search([])
        }
        wait_until = fields.Datetime.add(
            fields.Datetime.now(), minutes=endpoint.unknown_ref_wait_minutes
        )
        rows = []
        for record in records:
            inv = invoices[record.name]
            for line in inv["lines"]:
                picking_id = picking_by_ref.get(line["shipment_ref"]) or picking_by_ref.get(
                    line["tracking_ref"]
                )
                rows.append(
                    {
                        "invoice_id": record.id,
                        "company_id": company.id,
                        "partner_id": partner.id,
                        "endpoint_id": endpoint.id,
                        "currency_id": record.currency_id.id,
                        "date": inv["date"],
                        "picking_id": picking_id or None,
                        "shipment_ref": line["shipment_ref"],
                        "tracking_ref": line["tracking_ref"] or None,
                        "charge_type_id": types[line["charge_type"]][0],
                        "accessorial": types[line["charge_type"]][1],
                        "description": line["description"] or None,
                        "quantity": line["quantity"] or 1.0,
                        "amount": line["amount"],
                        "state": "pending" if picking_id else "waiting",
                        "wait_reason": None if picking_id else "unknown_ref",
                        "wait_until": None if picking_id else wait_until,
                    }
                )
        Charge = self.env["logistics.freight.charge"]
        # audited before they are stored (one INSERT, no UPDATE): charges of done
        # transfers are decided now, those of open transfers wait for validation
        picking_ids = list({row["picking_id"] for row in rows if row["picking_id"]})
        states = {
            p["id"]: p["state"]
            for p in self.env["stock.picking"].sudo().browse(picking_ids).read(["state"])
        }
        done = [row for row in rows if states.get(row["picking_id"]) == "done"]
        for row in rows:
            if row["picking_id"] and states.get(row["picking_id"]) != "done":
                row.update(state="waiting", wait_reason="transfer_open")
        disputed = {}
        if done:
            for row, decision in zip(done, Charge._freight_decide(done), strict=True):
                row.update(decision)
                if decision["state"] != "approved":
                    disputed.setdefault(row["invoice_id"], []).append(decision["audit_reason"])
        charges = Charge._freight_insert(rows)
        if disputed:
            self.browse(list(disputed))._freight_dispute_alert(disputed)
        return charges

    def _freight_dispute_alert(self, reasons):
        """One activity per carrier invoice for the endpoint's responsible, naming
        what needs a decision (``reasons``: {invoice id: [reason]}); created in one
        batch, none when the invoice already has one for that user."""
        Activity = self.env["mail.activity"].sudo()  # the alert is the system's, not the user's
        todo = self.env.ref("mail.mail_activity_data_todo")
        existing = {
            (a.res_id, a.user_id.id)
            for a in Activity.search([("res_model", "=", self._name), ("res_id", "in", self.ids)])
        }
        model_id = self.env["ir.model"]._get_id(self._name)
        today = fields.Date.context_today(self)
        values = []
        for invoice in self:
            user = invoice.endpoint_id.responsible_user_id
            if not user or (invoice.id, user.id) in existing:
                continue
            lines = reasons.get(invoice.id, [])
            values.append(
                {
                    "res_model_id": model_id,
                    "res_id": invoice.id,
                    "activity_type_id": todo.id,
                    "user_id": user.id,
                    "date_deadline": today,
                    "summary": self.env._("%(count)s freight charge(s) disputed", count=len(lines)),
                    "note": Markup("<ul>%s</ul>")
                    % Markup("").join(
                        Markup("<li>%s</li>") % reason for reason in sorted(set(lines))[:10]
                    ),
                }
            )
        if values:
            Activity.create(values)
