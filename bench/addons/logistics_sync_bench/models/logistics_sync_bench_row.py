# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class LogisticsSyncBenchRow(models.Model):
    _name = "logistics.sync.bench.row"
    _description = "Logistics Sync benchmark row"

    payload = fields.Text()

    def init(self):
        # When each event became applied, by the database clock at that statement
        # (Odoo's Datetime fields keep whole seconds only): bench/pipeline reads it
        # to measure POST -> applied latency.
        self.env.cr.execute(
            """
            CREATE TABLE IF NOT EXISTS logistics_sync_bench_applied (
                event_id integer PRIMARY KEY,
                applied_clock timestamptz NOT NULL
            );
            CREATE OR REPLACE FUNCTION logistics_sync_bench_applied_fn() RETURNS trigger AS $$
            BEGIN
                INSERT INTO logistics_sync_bench_applied VALUES (NEW.id, clock_timestamp())
                ON CONFLICT DO NOTHING;
                RETURN NEW;
            END $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS logistics_sync_bench_applied_tg ON logistics_event;
            CREATE TRIGGER logistics_sync_bench_applied_tg AFTER UPDATE OF state ON logistics_event
            FOR EACH ROW WHEN (NEW.state IN ('applied', 'superseded') AND OLD.state <> NEW.state)
            EXECUTE FUNCTION logistics_sync_bench_applied_fn();
            """
        )

    @api.model
    def bench_enqueue_noop(self, count):
        """Queue ``count`` jobs that do nothing (the queue_job baseline)."""
        jobs = [
            self.with_delay(
                channel="root.logistics_sync.demo-tms", description="bench no-op"
            )._job_noop()
            for _index in range(count)
        ]
        return [job.uuid for job in jobs]

    def _job_noop(self):
        return "ok"
