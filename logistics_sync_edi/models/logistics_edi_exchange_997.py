# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""997 in (the partner acknowledges what we sent) and the overdue acknowledgement
(997 or CONTRL) activity."""

from odoo import api, fields, models

from ..lib import x12, x12ack
from ..lib.errors import EdiApplicationError


def _int_text(value):
    value = (value or "").strip()
    return str(int(value)) if value.isdigit() else value


class LogisticsEdiExchange(models.Model):
    _inherit = "logistics.edi.exchange"  # pylint: disable=consider-merging-classes-inherited

    def _edi_apply_997(self, context):
        """Mark the outbound exchange of each acknowledged group accepted or rejected."""
        now = fields.Datetime.now()
        ak1 = next(s for s in context.transaction_set.body if s.tag == "AK1")
        for group in x12ack.read_997(context.transaction_set):
            target = self.search(
                [
                    ("endpoint_id", "=", context.endpoint.id),
                    ("direction", "=", "out"),
                    ("standard", "=", "x12"),
                    ("group_control", "=", _int_text(group["group_control"])),
                    ("doc_type", "not in", ("997", "TA1")),
                ],
                limit=1,
            )
            if not target:
                raise EdiApplicationError(
                    f"This 997 acknowledges functional group {group['group_control']} "
                    f"({group['functional_id']}), which was never sent to this partner.",
                    position=ak1.position,
                    segment_id="AK1",
                    element=2,
                )
            status = group["status"] or "rejected"
            values = {
                "ack_status": status,
                "ack_exchange_id": context.exchange.id,
                "acknowledged_at": now,
            }
            target.activity_unlink(["logistics_sync_edi.mail_activity_edi_ack_overdue"])
            if status == "accepted":
                target.error_ids.unlink()
                values.update(state="acknowledged", error_summary=False)
                target.write(values)
                continue
            lines = [
                {
                    "level": "acknowledgement",
                    "group_control": group["group_control"],
                    "set_control": ack_set["control"],
                    "message": self.env._(
                        "The partner %(verb)s set %(set_id)s %(control)s: %(errors)s",
                        verb="rejected" if ack_set["status"] == "rejected" else "accepted",
                        set_id=ack_set["set_id"],
                        control=ack_set["control"],
                        errors="; ".join(ack_set["errors"]) or "-",
                    ),
                }
                for ack_set in group["sets"]
                if ack_set["status"] != "accepted" or ack_set["errors"]
            ] + [
                {"level": "acknowledgement", "group_control": group["group_control"], "message": e}
                for e in group["errors"]
            ]
            if not lines:
                lines = [
                    {
                        "level": "acknowledgement",
                        "group_control": group["group_control"],
                        "message": self.env._("The partner rejected the functional group."),
                    }
                ]
            target._set_errors(lines)
            target.write(values)
            target.message_post(
                body=self.env._(
                    "The partner's 997 (%(ack)s) %(status)s this interchange.",
                    ack=context.exchange.name,
                    status=dict(target._fields["ack_status"].selection)[status],
                )
            )

    def _edi_apply_ta1(self, segment):
        """The partner's TA1 about one of our interchanges: a rejection puts it in
        error with the note code's meaning. Returns an X12Error when it refers to an
        interchange never sent, else None."""
        control = segment.get(1).strip()
        target = self.search(
            [
                ("endpoint_id", "=", self.endpoint_id.id),
                ("direction", "=", "out"),
                ("standard", "=", "x12"),
                ("interchange_control", "=", control.zfill(9)),
            ],
            limit=1,
        )
        if not target:
            return x12.X12Error(
                f"This TA1 acknowledges interchange {control}, which was never sent to this "
                "partner.",
                position=segment.position,
                segment_id="TA1",
                element=1,
            )
        code = segment.get(5)
        if segment.get(4) != "R":
            target.message_post(
                body=self.env._(
                    "The partner's TA1 (%(ack)s) accepted the interchange.", ack=self.name
                )
            )
            return None
        target._set_errors(
            [
                {
                    "level": "acknowledgement",
                    "code": code,
                    "message": self.env._(
                        "The partner refused the interchange (TA1 note %(code)s: %(text)s).",
                        code=code,
                        text=x12.TA1_TEXT.get(code, "-"),
                    ),
                }
            ]
        )
        target.write(
            {
                "ack_status": "rejected",
                "ack_exchange_id": self.id,
                "acknowledged_at": fields.Datetime.now(),
            }
        )
        target.activity_unlink(["logistics_sync_edi.mail_activity_edi_ack_overdue"])
        return None

    @api.model
    def _cron_edi_overdue_acks(self, limit=500):
        """Outbound interchanges whose acknowledgement (997, CONTRL) is overdue: an
        activity for the partner's responsible, once per exchange."""
        overdue = self.search(
            [
                ("direction", "=", "out"),
                ("ack_status", "=", "pending"),
                ("ack_due_at", "<", fields.Datetime.now()),
            ],
            limit=limit,
            order="ack_due_at",
        )
        for exchange in overdue:
            exchange.ack_status = "overdue"
            exchange.activity_schedule(
                "logistics_sync_edi.mail_activity_edi_ack_overdue",
                summary=self.env._(
                    "No %(ack)s for %(name)s",
                    ack="CONTRL" if exchange.standard == "edifact" else "997",
                    name=exchange.name,
                ),
                note=self.env._(
                    "%(partner)s has not acknowledged %(name)s (due %(due)s). Check the "
                    "partner's mailbox, then send it again.",
                    partner=exchange.endpoint_id.name,
                    name=exchange.name,
                    due=exchange.ack_due_at,
                ),
                user_id=exchange.endpoint_id._responsible_users()[:1].id,
            )
        self.env["ir.cron"]._notify_progress(done=len(overdue), remaining=0)
        return overdue
