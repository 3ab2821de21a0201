# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""TMS answers (typed event ``tms_update``) applied to releases and their transfers.

Bad answers are never applied silently: an answer for an unknown or cancelled
release, a planned date in the past, an unknown carrier code raise a permanent
error (the event is stored as a dead letter with the reason: visible, replayable).
An answer for an older version, or one that would move the release back (a
duplicate, a late ``accepted`` after ``planned``), is stored as superseded: the
same answer twice changes nothing.
"""

import json

from markupsafe import Markup

from odoo import fields, models

from ..lib import release as release_lib
from odoo.addons.logistics_sync_base.lib.canonical import parse_rfc3339
from odoo.addons.logistics_sync_base.lib.errors import PermanentEventError


def _when(moment):
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


class LogisticsEvent(models.Model):
    _inherit = "logistics.event"

    event_type = fields.Selection(
        selection_add=[("tms_update", "TMS update")], ondelete={"tms_update": "cascade"}
    )

    def _event_type_schemas(self):
        return dict(super()._event_type_schemas(), tms_update=release_lib.UPDATE_SCHEMA_PATH)

    def _process_tms_update(self, picking, now):
        self.ensure_one()
        data = self._typed_payload()
        status, version = data["status"], data["version"]
        release = picking.sudo().tms_release_id
        if not release or (release.tms_ref and data["tms_ref"] != release.tms_ref):
            raise PermanentEventError(
                self.env._(
                    "TMS answer %(status)s for %(ref)s (TMS %(tms)s): no such release in Odoo.",
                    status=status,
                    ref=self.shipment_ref,
                    tms=data["tms_ref"],
                )
            )
        if release.endpoint_id != self.endpoint_id:
            # only the TMS the release was sent to answers for it (its secret signed it)
            raise PermanentEventError(
                self.env._(
                    "TMS answer %(status)s for release %(ref)s refused: the release belongs "
                    "to another endpoint (%(owner)s), this answer was signed with the secret "
                    "of %(endpoint)s.",
                    status=status,
                    ref=release.name,
                    owner=release.endpoint_id.name,
                    endpoint=self.endpoint_id.name,
                )
            )
        if release.state == "cancelled":
            if status == "cancelled":
                return self._tms_superseded(picking, now)  # the same answer again
            raise PermanentEventError(
                self.env._(
                    "TMS answer %(status)s for release %(ref)s, which is cancelled.",
                    status=status,
                    ref=release.name,
                )
            )
        sequence = self.sequence or 0
        # a later planned answer for the same version: the TMS planned it again
        replan = (
            status == "planned"
            and version == release.answer_version
            and release.answer_rank == release_lib.answer_rank("planned")
            and sequence > (release.answer_sequence or 0)
        )
        if (
            status != "cancelled"
            and not replan
            and (
                version < release.sent_version
                or version < release.answer_version
                or (
                    version == release.answer_version
                    and release_lib.answer_rank(status) <= release.answer_rank
                )
            )
        ):
            return self._tms_superseded(picking, now)
        carrier = data.get("carrier")
        if carrier and not release.endpoint_id._tms_known_carrier(carrier):
            raise PermanentEventError(
                self.env._(
                    "TMS answer for %(ref)s names carrier %(carrier)s, not one of the "
                    "endpoint's known carrier codes.",
                    ref=release.name,
                    carrier=carrier,
                )
            )
        values = {
            "answer_version": version,
            "answer_rank": release_lib.answer_rank(status),
            "answer_sequence": sequence,
            "last_answer": json.dumps(data, sort_keys=True)[:2000],
            "ack_alerted": True,  # answered: no timeout activity
        }
        if not release.tms_ref:
            # answered before the call's own answer reached Odoo (lost, or not committed)
            values["tms_ref"] = data["tms_ref"]
        if carrier:
            values["carrier_code"] = carrier
        if data.get("tracking_ref"):
            values["tracking_ref"] = data["tracking_ref"]
        if data.get("load_ref"):
            values["load_ref"] = data["load_ref"]
        if data.get("planned_cost"):
            values["planned_cost"] = json.dumps(data["planned_cost"], sort_keys=True)
        note = None
        if status == "accepted":
            values.update(state="accepted", exception=False, exception_reason=False)
            note = self.env._(
                "TMS accepted release %(ref)s (version %(v)s).", ref=release.name, v=version
            )
        elif status == "rejected":
            reason = data.get("reason") or ""
            values.update(
                state="rejected",
                rejection_reason=reason,
                exception=True,
                exception_reason=reason[:250],
            )
            note = self.env._(
                "TMS rejected release %(ref)s: %(reason)s", ref=release.name, reason=reason
            )
        elif status == "carrier_assigned":
            note = self.env._(
                "TMS assigned carrier %(carrier)s, tracking number %(tracking)s.",
                carrier=carrier or "-",
                tracking=data.get("tracking_ref") or "-",
            )
        elif status == "planned":
            note = self._tms_planned(release, data, values, now, replan)
            if replan and not note:
                return self._tms_superseded(picking, now)  # the same plan again
        else:  # cancelled by the TMS itself
            reason = data.get("reason") or ""
            values.update(state="cancelled", exception=True, exception_reason=reason[:250] or False)
            note = self.env._(
                "TMS cancelled release %(ref)s: %(reason)s", ref=release.name, reason=reason
            )
        release.write(values)
        tracking = data.get("tracking_ref")
        if tracking and not picking.carrier_tracking_ref:
            picking.sudo().with_context(tms_no_touch=True).carrier_tracking_ref = tracking
        picking.sudo().message_post(
            body=Markup("%s") % note,
            author_id=self.env.ref("base.partner_root").id,
        )
        if status in ("rejected", "cancelled") and values.get("exception"):
            release._tms_alert(
                self.env._("TMS %(status)s: %(ref)s", status=status, ref=release.name), note
            )
        return None

    def _tms_planned(self, release, data, values, now, replan=False):
        """Add a ``planned`` answer's windows to ``values``; returns the chatter note
        (old -> new when the release was planned before; None: a re-plan that
        changes nothing, the same plan again)."""
        pickup, delivery = data["planned_pickup"], data["planned_delivery"]
        windows = [parse_rfc3339(w[k]) for w in (pickup, delivery) for k in ("start", "end")]
        if windows[3] < now:
            raise PermanentEventError(
                self.env._(
                    "TMS planned release %(ref)s for delivery by %(date)s, in the past.",
                    ref=release.name,
                    date=delivery["end"],
                )
            )
        values.update(
            state="planned",
            planned_pickup_start=windows[0],
            planned_pickup_end=windows[1],
            planned_delivery_start=windows[2],
            planned_delivery_end=windows[3],
            exception=False,
            exception_reason=False,
        )
        load = data.get("load_ref") or release.load_ref
        first = self.env._(
            "TMS planned release %(ref)s: load %(load)s, pickup %(pickup)s, delivery %(delivery)s.",
            ref=release.name,
            load=load or "-",
            pickup=_when(windows[0]),
            delivery=_when(windows[3]),
        )
        if not release.planned_delivery_end:
            return first
        old = (
            release.planned_pickup_start,
            release.planned_pickup_end,
            release.planned_delivery_start,
            release.planned_delivery_end,
        )
        labels = (
            self.env._("pickup from"),
            self.env._("pickup until"),
            self.env._("delivery from"),
            self.env._("delivery until"),
        )
        changes = [
            f"{label} {_when(before)} → {_when(after)}"
            for label, before, after in zip(labels, old, windows, strict=True)
            if before != after
        ]
        if load != release.load_ref:
            changes.append(f"{self.env._('load')} {release.load_ref or '-'} → {load or '-'}")
        cost = data.get("planned_cost")
        if cost and json.dumps(cost, sort_keys=True) != release.planned_cost:
            changes.append(self.env._("planned cost changed"))
        if not changes:
            return None if replan else first
        return self.env._(
            "TMS re-planned release %(ref)s (version %(v)s): %(changes)s.",
            ref=release.name,
            v=data["version"],
            changes="; ".join(changes),
        )

    def _tms_superseded(self, picking, now):
        self._set_processing({"state": "superseded", "picking_id": picking.id, "processed_at": now})
