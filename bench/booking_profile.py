"""Where a carrier booking job's time goes, against a no-op job, as a worker runs them.

Run inside ``odoo-bin shell`` on the benchmark database of bench/booking (``env`` is
given; bench/booking made the endpoints), the cluster running:

    odoo-bin shell -c .local/odoo-bench-booking.conf -d logistics_sync_bench --no-http \\
        < bench/booking_profile.py

Starts the UPS fake (or, with BENCH_ARM=rest, the carrier simulator) on 127.0.0.1,
makes BENCH_N (60) transfers on its bench carrier and queues their bookings, then runs
BENCH_N no-op jobs and the BENCH_N booking jobs one after the other in this process
the way queue_job's ``/queue_job/runjob`` controller does (acquire, perform, done,
commit), without the runner's HTTP round trip.  Prints milliseconds and SQL queries
(on the job's own connection) per job for both, then the functions taking the most
time in the booking jobs (cProfile).  The first BENCH_WARM (5) jobs of each kind are
not counted (imports, caches).  The transfers stay booked in the benchmark database.

More, by environment variable: BENCH_PROFILE=0 (times without cProfile's overhead);
BENCH_PHASES=1 (with BENCH_PROFILE=0: wall time of the booking's parts and of every
ORM fetch by model and number of fields); BENCH_SQL_LOG=<file> (with cProfile on: the
SQL of the first counted booking, every connection); BENCH_TRACE=<models> (with
BENCH_PHASES: the stack of each model's first fetch); BENCH_CALLERS / BENCH_CALLEES
=<functions> (cProfile's callers / callees); BENCH_TOP (70 rows).
"""

import cProfile
import functools
import importlib.util
import io
import logging
import os
import pstats
import time
from pathlib import Path

from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import ENQUEUED

N = int(os.environ.get("BENCH_N", "60"))
WARM = int(os.environ.get("BENCH_WARM", "5"))
ARM = os.environ.get("BENCH_ARM", "karrio")
SQL_LOG = os.environ.get("BENCH_SQL_LOG")  # a file: the SQL of the first counted booking
ROOT = Path(os.getcwd())
SIM_DIR = ROOT / "logistics_sync_carrier" / "simulator"


def _spawn(name, args):
    spec = importlib.util.spec_from_file_location(name, SIM_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.spawn(args)


Bench = env["logistics.sync.bench.row"]  # noqa: F821 - given by odoo-bin shell
if ARM == "karrio":
    server, url = _spawn(
        "karrio_fake",
        ["--carrier", "ups", "--client-id", "bench", "--client-secret", "bench-secret"]
        + ["--webhook-secret", "unused", "--max-lifetime", "600"],
    )
    setup = Bench.bench_karrio_setup(url, "bench", "bench-secret")
else:
    server, url = _spawn(
        "carrier_simulator",
        ["--api-key", "bench-key", "--username", "bench", "--password", "bench"]
        + ["--webhook-secret", "unused", "--webhook-interval", "3600", "--max-lifetime", "600"],
    )
    setup = Bench.bench_carrier_setup(url, "bench-key")
env.cr.commit()  # noqa: F821


PHASES = {}
TRACE = os.environ.get("BENCH_TRACE", "").split(",")  # models whose first fetches are shown


def _time_phases():
    """Wall time per call of the booking's parts (BENCH_PHASES=1, without cProfile)."""
    from odoo.addons.logistics_sync_carrier.adapters import karrio_adapter, rest

    targets = [
        (type(env["stock.picking"]), name)  # noqa: F821
        for name in (
            "_logistics_book_job",
            "_logistics_shipment_payload",
            "_logistics_customs",
            "_logistics_persist_booking",
            "_logistics_persist_and_finish",
            "_logistics_booking_finish",
            "_logistics_apply_booking",
            "_logistics_booking_done",
            "message_post",
        )
    ] + [
        (type(env["logistics.endpoint"]), "_carrier_client"),  # noqa: F821
        (type(env["logistics.endpoint"]), "_karrio_shipper"),  # noqa: F821
        (type(env["delivery.carrier"]), "_logistics_endpoint"),  # noqa: F821
        (karrio_adapter.KarrioCarrierClient, "book"),
        (rest.RestCarrierClient, "book"),
        (rest.RestCarrierClient, "label"),
    ]
    import odoo.models

    original_fetch = odoo.models.BaseModel._fetch_query

    def fetch_query(self, query, fields):
        started = time.perf_counter()
        try:
            return original_fetch(self, query, fields)
        finally:
            key = f"  fetch {self._name} ({len(fields)} fields)"
            if self._name in TRACE and key not in PHASES:
                import traceback

                traceback.print_stack(limit=12)
            total, calls = PHASES.get(key, (0.0, 0))
            PHASES[key] = (total + time.perf_counter() - started, calls + 1)

    odoo.models.BaseModel._fetch_query = fetch_query
    for cls, name in targets:
        original = getattr(cls, name)

        @functools.wraps(original)
        def timed(*args, _original=original, _key=f"{cls.__name__}.{name}", **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                total, calls = PHASES.get(_key, (0.0, 0))
                PHASES[_key] = (total + time.perf_counter() - started, calls + 1)

        setattr(cls, name, timed)


def run_jobs(uuids, profile=None):
    """Run the jobs as the controller does; (seconds, queries) of the counted ones."""
    cr = env.cr  # noqa: F821
    spent = queries = 0
    for index, job_uuid in enumerate(uuids):
        cr.execute("UPDATE queue_job SET state = %s WHERE uuid = %s", (ENQUEUED, job_uuid))
        cr.commit()
        env.invalidate_all()  # noqa: F821
        counted = index >= WARM
        before = cr.sql_log_count
        started = time.perf_counter()
        if counted and profile:
            profile.enable()
        sql_log = profile and SQL_LOG and index == WARM
        if sql_log:
            handler = logging.FileHandler(SQL_LOG, mode="w")
            logging.getLogger("odoo.sql_db").addHandler(handler)
            logging.getLogger("odoo.sql_db").setLevel(logging.DEBUG)
        job = RunJobController._acquire_job(env, job_uuid)  # noqa: F821
        RunJobController._runjob(env, job)  # noqa: F821
        if sql_log:
            logging.getLogger("odoo.sql_db").setLevel(logging.INFO)
            logging.getLogger("odoo.sql_db").removeHandler(handler)
        if counted and profile:
            profile.disable()
        if counted:
            spent += time.perf_counter() - started
            queries += cr.sql_log_count - before
    return spent, queries


try:
    noop_uuids = Bench.bench_enqueue_noop(N, setup["channel"])
    ids = Bench.bench_make_pickings(setup["carrier_id"], N)
    Bench.bench_queue_bookings(ids)
    env.cr.commit()  # noqa: F821
    book_uuids = (
        env["queue.job"]  # noqa: F821
        .search([("model_name", "=", "stock.picking"), ("state", "=", "pending")])
        .filtered(lambda job: job.records.id in ids)
        .mapped("uuid")
    )
    counted = N - WARM
    noop_s, noop_q = run_jobs(noop_uuids)
    if os.environ.get("BENCH_PHASES") == "1":
        _time_phases()
    profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE", "1") != "0" else None
    book_s, book_q = run_jobs(book_uuids, profile)
    booked = env["stock.picking"].search_count(  # noqa: F821
        [("id", "in", ids), ("logistics_booking_state", "=", "booked")]
    )
    print(f"{ARM}: {booked}/{N} booked")
    print(f"  no-op job  {noop_s / counted * 1000:7.2f} ms, {noop_q / counted:5.1f} queries")
    print(f"  booking    {book_s / counted * 1000:7.2f} ms, {book_q / counted:5.1f} queries")
    print(f"  ratio (time of a no-op / time of a booking): {noop_s / book_s:.2f}")
    for key, (total, calls) in sorted(PHASES.items(), key=lambda item: -item[1][0]):
        print(f"    {key:55s} {total / counted * 1000:7.2f} ms a booking ({calls} calls)")
    if profile:
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("cumulative").print_stats(int(os.environ.get("BENCH_TOP", "70")))
        stats.sort_stats("tottime").print_stats(int(os.environ.get("BENCH_TOP", "70")) // 2)
        for name in filter(None, os.environ.get("BENCH_CALLERS", "").split(",")):
            stats.print_callers(name)
        for name in filter(None, os.environ.get("BENCH_CALLEES", "").split(",")):
            stats.print_callees(name)
        print(out.getvalue())
finally:
    server.terminate()
    server.wait(10)
