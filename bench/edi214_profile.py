"""Where the time of receiving a 214 file goes (nothing is kept).

Run inside ``odoo-bin shell`` on the benchmark database of bench/edi214 (``env`` is
given; bench/edi214 made its endpoint and transfers), the cluster running:

    odoo-bin shell -c .local/odoo-bench-edi214.conf -d lsync_bench_edi --no-http \\
        < bench/edi214_profile.py

Reads one interchange of BENCH_N (5,000) 214 sets with ``_edi_receive`` as the file
job does, under cProfile; prints the time per set, the queue jobs it queued and the
functions taking the most cumulative time, then rolls everything back.
"""

import cProfile
import io
import os
import pstats
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.join(os.getcwd(), "bench"))
from edi214_load import Bench  # noqa: E402

N = int(os.environ.get("BENCH_N", "5000"))
endpoint = env["logistics.endpoint"].search([("code", "=", "bench-edi")])  # noqa: F821
refs = env["logistics.sync.bench.row"].bench_pipeline_transfers(1000)  # noqa: F821
control = f"{uuid.uuid4().int % 10**9:09d}"
base = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(days=2)
data = Bench.x12_file(None, control, refs, N, base)
jobs_before = env["queue.job"].search_count([])  # noqa: F821
env.flush_all()  # noqa: F821
profile = cProfile.Profile()
started = time.perf_counter()
profile.enable()
exchange = env["logistics.edi.exchange"]._edi_receive(endpoint, data, "profile.x12")  # noqa: F821
env.flush_all()  # noqa: F821
profile.disable()
elapsed = time.perf_counter() - started
jobs = env["queue.job"].search_count([]) - jobs_before  # noqa: F821
print(f"{exchange.state}: {elapsed / N * 1000:.2f} ms per set, {jobs} queue jobs queued")
out = io.StringIO()
pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(50)
print(out.getvalue())
out = io.StringIO()
pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(25)
print(out.getvalue())
env.cr.rollback()  # noqa: F821
