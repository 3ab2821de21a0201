# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import Form, TransactionCase, tagged

from .common import LogisticsCommon, event
from odoo.addons.queue_job.tests.common import trap_jobs


@tagged("post_install", "-at_install")
class TestDeadLetters(LogisticsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()
        cls.picking = cls._make_picking()

    def _dead(self, event_id, ref=None):
        dead = self._ingest(event(event_id, ref or self.picking.name, "picked_up", 1))
        dead.write({"state": "dead", "attempts": 5, "last_error": "carrier said no"})
        return dead

    def test_replay_selection_applies_and_records_who(self):
        first, second = self._dead("dl-1"), self._dead("dl-2", self._make_picking().name)
        with trap_jobs() as trap:
            result = (first | second).action_replay()
            trap.assert_jobs_count(1)
            self.assertEqual(trap.enqueued_jobs[0].channel, self.endpoint.channel_name)
            trap.perform_enqueued_jobs()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual((first | second).mapped("state"), ["applied", "applied"])
        self.assertEqual(first.replayed_by_id, self.env.user)
        self.assertTrue(first.replayed_at)
        self.assertEqual(first.attempts, 0)
        self.assertIn("Replayed", first.message_ids[0].body)

    def test_replaying_an_applied_event_changes_nothing(self):
        applied = self._ingest(event("dl-3", self.picking.name, "booked", 1))
        self._process_pending()
        self.assertEqual(applied.state, "applied")
        messages = len(self.picking.message_ids)
        applied_at = applied.applied_at
        with trap_jobs() as trap:
            result = applied.action_replay()
            trap.assert_jobs_count(0)
        self.assertEqual(result["params"]["type"], "warning")
        self.assertEqual(applied.state, "applied")
        self.assertEqual(applied.applied_at, applied_at)
        self.assertEqual(applied.replay_count, 0)
        self.assertEqual(len(self.picking.message_ids), messages)

    def test_discard_with_reason(self):
        dead = self._dead("dl-4")
        wizard = Form(self.env["logistics.event.discard"].with_context(active_ids=dead.ids))
        wizard.reason = "Carrier test message"
        wizard.save().action_discard()
        self.assertEqual(dead.state, "discarded")
        self.assertEqual(dead.discard_reason, "Carrier test message")
        self.assertEqual(dead.discarded_by_id, self.env.user)
        self.assertIn("Carrier test message", dead.message_ids[0].body)

    def test_dead_letter_view_lists_only_dead_events(self):
        dead = self._dead("dl-5")
        self._ingest(event("dl-6", self.picking.name, "booked", 1))
        action = self.env.ref("logistics_sync_base.logistics_event_dead_action")
        found = self.env["logistics.event"].search(eval(action.domain))  # noqa: S307 - own XML data
        self.assertEqual(found, dead)
