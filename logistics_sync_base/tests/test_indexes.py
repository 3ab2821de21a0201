# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The indexes of logistics_event: only those queries need (issue 12), and the
18.0.1.2.0 migration that drops the others from existing databases."""

import importlib.util
from pathlib import Path

from odoo.tests import TransactionCase, tagged

from ..models.logistics_event import DROPPED_INDEXES

MIGRATION = Path(__file__).parent.parent / "migrations" / "18.0.1.2.0" / "post-migrate.py"


@tagged("post_install", "-at_install")
class TestEventIndexes(TransactionCase):
    def _indexes(self):
        self.env.cr.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'logistics_event'")
        return {row[0] for row in self.env.cr.fetchall()}

    def _plan(self, query, params):
        # Whether the planner can use an index at all (not whether it would on this
        # small table): the partial indexes' conditions must follow from the query's.
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        self.env.cr.execute("EXPLAIN " + query, params)
        return "\n".join(row[0] for row in self.env.cr.fetchall())

    def test_only_needed_indexes(self):
        self.assertEqual(
            self._indexes(),
            {
                "logistics_event_pkey",
                "logistics_event_endpoint_external_unique",
                "logistics_event__received_at_index",
                "logistics_event__picking_id_index",
                "logistics_event_open_state_index",
                "logistics_event_waiting_shipment_ref_index",
                "logistics_event_waiting_tracking_ref_index",
            },
        )

    def test_queries_use_partial_indexes(self):
        plan = self._plan(
            "SELECT id FROM logistics_event WHERE endpoint_id = %s AND state = 'received'"
            " ORDER BY occurred_at, sequence NULLS FIRST, id LIMIT 10",
            [1],
        )
        self.assertIn("logistics_event_open_state_index", plan)
        for ref in ("shipment_ref", "tracking_ref"):
            plan = self._plan(
                "SELECT id FROM logistics_event WHERE state = 'waiting'"
                f" AND wait_reason = 'unknown_ref' AND {ref} IN %s",
                [("A", "B")],
            )
            # any partial index holding only unfinished events serves (all are small)
            self.assertRegex(
                plan,
                r"logistics_event_(waiting_(shipment|tracking)_ref|open_state)_index",
            )

    def test_migration_drops_old_indexes(self):
        for name in DROPPED_INDEXES:
            self.env.cr.execute(f'CREATE INDEX "{name}" ON logistics_event (id)')
        self.assertLessEqual(set(DROPPED_INDEXES), self._indexes())
        spec = importlib.util.spec_from_file_location("ls_migration_18_0_1_2_0", MIGRATION)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.1.1.0")
        self.assertFalse(set(DROPPED_INDEXES) & self._indexes())
        self.test_only_needed_indexes()
