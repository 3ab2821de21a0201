# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Real carriers through karrio, booked by the real job runner: 20 transfers over
two fake carriers (UPS and FedEx, HTTP fakes on 127.0.0.1) failing about 30 % of
their calls (5xx, 429, timeouts, resets, half of them after the booking was
stored).  An Inventory / User validates them.  A booking whose answer was lost is
looked up at the carrier by the transfer's reference (UPS track by reference,
FedEx track by references: faulted too) after the endpoint's lookup delay, and
kept when found; booked again with the same key only when not found.  Should a
lookup keep failing until the attempts are spent, the clerk settles it with the
wizard (the tracking number the carrier holds, or "void and book again").
At the end every transfer is booked, and each is booked exactly once at its
carrier.
"""

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from live_jobs import (
    UserRpc,
    assert_no_idle_in_transaction,
    create_endpoint,
    make_user,
    outgoing_transfer,
    prepare_server,
    settle,
    sim_post,
    sim_stats,
    unique_code,
    watching,
)

ROOT = Path(__file__).resolve().parent.parent
FAKE = ROOT / "logistics_sync_carrier" / "simulator" / "karrio_fake.py"
CLIENT_ID = "live-client"
CLIENT_SECRET = "live-client-secret-1"
TRANSFERS = 20
# longer than the fakes' --timeout-sleep: a request answered late (stored after the
# client gave up) is stored before it is looked up (a carrier's indexing delay)
LOOKUP_DELAY = 3
SERVICES = {"ups": "ups_standard", "fedex": "fedex_international_priority"}


def _fake_module():
    spec = importlib.util.spec_from_file_location("lsync_karrio_fake_live", FAKE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def server(odoo_server):
    return prepare_server(odoo_server)


@pytest.fixture(scope="module")
def fakes():
    started = {}
    try:
        for seed, carrier in enumerate(("ups", "fedex"), start=31):
            process, url = _fake_module().spawn(
                [
                    "--carrier",
                    carrier,
                    "--client-id",
                    CLIENT_ID,
                    "--client-secret",
                    CLIENT_SECRET,
                    "--webhook-secret",
                    "unused",
                    "--error-rate",
                    "0.3",
                    "--seed",
                    str(seed),
                    "--timeout-sleep",
                    "2",
                    "--max-lifetime",
                    "600",
                ]
            )
            started[carrier] = (process, url)
        yield {carrier: url for carrier, (_process, url) in started.items()}
    finally:
        for process, _url in started.values():
            process.terminate()
            process.wait(timeout=10)


def _settings(carrier):
    if carrier == "ups":
        return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "account_number": "A1"}
    return {
        "api_key": CLIENT_ID,
        "secret_key": CLIENT_SECRET,
        "account_number": "510087020",
        "track_api_key": CLIENT_ID,
        "track_secret_key": CLIENT_SECRET,
    }


def _states(watch, ids):
    rows = watch.rows(
        "SELECT id, name, logistics_booking_state, carrier_tracking_ref"
        " FROM stock_picking WHERE id = ANY(%s)",
        list(ids),
    )
    return {row[0]: {"name": row[1], "state": row[2], "tracking": row[3]} for row in rows}


def _spawn_ups(*options):
    """A UPS fake of its own, without faults (``options``: more of its options)."""
    return _fake_module().spawn(
        [
            "--carrier",
            "ups",
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            CLIENT_SECRET,
            "--webhook-secret",
            "unused",
            "--max-lifetime",
            "120",
            *options,
        ]
    )


def _one_ups_delivery(server, watch, url, name, **endpoint):
    """A UPS endpoint on the fake at ``url`` (``endpoint``: more of its values), its
    carrier, and a delivery from Germany that a new Inventory / User validates:
    ``(endpoint id, channel, transfer id)``."""
    company = server.call("res.company", "search_read", [], ["partner_id"], limit=1)[0]
    [germany] = server.call("res.country", "search", [("code", "=", "DE")])
    server.call(
        "res.partner",
        "write",
        [company["partner_id"][0]],
        {"street": "Friedrichstr. 1", "city": "Berlin", "zip": "10117", "country_id": germany},
    )
    customer = server.call(
        "res.partner",
        "create",
        {
            "name": f"Live {name} recipient",
            "street": "Hohe Str. 1",
            "city": "Koeln",
            "zip": "50667",
            "country_id": germany,
            "phone": "+49 221 123456",
        },
    )
    product = server.call(
        "product.product",
        "create",
        {"name": f"Live {name} parcel", "is_storable": False, "weight": 1},
    )
    service = server.call(
        "product.product", "create", {"name": f"Live {name} shipping", "type": "service"}
    )
    login = unique_code(f"ls_{name}_stock")
    make_user(server, login, "base.group_user", "stock.group_stock_user")
    clerk = UserRpc(server, login)
    endpoint_id, channel = create_endpoint(
        server,
        watch,
        unique_code(f"karrio-{name}"),
        kind="carrier",
        carrier_protocol="karrio",
        karrio_carrier="ups",
        karrio_settings=json.dumps(_settings("ups")),
        carrier_service="ups_standard",
        base_url=url,
        tracking_mode="poll",
        **endpoint,
    )
    carrier = server.call(
        "delivery.carrier",
        "create",
        {
            "name": f"Karrio live UPS {name}",
            "product_id": service,
            "delivery_type": "logistics_sync",
            "integration_level": "rate_and_ship",
            "logistics_endpoint_id": endpoint_id,
        },
    )
    picking_id = outgoing_transfer(server, customer, product, carrier)
    moves = clerk.call("stock.move", "search", [("picking_id", "=", picking_id)])
    clerk.call("stock.move", "write", moves, {"quantity": 1, "picked": True})
    validated = clerk.call(
        "stock.picking", "button_validate", [picking_id], context={"skip_sms": True}
    )
    assert validated is True, validated
    return endpoint_id, channel, picking_id


def test_twenty_transfers_over_two_flaky_carriers_each_booked_once(server, fakes):
    started = time.monotonic()
    company = server.call("res.company", "search_read", [], ["partner_id"], limit=1)[0]
    partner = server.call("res.partner", "read", [company["partner_id"][0]], ["country_id"])[0]
    if not partner["country_id"]:
        [germany] = server.call("res.country", "search", [("code", "=", "DE")])
        server.call(
            "res.partner",
            "write",
            [company["partner_id"][0]],
            {"street": "Friedrichstr. 1", "city": "Berlin", "zip": "10117", "country_id": germany},
        )
    [france] = server.call("res.country", "search", [("code", "=", "FR")])
    customer = server.call(
        "res.partner",
        "create",
        {
            "name": "Karrio live recipient",
            "street": "1 Rue de la Paix",
            "city": "Lyon",
            "zip": "69001",
            "country_id": france,
            "phone": "+33 4 1234567",
        },
    )
    product = server.call(
        "product.product",
        "create",
        {"name": "Karrio live parcel", "is_storable": False, "weight": 2, "hs_code": "8479.89"},
    )
    service = server.call(
        "product.product", "create", {"name": "Karrio live shipping", "type": "service"}
    )
    login = unique_code("ls_karrio_stock")
    user_id = make_user(server, login, "base.group_user", "stock.group_stock_user")
    # the clerk posts in the chatter (settling an uncertain booking): a sender address
    server.call("res.users", "write", [user_id], {"email": f"{login}@example.com"})
    clerk = UserRpc(server, login)
    with watching(server) as watch:
        carriers, channels = {}, {}
        for carrier, url in fakes.items():
            code = unique_code(f"karrio-{carrier}")
            endpoint_id, channel = create_endpoint(
                server,
                watch,
                code,
                kind="carrier",
                carrier_protocol="karrio",
                karrio_carrier=carrier,
                karrio_settings=json.dumps(_settings(carrier)),
                carrier_service=SERVICES[carrier],
                base_url=url,
                http_timeout=1,
                retry_base_seconds=1,
                max_attempts=10,
                karrio_lookup_delay=LOOKUP_DELAY,
                circuit_threshold=50,
                circuit_cooldown=1,
                tracking_mode="poll",
            )
            channels[carrier] = channel
            carriers[carrier] = server.call(
                "delivery.carrier",
                "create",
                {
                    "name": f"Karrio live {carrier}",
                    "product_id": service,
                    "delivery_type": "logistics_sync",
                    "integration_level": "rate_and_ship",
                    "logistics_endpoint_id": endpoint_id,
                },
            )
        # each carrier stores its first booking, then its answer is lost: at least one
        # booking per carrier is looked up by its reference (besides the drawn faults)
        for url in fakes.values():
            sim_post(url, "/_sim/faults", {"next": [{"kind": "timeout", "after": True}]})
        pickings = {}
        for index in range(TRANSFERS):
            carrier = ("ups", "fedex")[index % 2]
            picking_id = outgoing_transfer(server, customer, product, carriers[carrier])
            moves = clerk.call("stock.move", "search", [("picking_id", "=", picking_id)])
            clerk.call("stock.move", "write", moves, {"quantity": 1, "picked": True})
            # skip_sms: stock_sms asks the first validating user about SMS once
            validated = clerk.call(
                "stock.picking", "button_validate", [picking_id], context={"skip_sms": True}
            )
            assert validated is True, validated
            pickings[picking_id] = carrier

        settled = {"uncertain": 0, "used": 0, "rebooked": 0}
        seen = {}

        def all_booked():
            states = _states(watch, pickings)
            for picking_id, row in states.items():
                if row["state"] != "uncertain":
                    continue
                # a carrier may still store a request it answered late: look after a while
                if time.monotonic() - seen.setdefault(picking_id, time.monotonic()) < 3:
                    continue
                seen.pop(picking_id)
                # the clerk looks the shipment up at the carrier (its fake) and settles it
                settled["uncertain"] += 1
                url = fakes[pickings[picking_id]]
                numbers = sim_stats(url)["numbers_by_reference"].get(row["name"]) or []
                clerk.call("stock.picking", "action_logistics_resolve_uncertain", [picking_id])
                wizard = clerk.call(
                    "logistics.booking.uncertain",
                    "create",
                    {"picking_id": picking_id, "tracking_ref": numbers[0] if numbers else False},
                )
                if numbers:
                    clerk.call("logistics.booking.uncertain", "action_use_tracking", [wizard])
                    settled["used"] += 1
                else:
                    clerk.call("logistics.booking.uncertain", "action_void_and_rebook", [wizard])
                    settled["rebooked"] += 1
            if all(row["state"] == "booked" for row in states.values()):
                return states
            return None

        states = settle(watch, all_booked, "every transfer to be booked", timeout=120)
        assert_no_idle_in_transaction(watch)
        # the bookings found at the carrier by reference (kept, not booked twice)
        [[found]] = watch.rows(
            "SELECT count(*) FROM logistics_carrier_booking"
            " WHERE picking_id = ANY(%s) AND replayed",
            list(pickings),
        )

    faults = lookups = 0
    for carrier, url in fakes.items():
        stats = sim_stats(url)
        faults += sum(stats["faults"].values())
        lookups += stats["lookups"]
        assert stats["lookups"] >= 1, (carrier, "its lost booking was looked up")
        names = [states[p]["name"] for p, c in pickings.items() if c == carrier]
        for name in names:
            numbers = stats["numbers_by_reference"].get(name) or []
            live = [n for n in numbers if n in {states[p]["tracking"] for p in pickings}]
            # exactly one live booking per transfer at its carrier; another one
            # only if the clerk voided it (none here: "use" keeps the lost one)
            assert len(numbers) == 1, (name, numbers)
            assert len(live) == 1, (name, numbers, live)
    assert faults > 0, "the carriers did fail along the way"
    assert found >= 2, "each carrier's lost first booking was found by its reference"
    print(
        f"\n{TRANSFERS} transfers booked once each in {time.monotonic() - started:.1f} s; "
        f"{faults} faults; {lookups} lookups by reference, {found} bookings found by them; "
        f"uncertain settled by the clerk: {settled}"
    )


def test_karrio_logs_only_through_our_logging():
    """karrio logs as it is imported ("Karrio SDK gateway initialized", to stderr
    through its own loguru sink): from the first import on, every line of it goes to
    the ``karrio`` stdlib logger at DEBUG, nothing to stderr (no server needed)."""
    code = (
        "import logging, sys\n"
        "sys.path.insert(0, 'tests')\n"
        "from standalone import addon_module\n"
        "logging.basicConfig(stream=sys.stdout, level=logging.DEBUG, format='%(name)s %(levelname)s %(message)s')\n"
        "karrio_adapter = addon_module('logistics_sync_carrier.adapters.karrio_adapter')\n"
        "karrio_adapter.preload()\n"
        "import karrio.sdk\n"
    )
    done = subprocess.run(  # noqa: S603 (our own code, fixed arguments)
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Karrio SDK gateway initialized" not in done.stderr, done.stderr
    assert "karrio DEBUG Karrio SDK gateway initialized" in done.stdout, done.stdout[-2000:]


def test_ups_pushes_tracking_to_the_real_server(server):
    """Tracking by carrier push: the booking job's tracking number is subscribed by a
    job on the endpoint's channel (UPS Track Alert, its fake), the fake POSTs each event
    to the real server's webhook with its credential header, and the runner applies
    them: the transfer shows delivered without any poll."""
    started = time.monotonic()
    server.call("ir.config_parameter", "set_param", "web.base.url", server.url)
    process, url = _spawn_ups()
    try:
        with watching(server) as watch:
            endpoint_id, _channel, picking_id = _one_ups_delivery(
                server,
                watch,
                url,
                "push",
                http_timeout=2,
                retry_base_seconds=1,
                karrio_push=True,
            )

            def delivered():
                [row] = watch.rows(
                    "SELECT logistics_milestone, logistics_push_state, carrier_tracking_ref,"
                    " logistics_polled_at FROM stock_picking WHERE id = %s",
                    picking_id,
                )
                return row if row[0] == "delivered" else None

            _milestone, push_state, tracking, _polled_at = settle(
                watch, delivered, "the carrier's pushes to deliver the transfer", timeout=40
            )
            assert_no_idle_in_transaction(watch)
        assert push_state == "subscribed"
        stats = sim_stats(url)
        assert stats["subscriptions"] == [tracking], stats
        assert stats["pushes_sent"] == 3 and stats["pushes_failed"] == 0, stats
        events = server.call(
            "logistics.event",
            "search_read",
            [("endpoint_id", "=", endpoint_id)],
            ["milestone", "state"],
        )
        # one event per scan, pushed or polled (a poll the 15-minute cron might start
        # meanwhile gives the same scans the same ids)
        assert sorted(e["milestone"] for e in events) == ["delivered", "in_transit", "picked_up"]
        assert {e["state"] for e in events} <= {"applied", "superseded"}, events
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(f"\nUPS push: subscribed and delivered in {time.monotonic() - started:.1f} s")


# the lock timeout of a job's transaction of its own (logistics_sync_base/jobs.py)
# and Odoo's log of the UPDATE it stopped
LOCK_TIMEOUT_SECONDS = 10
FINISH_LOCKED_OUT = (
    r"odoo\.sql_db: bad query: b' UPDATE \"stock_picking\"[\s\S]*"
    r"\nERROR: canceling statement due to lock timeout(\nCONTEXT: [^\n]*)?\n*\Z"
)


@pytest.mark.server_log_allows(FINISH_LOCKED_OUT)
def test_a_booking_the_transfer_is_locked_against_is_kept_and_applied_later(server):
    """A karrio booking is stored and applied to the transfer in one transaction of
    its own (its labels come with it).  Here a user's transaction holds the transfer
    while the carrier answers, past the job's lock timeout: the booking and its
    label are committed all the same, the transfer is not (the job is retried by
    queue_job); once the user's transaction ends the next run applies the stored
    booking without a second request to the carrier."""
    started = time.monotonic()
    # time for the test to take the transfer's row while the booking is out
    process, url = _spawn_ups("--latency-ms", "1500")
    try:
        with watching(server) as watch:
            _endpoint_id, channel, picking_id = _one_ups_delivery(
                server, watch, url, "locked", http_timeout=10
            )
            # a user's transaction saves the transfer and stays open: the booking job
            # (advisory lock and key share only) calls the carrier meanwhile
            user = server.pg_connect()
            try:
                with user.cursor() as cr:
                    cr.execute("UPDATE stock_picking SET note = note WHERE id = %s", (picking_id,))
                deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS + 60
                while time.monotonic() < deadline:
                    [job] = watch.jobs(channel, "_logistics_book_job")
                    if job["retry"] >= 1 and job["state"] in ("pending", "enqueued"):
                        break
                    time.sleep(0.5)
                else:
                    raise AssertionError(f"the booking job did not give up on the lock: {job}")
                # PostgreSQL's lock_not_available, retried by the job's retry pattern
                assert "55P03" in (job["result"] or ""), job
                # the booking and its label are committed; the transfer is not booked
                stored = watch.rows(
                    "SELECT b.shipment_id, count(r.ir_attachment_id)"
                    " FROM logistics_carrier_booking b LEFT JOIN"
                    " ir_attachment_logistics_carrier_booking_rel r"
                    " ON r.logistics_carrier_booking_id = b.id"
                    " WHERE b.picking_id = %s GROUP BY b.shipment_id",
                    picking_id,
                )
                assert len(stored) == 1, f"the booking is not committed: {stored}"
                [[shipment, labels]] = stored
                assert labels == 1, labels
                [[state, tracking]] = watch.rows(
                    "SELECT logistics_booking_state, carrier_tracking_ref FROM stock_picking"
                    " WHERE id = %s",
                    picking_id,
                )
                assert (state, tracking) == ("queued", None), (state, tracking)
            finally:
                user.rollback()
                user.close()
            # the wait the retry pattern asks (about 30 s) is not the subject here
            watch.rows("UPDATE queue_job SET eta = NULL WHERE uuid = %s RETURNING 1", job["uuid"])

            def booked():
                [row] = watch.rows(
                    "SELECT logistics_booking_state, logistics_carrier_shipment_id,"
                    " logistics_label_id FROM stock_picking WHERE id = %s",
                    picking_id,
                )
                return row if row[0] == "booked" else None

            _state, applied, label_id = settle(watch, booked, "the stored booking applied")
            assert_no_idle_in_transaction(watch)
            [job] = watch.jobs(channel, "_logistics_book_job")
            assert job["state"] == "done", job
        assert applied == shipment and label_id, (applied, shipment, label_id)
        stats = sim_stats(url)
        [name] = stats["bookings_by_reference"]
        assert stats["bookings_by_reference"] == {name: 1}, stats
        assert stats["bookings"] == 1, stats
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(f"\nbooking kept through a locked transfer in {time.monotonic() - started:.1f} s")
