# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.exceptions import ValidationError

from ..adapters import TplClient


class LogisticsEndpoint(models.Model):
    _inherit = "logistics.endpoint"

    tpl_warehouse_ids = fields.One2many(
        "stock.warehouse", "tpl_endpoint_id", string="Warehouses operated"
    )
    tpl_unknown_lots = fields.Selection(
        [("create", "Create them"), ("refuse", "Refuse the confirmation")],
        string="Unknown lots in shipping confirmations",
        default="refuse",
        required=True,
        help="A shipping confirmation naming a lot or serial number Odoo does not know for "
        "that product: create it, or refuse the whole confirmation (dead letter). Receipts "
        "always create the lots they bring.",
    )
    tpl_damage_location_id = fields.Many2one(
        "stock.location",
        string="Damaged goods go to",
        check_company=True,
        help="Damaged quantities of a receipt confirmation are received, then scrapped to "
        "this location (a scrap location, or an internal quarantine location). Empty: the "
        "company's scrap location.",
    )
    tpl_release_count = fields.Integer(string="3PL documents", compute="_compute_tpl_release_count")

    def _compute_tpl_release_count(self):
        counts = dict(
            self.env["logistics.tpl.release"]._read_group(
                [("endpoint_id", "in", self.ids)], ["endpoint_id"], ["__count"]
            )
        )
        for endpoint in self:
            endpoint.tpl_release_count = counts.get(endpoint, 0)

    def action_view_tpl_releases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync_3pl.logistics_tpl_release_action"
        )
        action["domain"] = [("endpoint_id", "=", self.id)]
        return action

    def _tpl_client(self):
        """The 3PL client of this endpoint (timeout, Bearer token, SSRF-pinned session)."""
        self.ensure_one()
        if not self.base_url:
            raise ValidationError(self.env._("Endpoint %(name)s has no base URL.", name=self.name))
        # sudo: the token is readable by system administrators only; the job uses it
        token = self.sudo().auth_token if self.auth_type == "bearer" else None
        return TplClient(
            self.base_url,
            token,
            timeout=self.http_timeout or 10.0,
            allow_http_loopback=self._allow_http_loopback(),
        )

    def _tpl_damage_location(self):
        self.ensure_one()
        if self.tpl_damage_location_id:
            return self.tpl_damage_location_id
        return self.env["stock.location"].search(
            [("scrap_location", "=", True), ("company_id", "in", (self.company_id.id, False))],
            limit=1,
        )
