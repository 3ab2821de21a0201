# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _freight_complete_bills(self):
        """Add to these draft bills, created with their product lines only, the tax
        lines and payment term lines Odoo's synchronisation (``_sync_tax_lines``,
        ``_sync_dynamic_line`` of ``needed_terms``) gives a new bill: the same
        methods, called once per bill. Lines are created for all bills at once."""
        AccountTax = self.env["account.tax"]
        Line = self.env["account.move.line"].with_context(
            skip_invoice_sync=True, skip_invoice_line_sync=True
        )
        tax_lines, updates = [], {}
        for move in self:
            base_lines, _tax_lines = move._get_rounded_base_and_tax_lines(
                round_from_tax_lines=False
            )
            AccountTax._add_accounting_data_in_base_lines_tax_details(
                base_lines, move.company_id, include_caba_tags=move.always_tax_exigible
            )
            results = AccountTax._prepare_tax_lines(base_lines, move.company_id)
            for base_line, to_update in results["base_lines_to_update"]:
                line = base_line["record"]
                changed = {
                    fname: value
                    for fname, value in to_update.items()
                    if line._fields[fname].convert_to_write(line[fname], line) != value
                }
                if changed:
                    key = repr(sorted(changed.items()))
                    updates.setdefault(key, (changed, []))[1].append(line.id)
            tax_lines += [
                {**vals, "display_type": "tax", "move_id": move.id}
                for vals in results["tax_lines_to_add"]
            ]
        for values, line_ids in updates.values():
            Line.browse(line_ids).write(values)
        if tax_lines:
            Line.create(tax_lines)
        needed = self._sync_dynamic_line_needed_values(self.mapped("needed_terms"))
        Line.create(
            [{**key, **values, "display_type": "payment_term"} for key, values in needed.items()]
        )
