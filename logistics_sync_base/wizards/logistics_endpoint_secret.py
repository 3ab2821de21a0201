# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models
from odoo.exceptions import UserError

from ..lib import signature


class LogisticsEndpointSecret(models.TransientModel):
    _name = "logistics.endpoint.secret"
    _description = "Logistics Sync: set or rotate an endpoint's signing secret"

    endpoint_id = fields.Many2one("logistics.endpoint", required=True, ondelete="cascade")
    mode = fields.Selection(
        [
            ("generate", "Generate a secret for the sender"),
            ("paste", "Paste the secret the provider issued"),
        ],
        default="generate",
        required=True,
    )
    keep_previous = fields.Boolean(
        string="Keep accepting the previous secret",
        default=True,
        help="Keep accepting the current secret as the previous one while senders switch.",
    )
    # Write-only: cleared from the wizard as soon as it is stored on the endpoint,
    # and never read back into any view.
    pasted_secret = fields.Char(string="Provider's secret", groups="base.group_system", copy=False)
    new_secret = fields.Char(string="New secret", readonly=True, groups="base.group_system")
    done = fields.Boolean(readonly=True)

    def action_generate(self):
        """Store a new secret: generated (shown once) or pasted (never shown again).
        System administrators only."""
        self.ensure_one()
        self.check_access("write")
        endpoint = self.endpoint_id.sudo()
        if self.mode == "paste":
            secret = (self.sudo().pasted_secret or "").strip()
            try:
                signature.check_secret(secret, endpoint.signature_scheme)
            except ValueError as exc:
                raise UserError(
                    self.env._("This secret cannot be used: %(error)s", error=str(exc))
                ) from None
        else:
            secret = signature.generate_secret()
        endpoint.write(
            {
                "previous_signing_secret": endpoint.signing_secret if self.keep_previous else False,
                "signing_secret": secret,
            }
        )
        endpoint.message_post(
            body=self.env._(
                "Signing secret %(how)s by %(user)s (previous secret %(kept)s).",
                how=self.env._("pasted") if self.mode == "paste" else self.env._("regenerated"),
                user=self.env.user.name,
                kept=self.env._("kept") if self.keep_previous else self.env._("revoked"),
            )
        )
        self.sudo().write(
            {
                "pasted_secret": False,
                "new_secret": secret if self.mode == "generate" else False,
                "done": True,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
