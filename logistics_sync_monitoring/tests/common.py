# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import datetime

from odoo.tests import freeze_time

from odoo.addons.logistics_sync_base.tests.common import LogisticsCommon, event

# Fixed test clock: events occur from 2026-11-26 08:00 UTC (see base's ``event``).
T0 = datetime(2026, 11, 26, 9, 30)


class MonitoringCommon(LogisticsCommon):
    @classmethod
    def _setup_monitoring(cls):
        cls._setup_logistics()
        cls.Kpi = cls.env["logistics.sync.kpi"]
        cls.company.partner_id.tz = "UTC"

    def _feed(self, prefix="k", at=T0, apply_after=60, dead=1, endpoint=None):
        """At ``at``: 2 milestones of a transfer and ``dead`` unknown references;
        processed ``apply_after`` seconds later; the unknown ones then made dead."""
        endpoint = endpoint or self.endpoint
        picking = self._make_picking()
        bodies = [
            event(f"{prefix}-1", picking.name, "booked", 1),
            event(f"{prefix}-2", picking.name, "picked_up", 2),
        ] + [event(f"{prefix}-u{i}", "UNKNOWN-REF", "booked", 3) for i in range(dead)]
        with freeze_time(at):
            events = self._ingest(*bodies, endpoint=endpoint)
        with freeze_time(at.replace(second=apply_after % 60, minute=at.minute + apply_after // 60)):
            self._process_pending(endpoint)
            unknown = events.filtered(lambda e: e.shipment_ref == "UNKNOWN-REF")
            unknown._set_processing({"state": "dead", "last_failure_at": at})
        self.env.flush_all()
        return events

    def _row(self, hour, endpoint=None):
        return self.Kpi.search(
            [("endpoint_id", "=", (endpoint or self.endpoint).id), ("hour", "=", hour)]
        )
