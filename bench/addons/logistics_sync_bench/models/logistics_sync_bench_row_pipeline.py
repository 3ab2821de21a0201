# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""bench/pipeline, realistic workload: many open deliveries, reset before each run."""

from odoo import api, models
from odoo.tools import SQL

ORIGIN = "bench-pipeline"


class LogisticsSyncBenchRow(models.Model):
    _inherit = "logistics.sync.bench.row"

    @api.model
    def bench_pipeline_transfers(self, count):
        """Names of ``count`` open outgoing transfers of the bench (origin
        ``bench-pipeline``), created once and reset to "no milestone yet" on every
        run, so that each run applies the same chains to the same starting point."""
        Picking = self.env["stock.picking"]
        existing = Picking.search([("origin", "=", ORIGIN)], order="id")
        missing = count - len(existing)
        if missing > 0:
            for start in range(0, missing, 200):
                ids = self.bench_make_pickings(False, min(200, missing - start))
                Picking.browse(ids).write({"origin": ORIGIN})
            existing = Picking.search([("origin", "=", ORIGIN)], order="id")
        pickings = existing[:count]
        # bench only: back to "no events" (bench/pipeline deletes every event first)
        self.env.cr.execute(
            SQL(
                "UPDATE stock_picking SET logistics_milestone = NULL,"
                " logistics_milestone_at = NULL, logistics_sequence = NULL,"
                " logistics_last_event_at = NULL, logistics_lag_seconds = 0,"
                " logistics_sync_state = 'none' WHERE id = ANY(%s)",
                pickings.ids,
            )
        )
        self.env.cr.execute(
            SQL(
                "DELETE FROM mail_message WHERE model = 'stock.picking' AND res_id = ANY(%s)",
                pickings.ids,
            )
        )
        pickings.invalidate_recordset()
        return pickings.mapped("name")
