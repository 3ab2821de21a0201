# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The endpoint's outbound side: where and how Odoo calls the external system
(the carrier and TMS addons build their clients from these fields), checked
against SSRF when saved (``lib/urlsafety.py``) and again by the pinned session
of every call (``adapters/http.py``)."""

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..lib.urlsafety import UnsafeURLError, check_url

OUTBOUND_FIELDS = frozenset({"base_url", "oauth_token_url", "auth_type", "api_key_header"})


# one file per concern of the model (inbound, outbound, circuit), on purpose
class LogisticsEndpoint(models.Model):
    _inherit = "logistics.endpoint"  # pylint: disable=consider-merging-classes-inherited

    base_url = fields.Char(string="Base URL", tracking=True)
    auth_type = fields.Selection(
        [
            ("none", "None"),
            ("basic", "Basic"),
            ("bearer", "Bearer token"),
            ("api_key", "API key header"),
            ("oauth2", "OAuth2 client credentials"),
        ],
        string="Authentication",
        default="none",
        required=True,
    )
    auth_username = fields.Char(string="Username", groups="base.group_system", copy=False)
    auth_password = fields.Char(string="Password", groups="base.group_system", copy=False)
    auth_token = fields.Char(string="Bearer token", groups="base.group_system", copy=False)
    api_key_header = fields.Char(string="API key header", default="X-Api-Key")
    auth_api_key = fields.Char(string="API key", groups="base.group_system", copy=False)
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

    # ------------------------------------------------------------------ SSRF
    def _allow_http_loopback(self):
        """The developer setting: http on loopback allowed (for simulators)."""
        return self.env["ir.config_parameter"].sudo().get_param(
            "logistics_sync.allow_http_loopback"
        ) in ("True", "1", "true")

    @api.constrains("base_url", "oauth_token_url")
    def _check_outbound_urls(self):
        allow = self._allow_http_loopback()
        for endpoint in self:
            for url in (endpoint.base_url, endpoint.oauth_token_url):
                if not url:
                    continue
                try:
                    check_url(url, allow_http_loopback=allow)
                except UnsafeURLError as exc:
                    raise ValidationError(
                        self.env._("Endpoint %(name)s: %(reason)s", name=endpoint.name, reason=exc)
                    ) from None
