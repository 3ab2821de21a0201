#!/usr/bin/env python3
"""Run by bench/chaos: the chaos suite of tests/chaos.py at full size."""

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from chaos import (  # noqa: E402
    CarrierBookings,
    Chaos,
    ChaosServer,
    TmsReleases,
    chaos_channels,
    report,
    spawn_carrier_simulator,
)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--conf", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--duplicates", type=float, default=0.3)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--restarts", type=int, default=2)
    parser.add_argument("--kill-every", type=float, default=3.0)
    parser.add_argument("--bookings", type=int, default=20)
    parser.add_argument("--releases", type=int, default=20)
    parser.add_argument("--no-server-kill", action="store_true")
    parser.add_argument("--drain-timeout", type=int, default=900)
    args = parser.parse_args()
    restart_cmd = os.environ.get("LS_CHAOS_PG_RESTART", "")
    if args.restarts and not restart_cmd:
        sys.exit("No way to restart PostgreSQL here (external server): pass --restarts 0.")

    def restart_pg():
        subprocess.run(shlex.split(restart_cmd), check=True, capture_output=True)  # noqa: S603

    simulator, sim_url = spawn_carrier_simulator(max_lifetime=3600)
    code = f"chaos-{uuid.uuid4().hex[:6]}"
    workdir = Path(tempfile.mkdtemp(prefix="lsync-chaos-"))
    server = ChaosServer(
        args.conf,
        os.environ["LS_ODOO_BIN"],
        sys.executable,
        workdir,
        Path(args.log),
        chaos_channels(code),
        http_port=args.port,
        workers=3,
        max_cron_threads=1,
    )
    server.port, server.url = args.port, f"http://127.0.0.1:{args.port}"
    started = time.monotonic()
    outbound = [CarrierBookings(server, sim_url, args.bookings, f"{code}-carrier")]
    if args.releases:
        outbound.append(TmsReleases(server, args.releases, f"{code}-tms"))
    try:
        server.start()
        chaos = Chaos(
            server,
            code,
            events=args.events,
            duplicates=args.duplicates,
            senders=args.senders,
            kill_every=args.kill_every,
            pg_restarts=args.restarts,
            restart_pg=restart_pg,
            whole_server_kill=not args.no_server_kill,
            outbound=outbound,
            drain_timeout=args.drain_timeout,
        )
        print(
            f"Preparing {args.events} posts, {args.bookings} bookings and {args.releases}"
            f" TMS releases (endpoint {code})"
        )
        chaos.prepare()
        counts, info = chaos.run()
    finally:
        for participant in outbound:
            participant.close()
        server.stop()
        simulator.terminate()
        simulator.wait(timeout=10)
    info["whole run (s)"] = round(time.monotonic() - started, 1)
    report(counts, info)
    ok = info["time to drain after the last post (s)"] is not None and not any(counts.values())
    print("OK: every count is 0" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
