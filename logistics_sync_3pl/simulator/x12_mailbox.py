# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The 3PL simulator's EDI side: X12 over SFTP, the simulator being the SFTP client.

The 3PL logs in to an SFTP server (the customer's mailbox: setup/run's demo server,
or the test's) with its own key or password, the server's host key pinned, and at
each poll:

1. uploads what it still has to send (a 997 or 945 whose upload failed before);
2. reads every complete file of its inbox (``--x12-inbox``, Odoo's outbound
   folder): 940 warehouse shipping orders (W05 N a new order, R a new version,
   F a cancellation) and 997s acknowledging its own 945s.  Each functional group
   holding 940s is answered with a 997 (sets read with ``maps/940_004010.json``,
   AK5 A or R with the map's errors); a file is moved to ``processed/`` once read;
   an interchange read before (same sender, same ISA13: a file read again after a
   connection cut) is not applied twice;
3. uploads the answers, atomically (a hidden temporary name, then a rename into
   the outbox, ``--x12-outbox``: Odoo's inbound folder).

An order is picked as the JSON API's documents are (``--auto-confirm``, after
``--webhook-interval`` seconds; short picks at ``--short-pick-rate``; a lot for the
SKUs the warehouse tracks by lot, ``--lot-sku``, or holds lots of), and its
confirmation goes out as a 945 (``maps/945_004010.json``: W06 P when what was not
shipped stays open as a backorder, F when it is cancelled; one W12 per lot with its
SSCC-18 in MAN GM and the order line in N9 LI; W03 the units).  A connection that
breaks leaves everything where it was: the next poll takes it up again.

The X12 is read and written with the EDI addon's engine (``logistics_sync_edi/lib``:
no Odoo), the SFTP with base's file channel client (``adapters/file_transport.py``).
"""

import itertools
import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from odoo.addons.logistics_sync_base.adapters.file_transport import (
    FileGone,
    PermanentFileError,
    SftpTransport,
    TransientFileError,
)
from odoo.addons.logistics_sync_base.lib import files
from odoo.addons.logistics_sync_edi.lib import x12, x12ack, x12map

_logger = logging.getLogger("simulator")

MAPS = Path(__file__).resolve().parent.parent.parent / "logistics_sync_edi" / "maps"
MAX_BYTES = 10_000_000
PROCESSED = "processed"
NOT_SUPPORTED = "1"  # AK5: transaction set not supported


def _number(value):
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    return text or "0"


def _refs(rows, qualifier):
    return [row["ref"] for row in rows or () if row.get("qualifier") == qualifier]


class X12Mailbox:
    """The 3PL's X12 mailbox on an SFTP server (see the module docstring)."""

    def __init__(
        self,
        app,
        *,
        host,
        port,
        username,
        host_key,
        private_key=None,
        password=None,
        inbox="to-3pl",
        outbox="from-3pl",
        poll_interval=5.0,
        timeout=10,
    ):
        self.app = app
        self.connect = {
            "address": host,
            "port": port,
            "username": username,
            "host_key": host_key,
            "private_key": private_key,
            "password": password,
            "timeout": timeout,
        }
        self.inbox, self.outbox = inbox, outbox
        self.poll_interval = poll_interval
        self.map940 = x12map.load_map(MAPS / "940_004010.json")
        self.map945 = x12map.load_map(MAPS / "945_004010.json")
        self._lock = threading.Lock()  # one SFTP session at a time
        self._kick = threading.Event()
        self._stopped = threading.Event()
        self._thread = None
        # ISA13 of ours: from the clock, so that a restarted simulator never repeats
        # the control numbers of an earlier run (the customer refuses duplicates)
        self.controls = itertools.count(int(time.time()) % 900_000_000 + 1)
        self.reset()

    def reset(self):
        with self._lock:
            self.pending = []  # [(name, bytes)] to upload, in order
            self.seen = set()  # (sender qualifier, sender id, ISA13) read
            self.sent_945 = {}  # our group control -> depositor order
            self.counters = {
                "polls": 0,
                "poll_errors": 0,
                "files_read": 0,
                "duplicates": 0,
                "orders": 0,
                "cancels": 0,
                "refused": 0,
                "acks_sent": 0,
                "advices_sent": 0,
                "uploads": 0,
                "upload_failures": 0,
            }
            self.acks_received = {}  # our 945's group control -> accepted / rejected
            self.uploaded = []  # names, in order
            self.last_error = None

    # ------------------------------------------------------------------ running
    def start(self):
        self._thread = threading.Thread(target=self._run, name="sim-x12-mailbox", daemon=True)
        self._thread.start()

    def stop(self):
        self._stopped.set()
        self._kick.set()

    def kick(self):
        """Poll soon, on the mailbox's thread (after a pick: its 945 goes out)."""
        self._kick.set()

    def _run(self):
        while not self._stopped.is_set():
            self._kick.wait(self.poll_interval or None)
            self._kick.clear()
            if not self._stopped.is_set():
                self.poll()

    def stats(self):
        with self._lock:
            return {
                **self.counters,
                "pending": [name for name, _data in self.pending],
                "uploaded": list(self.uploaded),
                "acks_received": dict(self.acks_received),
                "last_error": self.last_error,
            }

    def poll(self):
        """Send what waits, read the inbox, send the answers; returns a summary."""
        with self._lock:
            self.counters["polls"] += 1
            read = []
            try:
                with SftpTransport(**self.connect) as transport:
                    self._flush(transport)
                    for name in self._ready(transport):
                        data = transport.download(self.inbox, name, MAX_BYTES)
                        self._read(name, data)
                        read.append(name)
                        try:
                            transport.move(self.inbox, name, PROCESSED, name)
                        except FileGone:
                            pass  # moved by an earlier poll whose answer was lost
                    self._flush(transport)
            except (TransientFileError, PermanentFileError) as exc:
                self.counters["poll_errors"] += 1
                self.last_error = str(exc)
                _logger.info("X12 mailbox: %s", exc)
                return {"read": read, "error": str(exc), "pending": len(self.pending)}
            self.last_error = None
            return {"read": read, "error": None, "pending": len(self.pending)}

    def _ready(self, transport):
        entries = transport.list(self.inbox)
        return files.ready_names(entries, 0, time.time())

    def _flush(self, transport):
        """Upload the waiting files in order (each under a temporary name of its own,
        the same at every try, then renamed); a failure stops here, kept for later."""
        while self.pending:
            name, data = self.pending[0]
            try:
                transport.upload(self.outbox, name, data, "sim")
            except TransientFileError:
                self.counters["upload_failures"] += 1
                raise
            self.pending.pop(0)
            self.counters["uploads"] += 1
            self.uploaded.append(name)

    # ------------------------------------------------------------------ reading
    def _read(self, name, data):
        self.counters["files_read"] += 1
        try:
            interchanges = x12.parse(data)
        except x12.X12Error as exc:
            self.counters["refused"] += 1
            _logger.info("X12 mailbox: %s is not X12 (%s): left aside", name, exc)
            return
        for interchange in interchanges:
            key = (interchange.sender_qualifier, interchange.sender_id, interchange.control)
            if key in self.seen:
                self.counters["duplicates"] += 1
                continue
            self.seen.add(key)
            for group in interchange.groups:
                if group.functional_id == "FA":
                    self._read_997(group)
                else:
                    self._answer(interchange, group)

    def _read_997(self, group):
        for transaction_set in group.sets:
            for acked in x12ack.read_997(transaction_set):
                control = str(int(acked["group_control"] or 0))
                if control in self.sent_945:
                    self.acks_received[control] = acked["status"]

    def _answer(self, interchange, group):
        results = []
        for transaction_set in group.sets:
            if transaction_set.set_id != "940":
                error = x12.X12Error(
                    f"Transaction set {transaction_set.set_id} is not one a 3PL takes.",
                    code=NOT_SUPPORTED,
                    level="set",
                )
                results.append((transaction_set, [error]))
                continue
            values, errors = x12map.read_set(transaction_set, self.map940)
            if not errors:
                self._order(values, interchange, group)
            results.append((transaction_set, errors))
        body = x12ack.build_997(group, results)
        self._queue("997", interchange, group, "FA", [x12.OutSet("997", "0001", body)])
        self.counters["acks_sent"] += 1

    def _order(self, values, interchange, group):
        """A 940 read: the document stored (picked later), or cancelled."""
        w05 = values["W05"]
        doc_id = w05["depositor_order"]
        versions = _refs(values.get("N9"), "VR")
        version = int(versions[0]) if versions and versions[0].isdigit() else 1
        if w05["order_status"] == "F":
            ok = self.app.cancel_x12(doc_id, version)
            self.counters["cancels" if ok else "refused"] += 1
            return
        party = next(
            (row["N1"] for row in values.get("N1") or () if row["N1"].get("entity") == "ST"), {}
        )
        warehouse = next(
            (row["N1"] for row in values.get("N1") or () if row["N1"].get("entity") == "WH"), {}
        )
        lines = []
        for number, item in enumerate(values["LX"], 1):
            w01 = item["W01"]
            line_ids = _refs(item.get("N9"), "LI")
            quantity = float(w01["quantity"])
            lines.append(
                {
                    "line_id": int(line_ids[0]) if line_ids and line_ids[0].isdigit() else number,
                    "sku": w01["sku"],
                    "quantity": int(quantity) if quantity.is_integer() else quantity,
                    "unit": w01["unit"],
                    "tracking": self.app.tracking_of(w01["sku"]),
                }
            )
        body = {
            "document_type": "shipping_order",
            "document_id": doc_id,
            "version": version,
            "warehouse": warehouse.get("id") or warehouse.get("name") or "",
            "party": {"name": party.get("name") or ""},
            "lines": lines,
            "channel": "x12",
            "x12": {
                "own": (interchange.receiver_qualifier, interchange.receiver_id),
                "partner": (interchange.sender_qualifier, interchange.sender_id),
                "gs": (group.receiver_code, group.sender_code),
                "usage": interchange.usage,
            },
        }
        ok = self.app.store_x12(body)
        self.counters["orders" if ok else "refused"] += 1

    # ------------------------------------------------------------------ writing
    def _queue(self, doc_type, interchange, group, functional_id, sets):
        """Queue one interchange back to the sender of ``interchange``/``group``."""
        envelope = {
            "own": (interchange.receiver_qualifier, interchange.receiver_id),
            "partner": (interchange.sender_qualifier, interchange.sender_id),
            "gs": (group.receiver_code, group.sender_code),
            "usage": interchange.usage,
        }
        return self._queue_to(doc_type, envelope, functional_id, sets)

    def _queue_to(self, doc_type, envelope, functional_id, sets):
        control = next(self.controls)
        text = x12.build_interchange(
            sender_qualifier=envelope["own"][0],
            sender_id=envelope["own"][1],
            receiver_qualifier=envelope["partner"][0],
            receiver_id=envelope["partner"][1],
            control=control,
            groups=[
                x12.OutGroup(
                    functional_id, envelope["gs"][0], envelope["gs"][1], str(control), sets=sets
                )
            ],
            usage=envelope["usage"] or "P",
            when=datetime.now(UTC).replace(tzinfo=None),
        )
        self.pending.append((f"{doc_type}_{control:09d}.x12", text.encode()))
        return str(control)

    def shipped(self, doc, event):
        """Queue the 945 of ``event`` (a shipping confirmation of ``doc``, an order
        that came as a 940); the mailbox's thread uploads it."""
        with self._lock:
            control = self._queue_to("945", doc["x12"], "SW", [self._945(doc, event)])
            self.sent_945[control] = doc["document_id"]
            self.counters["advices_sent"] += 1
        self.kick()

    def _945(self, doc, event):
        ordered = {line["line_id"]: line for line in doc["lines"]}
        moment = datetime.strptime(event["shipped_at"], "%Y-%m-%dT%H:%M:%SZ")
        package = (event.get("packages") or [{}])[0]
        items, total = [], 0.0
        for number, row in enumerate(event["lines"], 1):
            line = ordered.get(row.get("line_id"), {})
            quantity = line.get("quantity", row["quantity"])
            total += row["quantity"]
            item = {
                "LX": {"number": str(number)},
                "W12": {
                    "status": "CC" if row["quantity"] >= quantity else "CP",
                    "ordered": _number(quantity),
                    "shipped": _number(row["quantity"]),
                    "difference": _number(quantity - row["quantity"])
                    if row["quantity"] < quantity
                    else None,
                    "unit": line.get("unit") or "EA",
                    "sku_qualifier": "SK",
                    "sku": row["sku"],
                    "lot": row.get("lot"),
                },
                "N9": [{"qualifier": "LI", "ref": str(row["line_id"])}],
            }
            if row.get("package"):
                item["MAN"] = [{"qualifier": "GM", "sscc": "00" + row["package"]}]
            items.append(item)
        refs = [{"qualifier": "VR", "ref": str(doc["version"])}]
        if package.get("tracking_ref"):
            refs.append({"qualifier": "CN", "ref": package["tracking_ref"]})
        values = {
            "W06": {
                "reporting_code": "F" if event.get("cancel_remaining") else "P",
                "depositor_order": doc["document_id"],
                "date": moment.strftime("%Y%m%d"),
                "shipment_id": event["event_id"],
            },
            "N9": refs,
            "G62": [
                {
                    "qualifier": "11",
                    "date": moment.strftime("%Y%m%d"),
                    "time": moment.strftime("%H%M"),
                }
            ],
            "W27": {"transport": "M", "routing": package.get("carrier") or "sim"},
            "LX": items,
            "W03": {"total_units": _number(total)},
        }
        if doc["party"].get("name"):
            values["N1"] = [{"N1": {"entity": "ST", "name": doc["party"]["name"][:60]}}]
        return x12.OutSet("945", "0001", x12map.render_set(self.map945, values))
