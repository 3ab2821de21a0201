# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from odoo import api, fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _freight_expected_cost_sources(self):
        """The TMS's planned cost of the load first, then freight's own sources."""
        return ["_freight_expected_from_tms", *super()._freight_expected_cost_sources()]

    # TMS charge types (logistics_sync_tms/docs/TMS_API.md) -> our charge type codes;
    # another TMS code is looked up as a code of ours, else counted as base freight
    TMS_CHARGE_CODES = {"base_freight": "base", "fuel_surcharge": "fuel"}

    def _freight_expected_from_tms(self):
        """The TMS's planned cost of this transfer (its release's planned answer)."""
        self.ensure_one()
        release = self.sudo().tms_release_id  # the answer is technical; only its cost is read
        try:
            cost = json.loads(release.planned_cost or "null")
        except ValueError:
            return None
        if not isinstance(cost, dict) or not cost.get("lines"):
            return None
        Type = self.env["logistics.freight.charge.type"]
        base = self.env.ref("logistics_sync_freight.charge_type_base")
        amounts = {}
        for line in cost["lines"]:
            code = str(line.get("charge_type") or "")
            charge_type = (
                Type.search([("code", "=", self.TMS_CHARGE_CODES.get(code, code))], limit=1) or base
            )
            amounts[charge_type] = amounts.get(charge_type, 0.0) + float(line.get("amount") or 0)
        currency = (
            self.env["res.currency"].search(
                [("name", "=", str(cost.get("currency") or "").upper())], limit=1
            )
            or self.company_id.currency_id
        )
        return {
            "source": "tms",
            "currency": currency,
            "date": (release.write_date or fields.Datetime.now()).date(),
            "lines": sorted(amounts.items(), key=lambda item: item[0].sequence),
        }

    @api.model
    def _freight_match_domains(self, refs):
        """The TMS load number (a load may carry several transfers: the first one is
        matched)."""
        return [
            *super()._freight_match_domains(refs),
            ([("tms_load_ref", "in", sorted(refs))], "tms_load_ref"),
        ]
