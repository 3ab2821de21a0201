# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The endpoint's outbound side: where and how Odoo calls the external system
(the carrier and TMS addons build their clients from these fields)."""

from odoo import fields, models
from odoo.exceptions import AccessError

OUTBOUND_FIELDS = frozenset({"base_url", "oauth_token_url", "auth_type", "api_key_header"})


class LogisticsEndpoint(models.Model):
    _inherit = "logistics.endpoint"

    base_url = fields.Char(string="Base URL", tracking=True)
    auth_type = fields.Selection(
        [
            ("none", "None"),
            ("basic", "Basic"),
            ("bearer", "Bearer token"),
            ("api_key", "API key header"),
            ("oauth2", "OAuth2 client credentials"),
        ],
        default="none",
        required=True,
    )
    auth_username = fields.Char(groups="base.group_system", copy=False)
    auth_password = fields.Char(groups="base.group_system", copy=False)
    auth_token = fields.Char(groups="base.group_system", copy=False)
    api_key_header = fields.Char(default="X-Api-Key")
    auth_api_key = fields.Char(groups="base.group_system", copy=False)
    oauth_token_url = fields.Char(string="OAuth2 token URL")
    oauth_client_id = fields.Char(string="OAuth2 client id", groups="base.group_system", copy=False)
    oauth_client_secret = fields.Char(
        string="OAuth2 client secret", groups="base.group_system", copy=False
    )
    oauth_scope = fields.Char(string="OAuth2 scope")

    def write(self, vals):
        if OUTBOUND_FIELDS.intersection(vals) and not (
            self.env.su or self.env.user.has_group("base.group_system")
        ):
            # The outbound credentials are readable by system administrators only;
            # whoever may change where they are sent could otherwise read them.
            raise AccessError(
                self.env._(
                    "Only system administrators can change where an endpoint's "
                    "credentials are sent (%(fields)s).",
                    fields=", ".join(sorted(OUTBOUND_FIELDS.intersection(vals))),
                )
            )
        return super().write(vals)
