# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import hashlib
import secrets

from odoo import api, fields, models

TOKEN_PREFIX = "lsm_"  # noqa: S105 (a prefix, not a secret)


def token_hash(token):
    """The stored form of a bearer token (the token itself is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


class LogisticsMetricsToken(models.Model):
    """A bearer token for GET /logistics_sync/metrics, created and revoked by a
    system administrator; only its SHA-256 is kept."""

    _name = "logistics.metrics.token"
    _description = "Logistics Sync Metrics Token"
    _order = "id desc"

    name = fields.Char(required=True, help="Who scrapes with it, e.g. Prometheus production.")
    active = fields.Boolean(default=True)
    token_hash = fields.Char(
        string="Token hash", required=True, readonly=True, copy=False, index=True
    )
    hint = fields.Char(readonly=True, copy=False, help="The first characters, to recognise it.")
    revoked_at = fields.Datetime(string="Revoked", readonly=True, copy=False)
    revoked_by_id = fields.Many2one("res.users", string="Revoked by", readonly=True, copy=False)

    _sql_constraints = [("token_hash_unique", "unique(token_hash)", "Tokens are unique.")]

    @api.model
    def _generate(self, name):
        """Create a token: ``(record, plain token)``; the plain token is shown once."""
        plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
        record = self.create({"name": name, "token_hash": token_hash(plain), "hint": plain[:8]})
        return record, plain

    @api.model
    def _check_bearer(self, token):
        """Whether ``token`` is an active token (sudo: the scraper has no session)."""
        if not token:
            return False
        return bool(self.sudo().search_count([("token_hash", "=", token_hash(token))], limit=1))

    def action_revoke(self):
        self.write(
            {"active": False, "revoked_at": fields.Datetime.now(), "revoked_by_id": self.env.uid}
        )
