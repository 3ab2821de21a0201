# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The same notification by text message, when the kind opts in: its own line in the
transfer's record (channel SMS), sent or skipped with its reason."""

import logging

import psycopg2

from odoo import fields, models

_logger = logging.getLogger(__name__)


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _logistics_notify_send(self, note):
        result = super()._logistics_notify_send(note)
        kind = self.env["logistics.notify.kind"].search([("code", "=", note.kind)])
        if kind.sms_enabled and kind.sms_template_id and note.state != "digest":
            self._logistics_notify_sms(note, kind.sms_template_id)
        return result

    def _logistics_notify_sms(self, note, template):
        self.ensure_one()
        Notification = self.env["logistics.notification"]
        partner = self.partner_id
        number, problem = partner._logistics_sms_number() if partner else (None, "no_partner")
        vals = {
            "picking_id": self.id,
            "kind": note.kind,
            "channel": "sms",
            "partner_id": partner.id,
            "event_id": note.event_id.id,
            "recipient": number or partner.mobile or partner.phone or False,
        }
        if problem:
            Notification.create(
                dict(
                    vals,
                    state="skipped",
                    reason_code=problem,
                    reason=Notification._reason_text(problem),
                )
            )
            return
        try:
            with self.env.cr.savepoint():
                body = template._render_field("body", self.ids, compute_lang=True)[self.id]
                sms = self.env["sms.sms"].create(
                    {"number": number, "body": body, "partner_id": partner.id, "state": "outgoing"}
                )
        except psycopg2.OperationalError:
            raise
        except Exception as exc:  # noqa: BLE001 - a template a user broke never stops the pipeline
            _logger.info("SMS of %s not rendered: %s", self.name, exc.__class__.__name__)
            Notification.create(
                dict(
                    vals,
                    state="skipped",
                    reason_code="render_failed",
                    reason=Notification._reason_text("render_failed", str(exc)[:300]),
                )
            )
            return
        Notification.create(
            dict(
                vals, state="sent", sms_id=sms.id, sent_at=fields.Datetime.now(), reason=note.reason
            )
        )
        self.env.ref("sms.ir_cron_sms_scheduler_action")._trigger()
