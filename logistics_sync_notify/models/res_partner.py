# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import psycopg2

from odoo import Command, api, fields, models
from odoo.tools import email_normalize

from ..lib import optout


class ResPartner(models.Model):
    _inherit = "res.partner"

    logistics_notify_email_optout = fields.Boolean(
        string="No shipment emails",
        help="This contact asked not to receive shipment notifications by email.",
    )
    logistics_notify_digest = fields.Boolean(
        string="Daily shipment digest",
        help="Instead of one email per milestone, one email a day about all of this "
        "contact's shipments.",
    )
    logistics_notify_digest_sent_on = fields.Date(
        string="Last shipment digest", readonly=True, copy=False
    )

    logistics_optout_url = fields.Char(
        string="Shipment emails opt-out link",
        compute="_compute_logistics_optout_url",
        compute_sudo=True,
        groups="base.group_user",
        help="The signed link in every shipment email that stops them for this contact.",
    )

    def _compute_logistics_optout_url(self):
        for partner in self:
            partner.logistics_optout_url = partner._logistics_optout_url() if partner.id else False

    def _logistics_optout_token(self, channel):
        self.ensure_one()
        # sudo: the database secret keys the signature; it is never shown
        secret = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        return optout.token(secret, self.env.cr.dbname, self.id, channel)

    def _logistics_optout_url(self, channel="email"):
        self.ensure_one()
        return (
            f"{self.get_base_url()}/logistics_sync/notify/optout/{self.id}/{channel}"
            f"?token={self._logistics_optout_token(channel)}"
        )

    def _logistics_email_problem(self):
        """Why this contact cannot get an email (a reason code), or None."""
        self.ensure_one()
        if self.logistics_notify_email_optout:
            return "opted_out"
        if not self.email:
            return "no_email"
        if not email_normalize(self.email):
            return "invalid_email"
        return None

    logistics_digest_picking_ids = fields.Many2many(
        "stock.picking",
        string="Shipments in the next digest",
        compute="_compute_logistics_digest_picking_ids",
        compute_sudo=True,
        groups="base.group_user",
    )

    def _compute_logistics_digest_picking_ids(self):
        notes = self.env["logistics.notification"].search(
            [("partner_id", "in", self.ids), ("state", "=", "digest")]
        )
        for partner in self:
            partner.logistics_digest_picking_ids = notes.filtered(
                lambda n, p=partner: n.partner_id == p
            ).picking_id

    @api.model
    def _cron_logistics_notify_digest(self):
        """One email a day to each contact who prefers a digest, about all their
        shipments that moved since the last one."""
        today = fields.Date.context_today(self)
        Notification = self.env["logistics.notification"]
        notes = Notification.search([("state", "=", "digest")], order="id")
        template = self.env.ref("logistics_sync_notify.mail_template_digest", False)
        sent = 0
        for partner, partner_notes in notes.grouped("partner_id").items():
            if partner.logistics_notify_digest_sent_on == today:
                continue
            problem = partner._logistics_email_problem() if template else "no_template"
            if problem:
                partner_notes.write(
                    {
                        "state": "skipped",
                        "reason_code": problem,
                        "reason": Notification._reason_text(problem),
                    }
                )
                continue
            # the shipments listed are those of the notes read now
            partner.invalidate_recordset(["logistics_digest_picking_ids"])
            try:
                with self.env.cr.savepoint():
                    mail_id = template.send_mail(
                        partner.id,
                        force_send=False,
                        email_values={"recipient_ids": [Command.set(partner.ids)]},
                    )
            except psycopg2.OperationalError:
                raise
            except Exception as exc:  # noqa: BLE001 - one contact's digest never stops the others
                partner_notes.write(
                    {
                        "state": "skipped",
                        "reason_code": "render_failed",
                        "reason": Notification._reason_text("render_failed", str(exc)[:300]),
                    }
                )
                continue
            partner_notes.write(
                {
                    "state": "sent",
                    "channel": "digest",
                    "mail_id": mail_id,
                    "recipient": partner.email,
                    "sent_at": fields.Datetime.now(),
                }
            )
            partner.logistics_notify_digest_sent_on = today
            sent += 1
        if sent:
            self.env.ref("mail.ir_cron_mail_scheduler_action")._trigger()
        return sent
