-- A copied database must not receive live webhooks nor call carriers and TMS.
UPDATE logistics_endpoint SET active = false;
UPDATE queue_job SET state = 'cancelled', date_cancelled = now() AT TIME ZONE 'UTC'
 WHERE state IN ('pending', 'enqueued', 'wait_dependencies')
   AND channel LIKE 'root.logistics_sync%';
