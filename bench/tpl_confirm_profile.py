"""Where a 3PL shipping confirmation's time goes (nothing is kept).

Run inside ``odoo-bin shell`` on the benchmark database of bench/tpl_confirm
(``env`` is given), the cluster running:

    odoo-bin shell -c .local/odoo-bench-3pl-confirm.conf -d lsync_bench_3pl --no-http \\
        < bench/tpl_confirm_profile.py

Makes BENCH_N (20) released deliveries of 5 lot-tracked lines with their
confirmations, stores them as the webhook does, applies them in-process with
one processing job under cProfile, prints the time per confirmation and the
functions taking the most cumulative time, and rolls everything back.
"""

import cProfile
import io
import os
import pstats
import time

N = int(os.environ.get("BENCH_N", "20"))
Bench = env["logistics.sync.bench.row"]  # noqa: F821 - given by odoo-bin shell
Bench.bench_tpl_setup(2)
events = Bench.bench_tpl_make(N, 9999)
Bench.bench_tpl_ingest(events)
endpoint = env["logistics.endpoint"].search([("code", "=", "bench-3pl-conf")])  # noqa: F821
env.flush_all()  # noqa: F821
profile = cProfile.Profile()
started = time.perf_counter()
profile.enable()
endpoint._job_process_pending()
env.flush_all()  # noqa: F821
profile.disable()
elapsed = time.perf_counter() - started
applied, other = Bench.bench_tpl_applied([e["event_id"] for e in events])
print(f"{applied} applied, {other} not, {elapsed / N * 1000:.0f} ms per confirmation")
out = io.StringIO()
pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(45)
print(out.getvalue())
env.cr.rollback()  # noqa: F821
