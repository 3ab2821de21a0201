# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from markupsafe import Markup

from odoo import api, fields, models

from ..fields import BigInteger
from ..lib import milestones


class StockPicking(models.Model):
    _inherit = "stock.picking"

    logistics_milestone = fields.Selection(
        milestones.SELECTION,
        string="Logistics milestone",
        copy=False,
        index=True,
        readonly=True,
        tracking=False,
        help="Current milestone reported by carriers and TMS; it never moves backwards.",
    )
    logistics_milestone_at = fields.Datetime(
        string="Milestone time", copy=False, readonly=True, help="When it happened at the source."
    )
    logistics_sequence = BigInteger(copy=False, readonly=True)
    logistics_external_ref = fields.Char(
        string="External shipment reference",
        copy=False,
        index="btree_not_null",
        help="The reference a TMS, 3PL or carrier uses for this transfer, if not its name "
        "or tracking number.",
    )
    logistics_sync_state = fields.Selection(
        [
            ("none", "No events"),
            ("synced", "In sync"),
            ("waiting", "Waiting"),
            ("error", "Error"),
        ],
        string="Sync state",
        compute="_compute_logistics_sync_state",
        # from events, which only Logistics Sync users may read: computed as the
        # superuser so that whoever touches a transfer or an event gets it right,
        # and stored, so everyone who reads the transfer reads the status
        compute_sudo=True,
        store=True,
    )
    logistics_last_event_at = fields.Datetime(
        string="Last event received", copy=False, readonly=True
    )
    logistics_lag_seconds = fields.Float(
        string="Sync lag (s)", copy=False, readonly=True, help="Received minus occurred."
    )
    logistics_exception = fields.Boolean(
        string="Logistics exception", copy=False, readonly=True, index=True
    )
    logistics_exception_reason = fields.Char(string="Exception reason", copy=False, readonly=True)
    logistics_eta = fields.Datetime(string="Carrier ETA", copy=False, readonly=True)
    logistics_pod_signed_by = fields.Char(string="POD signed by", copy=False, readonly=True)
    logistics_event_ids = fields.One2many(
        "logistics.event",
        "picking_id",
        string="Logistics events",
        readonly=True,
        # the events themselves (payloads, errors) are for Logistics Sync users;
        # others get the status fields above
        groups="logistics_sync_base.group_logistics_sync_user",
    )
    logistics_event_count = fields.Integer(
        string="Sync events",
        compute="_compute_logistics_event_count",
        # a number, no content: counted as the superuser so that reading every field
        # of a transfer (an export, read() without field names) works for anyone
        # who may read the transfer
        compute_sudo=True,
    )

    @api.depends("logistics_event_ids.state", "logistics_milestone")
    def _compute_logistics_sync_state(self):
        for picking in self:
            states = set(picking.logistics_event_ids.mapped("state"))
            if not states:
                picking.logistics_sync_state = "none"
            elif states & {"dead", "failed"}:
                picking.logistics_sync_state = "error"
            elif states & {"waiting", "received"}:
                picking.logistics_sync_state = "waiting"
            else:
                picking.logistics_sync_state = "synced"

    def _compute_logistics_event_count(self):
        counts = dict(
            self.env["logistics.event"]._read_group(
                [("picking_id", "in", self.ids)], ["picking_id"], ["__count"]
            )
        )
        for picking in self:
            picking.logistics_event_count = counts.get(picking, 0)

    # ------------------------------------------------------------ resolution
    @api.model
    def _logistics_find(self, company, shipment_ref, tracking_ref=None):
        """The transfer of ``company`` an external reference designates, or an empty set.

        Name first, then the external reference, then the tracking number.
        """
        base = [("company_id", "=", company.id)]
        for domain in (
            [("name", "=", shipment_ref)],
            [("logistics_external_ref", "=", shipment_ref)],
            [("carrier_tracking_ref", "=", shipment_ref)],
            [("carrier_tracking_ref", "=", tracking_ref)] if tracking_ref else None,
        ):
            if domain is None:
                continue
            found = self.search(base + domain, limit=1, order="id desc")
            if found:
                return found
        return self.browse()

    def _logistics_position(self):
        self.ensure_one()
        if not self.logistics_milestone:
            return None
        return {
            "milestone": self.logistics_milestone,
            "occurred_at": self.logistics_milestone_at,
            "sequence": self.logistics_sequence or None,
        }

    # ------------------------------------------------------------- updates
    def _logistics_touch_values(self, event):
        """What records that an event about this transfer arrived."""
        self.ensure_one()
        if not self.logistics_last_event_at or event.received_at >= self.logistics_last_event_at:
            return {
                "logistics_last_event_at": event.received_at,
                "logistics_lag_seconds": event.lag_seconds,
            }
        return {}

    def _logistics_touch(self, event):
        """Record that an event about this transfer arrived (without applying it)."""
        self._logistics_write(self._logistics_touch_values(event))

    def _logistics_write(self, vals):
        """Write the values that change: an unchanged value written again would still
        recompute what depends on it (the sync state, the sales order's status)."""
        changed = {name: value for name, value in vals.items() if self[name] != value}
        if changed:
            self.write(changed)

    def _logistics_apply(self, event):
        """Apply one event the ordering rules accepted."""
        self.ensure_one()
        vals = {}
        if milestones.moves_shipment(event.milestone):
            vals.update(
                logistics_milestone=event.milestone,
                logistics_milestone_at=event.occurred_at,
                logistics_sequence=event.sequence,
            )
            if event.milestone == "delivered":
                vals.update(logistics_exception=False, logistics_exception_reason=False)
        if event.eta:
            vals["logistics_eta"] = event.eta
        if event.tracking_ref and not self.carrier_tracking_ref:
            vals["carrier_tracking_ref"] = event.tracking_ref
        if event.milestone == "pod_received":
            vals["logistics_pod_signed_by"] = event.pod_signed_by
            document = event._pod_document()
            if document:
                data, mimetype = document
                extension = {"image/png": "png", "image/jpeg": "jpg"}.get(mimetype, "pdf")
                self.env["ir.attachment"].create(
                    {
                        "name": f"POD-{self.name.replace('/', '_')}.{extension}",
                        "raw": data,
                        "mimetype": mimetype,
                        "res_model": self._name,
                        "res_id": self.id,
                    }
                )
        vals.update(self._logistics_touch_values(event))
        self._logistics_write(vals)
        self._logistics_post(event)
        if event.milestone in milestones.ALERTING:
            reason = event.reason or dict(milestones.SELECTION)[event.milestone]
            self.write({"logistics_exception": True, "logistics_exception_reason": reason})
            self._logistics_alert(event, reason)

    def _logistics_post(self, event):
        """The event in the transfer's chatter.  Inside a processing job the notes of
        one transfer are collected (context ``logistics_notes``) and posted at the
        end: one message per job and transfer, not per event."""
        notes = self.env.context.get("logistics_notes")
        if notes is not None:
            notes.setdefault(self.id, []).append(event)
            return
        self._logistics_post_notes(event)

    def _logistics_post_notes(self, events):
        self._logistics_post_batch({self.id: events})

    @api.model
    def _logistics_post_batch(self, notes):
        """One chatter note per transfer ({transfer id: events}), created at once."""
        bodies = {
            picking_id: self._logistics_note_body(events)
            for picking_id, events in notes.items()
            if events
        }
        if bodies:
            # signed as OdooBot (webhooks run as the public user); a note, as
            # message_post(subtype mail.mt_note) makes, without its per-message work
            self.browse(list(bodies))._message_log_batch(
                bodies,
                author_id=self.env.ref("base.partner_root").id,
                message_type="comment",
            )

    @api.model
    def _logistics_note_body(self, events):
        labels = dict(milestones.SELECTION)
        parts = []
        for event in events:
            where = ", ".join(p for p in (event.location_city, event.location_country_code) if p)
            line = [Markup("<b>%s</b>") % labels[event.milestone]]
            if where:
                line.append(Markup(" — %s") % where)
            if event.reason:
                line.append(Markup(" — %s") % event.reason)
            line.append(
                Markup("<br/><small>%s</small>")
                % self.env._(
                    "%(endpoint)s, event %(event)s, occurred %(when)s UTC",
                    endpoint=event.endpoint_id.name,
                    event=event.external_id,
                    when=event.occurred_at,
                )
            )
            parts.append(Markup("").join(line))
        return Markup("<br/>").join(parts)

    def _logistics_alert(self, event, note):
        """Schedule an exception activity for the endpoint's responsible people."""
        self.ensure_one()
        endpoint = event.endpoint_id
        self.activity_schedule(
            "logistics_sync_base.mail_activity_logistics_exception",
            summary=self.env._(
                "%(milestone)s: %(ref)s",
                milestone=dict(milestones.SELECTION)[event.milestone],
                ref=self.name,
            ),
            note=note,
            user_id=endpoint._responsible_users()[:1].id,
        )

    # ------------------------------------------------------------- hooks
    def _action_done(self):
        res = super()._action_done()
        # sudo: whoever validates (an Inventory / User in no Logistics Sync group)
        # releases the events of these transfers that waited for the dispatch; only
        # the ids are looked up here, and the processing job does pipeline work
        waiting = (
            self.env["logistics.event"]
            .sudo()
            .search(
                [
                    ("picking_id", "in", self.ids),
                    ("state", "=", "waiting"),
                    ("wait_reason", "=", "needs_dispatch"),
                ]
            )
        )
        if waiting:
            # The dispatch is registered now: apply what waited for it.
            waiting._enqueue_process("Logistics Sync: apply events that waited for the dispatch")
        return res

    @api.model_create_multi
    def create(self, vals_list):
        pickings = super().create(vals_list)
        pickings._logistics_wake_unknown()
        return pickings

    def write(self, vals):
        res = super().write(vals)
        if "carrier_tracking_ref" in vals or "logistics_external_ref" in vals:
            self._logistics_wake_unknown()
        return res

    def _logistics_wake_unknown(self):
        """Events that waited for an unknown reference these transfers now carry."""
        refs = set()
        for picking in self:
            refs.update(
                r
                for r in (
                    picking.name,
                    picking.carrier_tracking_ref,
                    picking.logistics_external_ref,
                )
                if r
            )
        if not refs:
            return
        # sudo: a transfer created or given a reference by a user in no Logistics
        # Sync group must still wake the events that waited for it; the search is
        # limited to the transfers' companies and references, and the job that
        # applies them is pipeline work
        waiting = (
            self.env["logistics.event"]
            .sudo()
            .search(
                [
                    ("state", "=", "waiting"),
                    ("wait_reason", "=", "unknown_ref"),
                    ("company_id", "in", self.company_id.ids),
                    "|",
                    ("shipment_ref", "in", list(refs)),
                    ("tracking_ref", "in", list(refs)),
                ]
            )
        )
        if waiting:
            waiting._enqueue_process("Logistics Sync: apply events for a transfer that appeared")

    def action_logistics_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync_base.logistics_event_action"
        )
        action["domain"] = [("picking_id", "=", self.id)]
        action["context"] = {}
        return action
