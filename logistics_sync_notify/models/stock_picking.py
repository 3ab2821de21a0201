# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Customer notifications of a transfer: triggered where base APPLIES an event,
sent by a debounce job that reads the transfer's state when it runs.

Base decides what is applied (duplicates never get here, superseded and
out-of-order events are not applied, events waiting for the dispatch wait);
``kinds.plan`` decides which one message a burst sends and why not the others.
"""

import logging
from datetime import timedelta

import psycopg2

from odoo import Command, api, fields, models
from odoo.tools import SQL

from ..lib import kinds
from odoo.addons.logistics_sync_base.lib.locks import (
    CONFLICT_RETRY_SECONDS,
    SnapshotConflict,
    locking,
)
from odoo.addons.queue_job.exception import RetryableJobError

_logger = logging.getLogger(__name__)

CHANNEL = "root.logistics_sync_notify"
# the transaction's applied events waiting to be looked at (cr.precommit.data)
STASH = "logistics_sync_notify.applied"


class StockPicking(models.Model):
    _inherit = "stock.picking"

    logistics_notification_ids = fields.One2many(
        "logistics.notification",
        "picking_id",
        string="Customer notifications",
        readonly=True,
    )
    logistics_late_notified = fields.Boolean(
        string="Customer told of a delay",
        copy=False,
        readonly=True,
        help="Set when the planned delivery passed without a delivery and the "
        "customer was warned (once per transfer).",
    )

    # ------------------------------------------------------------ trigger
    def _logistics_apply(self, event):
        old_milestone, old_eta = self.logistics_milestone, self.logistics_eta
        res = super()._logistics_apply(event)
        self._logistics_notify_applied(event, old_milestone, old_eta)
        return res

    def _logistics_notify_applied(self, event, old_milestone, old_eta):
        """An event was applied to this transfer: note what it may tell the customer.

        Collected for the transaction and recorded at its next flush (a savepoint's
        or the commit's, ``_logistics_notify_flush``): one insert of notifications
        and one job per transfer for a whole processing batch."""
        self.ensure_one()
        if self.picking_type_code != "outgoing":
            return
        found = kinds.trigger(event.milestone, old_milestone, old_eta, self.logistics_eta)
        if not found:
            return
        precommit = self.env.cr.precommit
        stash = precommit.data.get(STASH)
        if stash is None:
            stash = precommit.data[STASH] = []
            env = self.env
            precommit.add(lambda: env["stock.picking"]._logistics_notify_flush())
        stash.append((self.id, event.id, found))

    @api.model
    def _logistics_notify_flush(self):
        """Record the notifications the applied events of this transaction trigger and
        make sure each transfer has its debounce job.

        An event whose savepoint was rolled back is no longer applied: it triggers
        nothing (the state is read from the database)."""
        stash = self.env.cr.precommit.data.pop(STASH, None)
        if not stash:
            return
        event_ids = tuple({event_id for _picking, event_id, _found in stash})
        self.env.cr.execute(
            SQL("SELECT id FROM logistics_event WHERE id IN %s AND state = 'applied'", event_ids)
        )
        applied = {row[0] for row in self.env.cr.fetchall()}
        # sudo: the pipeline (a webhook, a job, a stock user's validation) records
        # what the customer is due; the log is read-only for users
        Picking, Event = self.sudo(), self.env["logistics.event"].sudo()
        labels = dict(self.env["logistics.notification"]._fields["kind"].selection)
        enabled_for, seen, vals = {}, set(), []
        for picking_id, event_id, found in stash:
            if event_id not in applied:
                continue
            picking, event = Picking.browse(picking_id), Event.browse(event_id)
            key = (picking.carrier_id.id, event.endpoint_id.id, picking.company_id.id)
            if key not in enabled_for:
                enabled_for[key] = picking._logistics_notify_kinds(event.endpoint_id)
            for kind in found:
                if kind not in enabled_for[key] or (event_id, kind) in seen:
                    continue
                seen.add((event_id, kind))
                vals.append(picking._logistics_notify_values(kind, event=event, label=labels[kind]))
        if vals:
            self.env["logistics.notification"].sudo().create(vals)
            Picking.browse([v["picking_id"] for v in vals])._logistics_notify_enqueue()
        self.env.flush_all()  # after the ORM's own flush: write what was created here

    def _logistics_notify_kinds(self, endpoint=None):
        """The notification codes switched on for this transfer: its delivery method's
        own list, else the endpoint's, else the company's."""
        self.ensure_one()
        # sudo: configuration, read for whoever's job applies the event
        for source in (self.sudo().carrier_id, (endpoint or self.env["logistics.endpoint"]).sudo()):
            if source and source.logistics_notify_policy == "none":
                return set()
            if source and source.logistics_notify_policy == "custom":
                return set(source.logistics_notify_kind_ids.mapped("code"))
        return set(self.sudo().company_id.logistics_notify_kind_ids.mapped("code"))

    def _logistics_notify_values(self, kind, event=None, reason=None, label=None):
        self.ensure_one()
        if not reason and event:
            reason = self.env._(
                "%(kind)s: event %(event)s from %(endpoint)s",
                kind=label or kind,
                event=event.external_id,
                endpoint=event.endpoint_id.name,
            )
        return {
            "picking_id": self.id,
            "kind": kind,
            "event_id": event.id if event else False,
            "partner_id": self.partner_id.id,
            "reason": reason or label or kind,
        }

    def _logistics_notify_queue(self, kind, event=None, reason=None):
        """Record a pending notification now and make sure a debounce job sends it."""
        self.ensure_one()
        picking = self.sudo()  # sudo: as in _logistics_notify_flush
        labels = dict(self.env["logistics.notification"]._fields["kind"].selection)
        self.env["logistics.notification"].sudo().create(
            picking._logistics_notify_values(kind, event=event, reason=reason, label=labels[kind])
        )
        picking._logistics_notify_enqueue()

    def _logistics_notify_enqueue(self):
        """One debounce job per transfer (identity key): queued unless one waits."""
        keys = {f"logistics-notify-{picking.id}": picking for picking in self}
        waiting = set(
            self.env["queue.job"]
            .sudo()
            .search(
                [
                    ("identity_key", "in", list(keys)),
                    ("state", "in", ("wait_dependencies", "pending", "enqueued")),
                ]
            )
            .mapped("identity_key")
        )
        for key, picking in keys.items():
            if key in waiting:
                continue
            delay = max(0, picking.company_id.logistics_notify_debounce_seconds)
            picking.with_context(
                tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True
            ).with_delay(
                eta=timedelta(seconds=delay) if delay else None,
                channel=CHANNEL,
                identity_key=key,
                description=f"Logistics Sync: notify the customer of {picking.name}",
            )._job_logistics_notify()

    # ------------------------------------------------------------ sending
    def _job_logistics_notify(self):
        """Send the one message due for this transfer's pending notifications."""
        self.ensure_one()
        picking = self.sudo()  # sudo: pipeline work for the transfer it was queued for
        try:
            locking(
                self.env.cr,
                SQL("SELECT id FROM stock_picking WHERE id = %s FOR NO KEY UPDATE", picking.id),
            )
        except SnapshotConflict as exc:
            raise RetryableJobError(
                f"transfer {picking.name} changed meanwhile ({exc})",
                seconds=CONFLICT_RETRY_SECONDS,
                ignore_retry=True,
            ) from None
        picking.invalidate_recordset()
        notes = picking.logistics_notification_ids.sorted("id")
        pending = notes.filtered(lambda n: n.state == "pending")
        if not pending:
            return "nothing pending"
        done = notes.filtered(lambda n: n.state in ("sent", "digest")).mapped("kind")
        chosen, reasons = kinds.plan(pending.mapped("kind"), picking.logistics_milestone, done)
        main = pending.filtered(lambda n: n.kind == chosen)[-1:]
        Notification = self.env["logistics.notification"]
        for note in pending - main:
            code = reasons.get(note.kind, "merged")
            note.write(
                {"state": "skipped", "reason_code": code, "reason": Notification._reason_text(code)}
            )
        if not main:
            return f"{len(pending)} notifications skipped"
        return picking._logistics_notify_send(main)

    def _logistics_notify_send(self, note):
        """Email one notification to the transfer's customer, or say why not."""
        self.ensure_one()
        Notification = self.env["logistics.notification"]
        partner = self.partner_id
        problem = partner._logistics_email_problem() if partner else "no_partner"
        template = self.env["logistics.notify.kind"].search([("code", "=", note.kind)]).template_id
        if not problem and not template:
            problem = "no_template"
        vals = {"partner_id": partner.id, "recipient": partner.email or False}
        if problem:
            note.write(
                dict(
                    vals,
                    state="skipped",
                    reason_code=problem,
                    reason=Notification._reason_text(problem),
                )
            )
            return f"skipped: {problem}"
        if partner.logistics_notify_digest:
            note.write(dict(vals, state="digest", channel="digest"))
            return "kept for the digest"
        try:
            with self.env.cr.savepoint():
                mail_id = template.send_mail(
                    self.id,
                    force_send=False,
                    email_values={"recipient_ids": [Command.set(partner.ids)]},
                )
        except psycopg2.OperationalError:
            raise  # lock / serialization problems: the job is retried
        except Exception as exc:  # noqa: BLE001 - a template a user broke never stops the pipeline
            _logger.info("Notification of %s not rendered: %s", self.name, exc.__class__.__name__)
            note.write(
                dict(
                    vals,
                    state="skipped",
                    reason_code="render_failed",
                    reason=Notification._reason_text("render_failed", str(exc)[:300]),
                )
            )
            return "skipped: render_failed"
        note.write(
            dict(
                vals,
                state="sent",
                channel="email",
                mail_id=mail_id,
                sent_at=fields.Datetime.now(),
            )
        )
        # the mail queue runs hourly: wake it up (as event registrations do)
        self.env.ref("mail.ir_cron_mail_scheduler_action")._trigger()
        return f"email queued ({note.kind})"

    # ------------------------------------------------------------ delays
    @api.model
    def _cron_logistics_notify_late(self, limit=500):
        """Transfers on their way whose planned delivery passed: warn the customer
        once and give customer service an exception activity."""
        now = fields.Datetime.now()
        domain = [
            ("picking_type_code", "=", "outgoing"),
            ("state", "!=", "cancel"),
            ("logistics_late_notified", "=", False),
            ("logistics_milestone", "!=", False),
            ("logistics_milestone", "not in", list(kinds.FINISHED)),
            "|",
            ("logistics_eta", "<", now),
            "&",
            ("logistics_eta", "=", False),
            # a promise made to the customer; a transfer's own deadline is often just
            # the order's date (no lead time) and would make every transfer late
            ("sale_id.commitment_date", "<", now),
        ]
        late = self.search(domain, limit=limit, order="id")
        for picking in late:
            picking.logistics_late_notified = True
            planned = picking.logistics_planned_delivery
            if "delayed" in picking._logistics_notify_kinds():
                picking._logistics_notify_queue(
                    "delayed",
                    reason=self.env._(
                        "Planned delivery %(planned)s UTC passed without a delivery",
                        planned=planned,
                    ),
                )
            picking._logistics_late_activity(planned)
        remaining = self.search_count(domain) if len(late) == limit else 0
        self.env["ir.cron"]._notify_progress(done=len(late), remaining=remaining)

    def _logistics_late_activity(self, planned):
        """The exception activity base schedules for a carrier's delay, for the
        transfer's responsible (else its order's salesperson, else the admin)."""
        self.ensure_one()
        user = self.user_id or self.sale_id.user_id or self.env.ref("base.user_admin")
        self.activity_schedule(
            "logistics_sync_base.mail_activity_logistics_exception",
            summary=self.env._("Late delivery: %(ref)s", ref=self.name),
            note=self.env._(
                "The planned delivery (%(planned)s UTC) passed and the carrier reported no "
                "delivery.",
                planned=planned,
            ),
            user_id=user.id,
        )
        self.write(
            {
                "logistics_exception": True,
                "logistics_exception_reason": self.env._("Planned delivery passed"),
            }
        )
