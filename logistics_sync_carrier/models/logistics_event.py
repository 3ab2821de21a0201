# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A karrio carrier's scan stored once, polled or pushed.

The polling (``karrio_adapter.to_canonical``) and the carrier's push (mapped by
``lib/push_presets.py``) give a scan the same event id, but not the same details:
karrio writes the location as one line, the push has the city, postal code and
country apart, and so on.  Base's ingestion answers 409 for an id stored with
other content (nothing stored, for the whole batch); on a karrio carrier's
endpoint the scan stored first stands and the other is a duplicate.
"""

from odoo import api, models


class LogisticsEvent(models.Model):
    _inherit = "logistics.event"

    @api.model
    def _ingest(
        self, endpoint, events, raw_single=None, originals=None, hook=None, lock_timeout=None
    ):
        status, body = super()._ingest(
            endpoint,
            events,
            raw_single=raw_single,
            originals=originals,
            hook=hook,
            lock_timeout=lock_timeout,
        )
        if status != 409:
            return status, body
        # only here (rare): whether the endpoint is a karrio carrier's
        if endpoint.sudo().carrier_protocol != "karrio":
            return status, body
        conflicts = [detail["event_id"] for detail in body["error"]["details"]]
        stored = self._stored_hashes(endpoint, conflicts)
        missing = [ext_id for ext_id in conflicts if ext_id not in stored]
        if missing:  # stored by a transaction our snapshot cannot see
            stored.update(self._committed_hashes(endpoint, missing))
        if not stored:  # one id twice in the request itself: the sender's to fix
            return status, body
        keep = [index for index, event in enumerate(events) if event["event_id"] not in stored]
        statuses = {}
        if keep:
            status, body = super()._ingest(
                endpoint,
                [events[index] for index in keep],
                raw_single=raw_single if len(keep) == len(events) else None,
                originals=[originals[index] for index in keep] if originals else None,
                hook=hook,
                lock_timeout=lock_timeout,
            )
            if status not in (200, 202):
                return status, body
            statuses = dict(zip(keep, body["events"], strict=True))
        else:
            status, body = 200, {"status": "duplicate"}
        body["events"] = [
            statuses.get(index) or {"event_id": event["event_id"], "status": "duplicate"}
            for index, event in enumerate(events)
        ]
        return status, body
