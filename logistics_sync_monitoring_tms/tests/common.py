# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from odoo.tests import new_test_user

from odoo.addons.logistics_sync_monitoring.tests.common import T0, MonitoringCommon


class MonitoringTmsCommon(MonitoringCommon):
    @classmethod
    def _setup_monitoring_tms(cls):
        cls._setup_monitoring()
        cls.clerk = new_test_user(
            cls.env,
            login="ls_mon_tms_clerk",
            groups="stock.group_stock_user,logistics_sync_base.group_logistics_sync_user",
        )
        cls.Release = cls.env["logistics.tms.release"].sudo()

    def _release(self, picking, state, sent_at=T0):
        release = picking.tms_release_id or self.Release.create(
            {"name": picking.name, "picking_id": picking.id, "endpoint_id": self.endpoint.id}
        )
        release.write({"state": state, "sent_at": sent_at, "endpoint_id": self.endpoint.id})
        picking.sudo().tms_release_id = release
        return release

    def _tms_answer(self, picking, status, at):
        """An applied answer of the TMS for ``picking``, as the TMS addon stores it."""
        payload = json.dumps({"status": status, "version": 1, "tms_ref": "TMS-1"})
        return (
            self.env["logistics.event"]
            .sudo()
            .create(
                {
                    "endpoint_id": self.endpoint.id,
                    "external_id": f"{picking.name}-{status}",
                    "shipment_ref": picking.name,
                    "event_type": "tms_update",
                    "occurred_at": at,
                    "received_at": at,
                    "payload": payload,
                    "payload_hash": str(hash(payload)),
                    "state": "applied",
                    "picking_id": picking.id,
                    "applied_at": at,
                }
            )
        )

    def _search(self, field, pickings):
        return (
            self.env["stock.picking"]
            .with_user(self.clerk)
            .search([(field, "=", True), ("id", "in", pickings.ids)])
        )
