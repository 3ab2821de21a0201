# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Event processing, event retries and carrier invoice files that fail, through the
real job runner on real connections (a server of this module's own, see
live_jobs.py): each job ends, leaves no transaction open, and the transfer it
worked on stays writable by a user.

Seen live (issue 18): a ``freight_charge`` event with the invoice date
``2026-13-45`` (it passes the schema's pattern) for a known transfer failed while
processing and was treated as transient; its retry job held the transfer's row and
recorded the failure on a second connection that had to update the same transfer
(its stored sync state): a deadlock PostgreSQL cannot see, the worker killed at
``limit_time_real``, the job run again, hung again.

On the code of the branch point (37666d9) the two event tests fail: "hung while
waiting for ...: a backend waits on a lock held by a transaction left idle in
transaction" (``_retry_later``'s connection updating ``stock_picking``
``logistics_sync_state``, the retry job holding that transfer).  The carrier
invoice file test passes.  On s7-jobs (847cade) all three pass (the webhook
answers 422 naming ``invoice_date``; the replayed event is a dead letter at once).
"""

import json
import os
import time
import uuid
from datetime import UTC, datetime

import pytest
from live_jobs import (
    assert_no_idle_in_transaction,
    assert_writable,
    create_endpoint,
    outgoing_transfer,
    post_event,
    prepare_server,
    run_cron,
    settle,
    unique_code,
    watching,
)

IMPOSSIBLE_DATE = "2026-13-45"


@pytest.fixture(scope="module")
def server(odoo_server):
    return prepare_server(odoo_server)


@pytest.fixture(scope="module")
def world(server):
    """A carrier (vendor), a product, a customer, the company's currency."""
    vendor = server.call("res.partner", "create", {"name": "Live jobs road carrier"})
    customer = server.call(
        "res.partner", "create", {"name": "Live jobs customer", "city": "Lyon", "zip": "69001"}
    )
    product = server.call(
        "product.product", "create", {"name": "Live jobs crate", "is_storable": False}
    )
    [company] = server.call("res.company", "search_read", [], ["currency_id"], limit=1)
    currency = server.call("res.currency", "read", [company["currency_id"][0]], ["name"])[0]
    return {
        "vendor": vendor,
        "customer": customer,
        "product": product,
        "currency": currency["name"],
    }


@pytest.fixture
def watch(server):
    with watching(server) as watch:
        yield watch


def _freight_endpoint(server, watch, world, with_vendor=True):
    code = unique_code("jobs-freight")
    values = {"kind": "carrier", "max_attempts": 3, "retry_base_seconds": 1}
    if with_vendor:
        values["freight_partner_id"] = world["vendor"]
    endpoint_id, channel = create_endpoint(server, watch, code, **values)
    [record] = server.call("logistics.endpoint", "read", [endpoint_id], ["signing_secret"])
    return endpoint_id, code, channel, record["signing_secret"]


def _freight_charge(picking_name, currency, invoice_date):
    return {
        "type": "freight_charge",
        "event_id": f"jobs-fc-{uuid.uuid4()}",
        "shipment_ref": picking_name,
        "occurred_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "invoice_number": f"LJ-{uuid.uuid4().hex[:10]}",
        "invoice_date": invoice_date,
        "currency": currency,
        "total": 120.0,
        "lines": [{"type": "base", "amount": 100.0}, {"type": "fuel", "amount": 20.0}],
    }


def _event_row(watch, endpoint_id, external_id):
    row = watch.one(
        "SELECT id, state, attempts, last_error FROM logistics_event"
        " WHERE endpoint_id = %s AND external_id = %s",
        endpoint_id,
        external_id,
    )
    return dict(zip(("id", "state", "attempts", "last_error"), row, strict=True)) if row else None


def _dead_and_ended(watch, endpoint_id, external_id, channel):
    def check():
        event = _event_row(watch, endpoint_id, external_id)
        jobs = watch.jobs(channel)
        if (
            event
            and event["state"] == "dead"
            and jobs
            and all(job["state"] in ("done", "failed") for job in jobs)
        ):
            return event, jobs
        return None

    return check


def _assert_impossible_date_reason(event):
    error = event["last_error"] or ""
    assert "invoice_date" in error or IMPOSSIBLE_DATE in error, error
    # a payload that can never succeed is a dead letter at once, never a retry loop
    assert event["attempts"] == 1, event


def test_freight_charge_with_an_impossible_date_never_holds_its_transfer(server, world, watch):
    """The event of issue 18, through the webhook: refused at the door (422 naming
    the field, nothing stored), or stored and then a dead letter at once with the
    field and the reason; either way no job hangs and the transfer stays writable."""
    endpoint_id, code, channel, secret = _freight_endpoint(server, watch, world)
    picking_id = outgoing_transfer(server, world["customer"], world["product"])
    [picking] = server.call("stock.picking", "read", [picking_id], ["name"])
    event = _freight_charge(picking["name"], world["currency"], IMPOSSIBLE_DATE)
    response = post_event(server, code, secret, event)
    if response.status_code == 422:
        details = json.dumps(response.json()["error"]["details"])
        assert "invoice_date" in details, details
        assert not _event_row(watch, endpoint_id, event["event_id"])
    else:
        assert response.status_code == 202, response.text[:500]
        stored, jobs = settle(
            watch,
            _dead_and_ended(watch, endpoint_id, event["event_id"], channel),
            "the event to become a dead letter and its jobs to end",
        )
        _assert_impossible_date_reason(stored)
    assert_no_idle_in_transaction(watch)
    assert_writable(server, "stock_picking", [picking_id])


def test_replayed_event_that_cannot_succeed_ends_as_a_dead_letter(server, world, watch):
    """Event retry (a job for one event): an event stored before the schema checked
    the date's format, replayed, fails for good without holding its transfer.

    The stored payload is changed with SQL: the webhook of today may refuse such a
    body, a database upgraded from before holds such events."""
    endpoint_id, code, channel, secret = _freight_endpoint(server, watch, world, with_vendor=False)
    picking_id = outgoing_transfer(server, world["customer"], world["product"])
    [picking] = server.call("stock.picking", "read", [picking_id], ["name"])
    event = _freight_charge(picking["name"], world["currency"], "2026-01-15")
    response = post_event(server, code, secret, event)
    assert response.status_code == 202, response.text[:500]
    # no carrier vendor on the endpoint: a dead letter at once (a permanent error)
    stored, _jobs = settle(
        watch,
        _dead_and_ended(watch, endpoint_id, event["event_id"], channel),
        "the event without a carrier vendor to become a dead letter",
    )
    assert "vendor" in stored["last_error"], stored
    [(payload,)] = watch.rows("SELECT payload FROM logistics_event WHERE id = %s", stored["id"])
    doc = json.loads(payload)
    doc["invoice_date"] = IMPOSSIBLE_DATE
    watch.rows(
        "UPDATE logistics_event SET payload = %s WHERE id = %s RETURNING id",
        json.dumps(doc),
        stored["id"],
    )
    server.call(
        "logistics.endpoint", "write", [endpoint_id], {"freight_partner_id": world["vendor"]}
    )
    server.call("logistics.event", "action_replay", [stored["id"]])

    def replayed_and_dead():
        row = _event_row(watch, endpoint_id, event["event_id"])
        jobs = watch.jobs(channel)
        # dead again, for another reason than the missing vendor
        again = row["state"] == "dead" and "vendor" not in (row["last_error"] or "")
        if again and all(job["state"] in ("done", "failed") for job in jobs):
            return row
        return None

    dead = settle(watch, replayed_and_dead, "the replayed event to become a dead letter again")
    _assert_impossible_date_reason(dead)
    assert_no_idle_in_transaction(watch)
    assert_writable(server, "stock_picking", [picking_id])


def test_carrier_invoice_file_with_an_impossible_date_is_refused_whole(
    server, world, watch, tmp_path
):
    """Freight CSV import (a job per file): the file is refused with the line and
    the field, the job ends, the transfer stays writable."""
    endpoint_id, _code, channel, _secret = _freight_endpoint(server, watch, world)
    picking_id = outgoing_transfer(server, world["customer"], world["product"], validate=True)
    [picking] = server.call("stock.picking", "read", [picking_id], ["name"])
    folder = tmp_path / "invoices"
    folder.mkdir()
    header = "invoice_number,invoice_date,currency,shipment_ref,tracking_ref,charge_type,amount,quantity,description"
    number = f"LJF-{uuid.uuid4().hex[:8]}"
    rows = [
        f"{number},{IMPOSSIBLE_DATE},{world['currency']},{picking['name']},,base,100.0,1,",
        f"{number},{IMPOSSIBLE_DATE},{world['currency']},{picking['name']},,fuel,20.0,1,",
    ]
    invoice_file = folder / "carrier-invoice.csv"
    invoice_file.write_text("\n".join([header, *rows]) + "\n")
    # uploaded a while ago: a file modified in the last minute (still being uploaded,
    # the endpoint's file_min_age_seconds) waits for the next cron run
    uploaded = time.time() - 3600
    os.utime(invoice_file, (uploaded, uploaded))
    server.call(
        "logistics.endpoint",
        "write",
        [endpoint_id],
        {
            "file_transport": "folder",
            "file_inbound_path": str(folder),
            "file_format": "freight_csv",
        },
    )
    run_cron(server, "logistics_sync_base.ir_cron_logistics_file_pickup")

    def refused():
        batch = watch.one(
            "SELECT state, errors FROM logistics_freight_batch WHERE endpoint_id = %s",
            endpoint_id,
        )
        jobs = watch.jobs(channel)
        if batch and jobs and all(job["state"] in ("done", "failed") for job in jobs):
            return batch, jobs
        return None

    (state, errors), jobs = settle(watch, refused, "the carrier invoice file to be imported")
    assert state == "refused", (state, errors)
    assert "invoice_date" in errors, errors
    # the receive job, then the move it queued
    assert [job["state"] for job in jobs] == ["done", "done"], jobs
    # refused: moved to failed/, never imported again
    # (moved once the job's transaction has committed)
    moved = settle(
        watch,
        lambda: list((folder / "failed").glob("*-carrier-invoice.csv")),
        "the refused file to be moved to failed/",
    )
    assert len(moved) == 1 and not invoice_file.exists(), list(folder.rglob("*"))
    assert not watch.rows(
        "SELECT id FROM logistics_freight_charge WHERE picking_id = %s", picking_id
    )
    assert_no_idle_in_transaction(watch)
    assert_writable(server, "stock_picking", [picking_id])
