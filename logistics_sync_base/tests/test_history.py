# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Event history is immutable outside the pipeline and its actions (replay, discard)."""

import xmlrpc.client

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import LogisticsCommon, event


@tagged("post_install", "-at_install")
class TestHistoryOverRpc(LogisticsCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()
        cls.picking = cls._make_picking()
        cls.manager = new_test_user(
            cls.env,
            "ls_rpc_manager",
            groups="base.group_user,logistics_sync_base.group_logistics_sync_manager",
        )
        cls.env["logistics.event"]._ingest(
            cls.endpoint, [event("rpc-1", cls.picking.name, "booked")]
        )
        cls.dead = cls.env["logistics.event"].search([("external_id", "=", "rpc-1")])
        cls.dead.write({"state": "dead", "attempts": 5, "last_error": "carrier said no"})

    def _rpc(self, method, *args):
        uid = self.xmlrpc_common.authenticate(
            self.env.cr.dbname, "ls_rpc_manager", "ls_rpc_manager", {}
        )
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, uid, "ls_rpc_manager", "logistics.event", method, list(args)
        )

    def _snapshot(self):
        self.dead.invalidate_recordset()
        return self.dead.read(["state", "attempts", "applied_at", "last_error", "picking_id"])[0]

    @mute_logger("odoo.http")
    def test_manager_cannot_rewrite_processing_state_over_rpc(self):
        before = self._snapshot()
        for vals in (
            {"state": "applied"},
            {"attempts": 0},
            {"applied_at": "2026-11-26 08:00:00"},
            {"last_error": False},
            {"picking_id": False},
        ):
            with self.assertRaises(xmlrpc.client.Fault) as caught:
                self._rpc("write", [self.dead.id], vals)
            self.assertIn("changes only through the pipeline", caught.exception.faultString)
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self._rpc("write", [self.dead.id], {"milestone": "delivered"})
        self.assertIn("immutable", caught.exception.faultString)
        self.assertEqual(self._snapshot(), before, "nothing changed")

    def test_manager_replays_through_the_action(self):
        self._rpc("action_replay", [self.dead.id])
        self.dead.invalidate_recordset()
        self.assertEqual(self.dead.state, "received")
        self.assertEqual(self.dead.replay_count, 1)
        self.assertEqual(self.dead.replayed_by_id, self.manager)
