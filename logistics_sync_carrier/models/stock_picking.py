# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Asynchronous carrier booking.

Validating a transfer never waits on a carrier: ``send_to_shipper`` (called by
Odoo when a transfer with a "rate and ship" carrier is validated, or by the
"Send to shipper" button) only stores an idempotency key and queues a job on
the endpoint's channel.  The job books, persists the carrier's reference in a
transaction of its own right away, then fetches the label (a karrio carrier's
labels come with the booking: it is stored and applied in one transaction, the
application in a savepoint of it).

Every retry (the job's own, the "Retry booking" button, "Send to shipper"
again) reuses the transfer's key until the carrier confirms a cancellation: a
carrier that stored a booking whose answer was lost (timeout, 5xx or reset
after storing, our code failing after the answer) returns that booking again.

queue_job conventions, through base's ``jobs.run_job``: carrier trouble raises
``RetryableJobError`` with the backoff or the carrier's Retry-After; the state
kept across the retry (attempts, error, next attempt) is written first in a
transaction of its own, once the attempt's savepoint is rolled back.  The last
attempt marks the transfer failed, schedules an activity and fails the job
(``max_retries`` = the endpoint's max attempts).  No row lock is held while the
carrier is called: jobs of one transfer are serialised by an advisory lock
(``lib.locks.claim``) and the transfer is written after the last call, in a
transaction of its own.
"""

import logging
import math
import uuid
from datetime import timedelta
from typing import NamedTuple

import psycopg2
from markupsafe import Markup

from odoo import Command, _, fields, models

from ..adapters import PermanentCarrierError, TransientCarrierError, UncertainCarrierError
from odoo.addons.logistics_sync_base.jobs import Fail, Retry, record_outside, run_job
from odoo.addons.logistics_sync_base.lib.locks import SnapshotConflict, claim
from odoo.addons.logistics_sync_base.lib.retry import retry_delay

_logger = logging.getLogger(__name__)


class _Unapplied(NamedTuple):
    """A booking stored whose application to the transfer failed: ``error``."""

    error: Exception


class CarrierUnavailable(Exception):
    """The endpoint's circuit is open: wait ``seconds`` (not an attempt)."""

    def __init__(self, seconds, message):
        super().__init__(message)
        self.seconds = seconds
        self.message = message


class LookupPending(Exception):
    """A lost booking not found at the carrier yet, before its indexing delay:
    look again in ``seconds`` (not an attempt), never book meanwhile."""

    def __init__(self, seconds, message):
        super().__init__(message)
        self.seconds = seconds
        self.message = message


class LookupRefused(Exception):
    """The carrier refused the lookup of a lost booking (a setting, an account
    without tracking rights): it may hold the booking, a person decides."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class StockPicking(models.Model):
    _inherit = "stock.picking"

    logistics_booking_state = fields.Selection(
        [
            ("queued", "Booking queued"),
            ("waiting_carrier", "Waiting for carrier"),
            ("booked", "Booked"),
            ("failed", "Booking failed"),
            ("uncertain", "Booking uncertain"),
            ("cancelled", "Cancelled at carrier"),
        ],
        string="Carrier booking",
        copy=False,
        index="btree_not_null",
        tracking=True,
    )
    logistics_booking_key = fields.Char(
        string="Idempotency key",
        copy=False,
        readonly=True,
        help="Sent with every booking attempt: the carrier returns the same booking for it.",
    )
    logistics_booking_attempts = fields.Integer(
        string="Booking attempts", copy=False, readonly=True
    )
    logistics_booking_error = fields.Text(string="Booking error", copy=False, readonly=True)
    logistics_booking_next_at = fields.Datetime(string="Next attempt", copy=False, readonly=True)
    logistics_carrier_shipment_id = fields.Char(
        string="Carrier shipment", copy=False, readonly=True
    )
    logistics_tracking_url = fields.Char(string="Tracking link", copy=False, readonly=True)
    logistics_label_id = fields.Many2one("ir.attachment", string="Label", copy=False, readonly=True)
    logistics_polled_at = fields.Datetime(string="Last polled", copy=False, readonly=True)
    logistics_booking_lookup_since = fields.Datetime(
        string="Looking up since",
        copy=False,
        readonly=True,
        help="A booking's answer was lost at this time: the carrier may hold it. Until it "
        "is settled, every attempt first looks it up at the carrier by the transfer's "
        "reference, and books again only if the carrier has not found it after the "
        "endpoint's reference lookup delay.",
    )
    logistics_return_state = fields.Selection(
        [("done", "Return label made"), ("uncertain", "Return label uncertain")],
        string="Return label",
        copy=False,
        readonly=True,
        help="A karrio carrier's return label for this delivery: made once (one label per "
        "parcel), never asked again; uncertain when the carrier's answer was lost (check "
        "at the carrier before anything else).",
    )
    logistics_return_ref = fields.Char(
        string="Return tracking number",
        copy=False,
        readonly=True,
        help="The carrier's tracking number of the return shipment.",
    )

    def action_logistics_return_label(self):
        """The carrier's return label for a done delivery (or its return transfer)."""
        self.ensure_one()
        self.carrier_id.get_return_label(self)
        return True

    def _logistics_is_async_carrier(self):
        return self.carrier_id.delivery_type == "logistics_sync"

    def send_to_shipper(self):
        self.ensure_one()
        if self._logistics_is_async_carrier():
            self._logistics_queue_booking()
            return None
        return super().send_to_shipper()

    # ---------------------------------------------------------------- queueing
    def _logistics_queue_booking(self):
        for picking in self:
            if picking.logistics_booking_state in (
                "booked",
                "queued",
                "waiting_carrier",
                "uncertain",  # never sent again blindly: the user decides (wizard)
            ):
                continue
            endpoint = picking.carrier_id._logistics_endpoint()
            values = {
                "logistics_booking_state": "queued",
                "logistics_booking_error": False,
                "logistics_booking_next_at": False,
                "logistics_booking_attempts": 0,
            }
            if not picking.logistics_booking_key:
                # Persisted with the validation: every retry, even after a crash, reuses
                # it; only a cancellation the carrier confirmed clears it.
                values["logistics_booking_key"] = picking._logistics_new_key()
            picking.write(values)
            picking._logistics_enqueue_booking(endpoint)
            picking.message_post(
                body=_("Booking with %(carrier)s queued.", carrier=picking.carrier_id.name)
            )

    def _logistics_booking_identity(self):
        return f"logistics_sync-book-{self.id}"

    def _logistics_enqueue_booking(self, endpoint):
        """One booking job per transfer at a time (identity key), on the endpoint's
        channel, retried by queue_job up to the endpoint's max attempts."""
        self.ensure_one()
        # sudo: the booking job is pipeline work (the endpoint's credentials and
        # circuit, the booking record, the label) whoever queued it, an Inventory /
        # User clicking "Send to shipper" included; it acts on this transfer only
        self.sudo().with_delay(
            channel=endpoint.channel_name,
            max_retries=max(1, endpoint.max_attempts - self.logistics_booking_attempts),
            identity_key=self._logistics_booking_identity(),
            description=f"Logistics Sync: book {self.name} with {endpoint.code}",
        )._logistics_book_job()

    def action_logistics_retry_booking(self):
        """Button on failed or waiting transfers: try again now, with the same key.

        The carrier may hold a booking whose answer never reached us (a timeout, a
        5xx or a reset after it stored it, our code failing after the answer):
        a new key would book twice.  Only a confirmed cancellation clears the key.
        """
        for picking in self.filtered(
            lambda p: p.logistics_booking_state in ("failed", "waiting_carrier")
        ):
            endpoint = picking.carrier_id._logistics_endpoint()
            # sudo: queue jobs are technical records users cannot read; only this
            # transfer's own waiting booking job is cancelled, replaced just below.
            self.env["queue.job"].sudo().search(
                [
                    ("identity_key", "=", picking._logistics_booking_identity()),
                    ("state", "in", ("pending", "wait_dependencies")),
                ]
            ).button_cancelled()
            values = {
                "logistics_booking_state": "queued",
                "logistics_booking_next_at": False,
                "logistics_booking_attempts": 0,
            }
            if not picking.logistics_booking_key:
                values["logistics_booking_key"] = picking._logistics_new_key()
            picking.write(values)
            picking._logistics_enqueue_booking(endpoint)
        return True

    def _logistics_new_key(self):
        dbuuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")[:8]
        return f"odoo-{dbuuid}-{self.id}-{uuid.uuid4().hex[:12]}"

    # -------------------------------------------------------------------- job
    def _logistics_book_job(self):
        """Book this transfer at its carrier (a queue_job job).

        Carrier trouble and errors of our own code are recorded on the transfer
        outside the job's transaction, then retried (``jobs.run_job``); a refusal
        by the carrier marks the transfer failed.
        """
        self.ensure_one()
        endpoint = self.carrier_id._logistics_endpoint()
        return run_job(
            self.env,
            lambda: self._logistics_book(endpoint),
            lambda exc: self._logistics_booking_error(endpoint, exc),
        )

    def _logistics_booking_error(self, endpoint, exc):
        """``run_job``'s ``on_error``: how a failed attempt is recorded."""
        if isinstance(exc, CarrierUnavailable):
            return self._logistics_booking_later(exc.seconds, exc.message, count=False)
        if isinstance(exc, LookupPending):
            return self._logistics_booking_later(exc.seconds, exc.message, count=False)
        client = endpoint._carrier_client() if isinstance(exc, UncertainCarrierError) else None
        if client is not None and not client.idempotent and client.finds_by_reference:
            # the carrier can find it by our reference: look it up after its indexing
            # delay (attempts counted: the last one leaves it to a person)
            endpoint._circuit_record(False, exc.message)
            return self._logistics_booking_later(
                max(1, endpoint.karrio_lookup_delay or 0),
                _(
                    "%(error)s; it is looked up at the carrier by %(ref)s before "
                    "anything is sent again.",
                    error=exc.message,
                    ref=self.name,
                ),
                lookup_since=fields.Datetime.now(),
            )
        if client is not None and not client.idempotent:
            # the carrier may hold the booking and takes no idempotency key: asking
            # again could book twice, so a person decides (void and book again, or
            # enter the tracking number found at the carrier)
            endpoint._circuit_record(False, exc.message)
            return (
                lambda env: env[self._name]
                .browse(self.id)
                ._logistics_booking_uncertain(exc.message)
            )
        if isinstance(exc, TransientCarrierError):
            # counted on the circuit; the carrier's Retry-After or backoff with jitter
            delay = endpoint._outbound_retry_seconds(exc, self.logistics_booking_attempts + 1)
            return self._logistics_booking_later(delay, exc.message)
        if isinstance(exc, LookupRefused):
            endpoint._circuit_record(True)  # the carrier answered
            return (
                lambda env: env[self._name]
                .browse(self.id)
                ._logistics_booking_uncertain(exc.message)
            )
        if isinstance(exc, PermanentCarrierError):
            endpoint._circuit_record(True)  # the carrier answered: it is up
            return (
                lambda env: env[self._name].browse(self.id)._logistics_booking_failed(exc.message)
            )
        if isinstance(exc, SnapshotConflict | psycopg2.Error):
            return None  # run_job / queue_job retry concurrency and database errors
        # our own code failed: retried, then failed
        _logger.warning("Booking %s failed: %s", self.name, exc.__class__.__name__)
        delay = retry_delay(
            self.logistics_booking_attempts + 1, base=endpoint.retry_base_seconds or 30
        )
        return self._logistics_booking_later(delay, f"{exc.__class__.__name__}: {exc}")

    def _logistics_book(self, endpoint):
        # Serialise with another booking job of the same transfer (a retry, a crash
        # re-run) without a row lock: no user's save of the transfer waits for the
        # carrier.  The transfer is written only after the last call.
        claim(self.env.cr, "stock_picking", self.ids)
        if self.logistics_booking_state in ("booked", "cancelled", "uncertain"):
            return f"nothing to do ({self.logistics_booking_state})"
        if self.state == "cancel":
            self.write({"logistics_booking_state": False, "logistics_booking_next_at": False})
            self.message_post(body=_("Transfer cancelled: no carrier booking."))
            return "transfer cancelled"
        booking = self._logistics_recovered_booking()
        allowed, wait = endpoint._circuit_allows()
        if not allowed:
            raise CarrierUnavailable(
                wait,
                _(
                    "The carrier is unavailable (circuit open after %(n)s failures); next try in %(s)s s.",
                    n=endpoint.circuit_failures,
                    s=wait,
                ),
            )
        client = endpoint._carrier_client()
        label = None
        if not booking and self.logistics_booking_lookup_since:
            booking = self._logistics_booking_look_up(endpoint, client)
        if not booking:
            result = client.book(
                self._logistics_shipment_payload(endpoint, client), self.logistics_booking_key
            )
            if endpoint.carrier_protocol == "karrio":
                # the labels came with the booking: nothing is asked after it, so it
                # is stored and applied to the transfer in one transaction
                endpoint._circuit_record(True)
                return self._logistics_persist_and_finish(result)
            booking = self._logistics_persist_booking(result)
            label = result.get("label_pdf")
        if endpoint.carrier_protocol == "karrio":
            # the labels came with the booking and were stored with it, once per
            # parcel (karrio carriers give them with the booking only)
            label = False
        elif label is None:
            if endpoint.carrier_protocol == "soap":
                # SOAP carriers return the label with the booking only: asking
                # again with the same key returns the same booking and its label.
                result = client.book(
                    self._logistics_shipment_payload(endpoint), self.logistics_booking_key
                )
                label = result.get("label_pdf")
            else:
                label = client.label(booking["shipment_id"])
        endpoint._circuit_record(True)
        # Applied in a transaction of its own, on the transfer as it is now: a user
        # who saved it while the carrier answered is neither waited for nor undone.
        return record_outside(
            self.env,
            lambda env: env[self._name].browse(self.id)._logistics_booking_finish(booking, label),
        )

    def _logistics_booking_finish(self, booking, label, labels=None):
        """The carrier's booking and label onto the transfer, after the last call
        (``labels``: the attachments stored with the booking, when known)."""
        self._logistics_apply_booking(booking)
        if self.logistics_booking_lookup_since:
            self.logistics_booking_lookup_since = False
        if booking.get("found"):
            self._logistics_booking_found(booking)
        try:
            with self.env.cr.savepoint():
                return self._logistics_booking_done(label, labels=labels)
        except psycopg2.OperationalError:
            raise
        except Exception as exc:  # noqa: BLE001 - booked at the carrier whatever fails here
            _logger.warning("Booked %s, but: %s", self.name, exc.__class__.__name__)
            self.write({"logistics_booking_state": "booked", "logistics_booking_error": str(exc)})
            self._logistics_booking_activity(
                _("Booked at the carrier, but finishing in Odoo failed: %(error)s", error=exc)
            )
            return f"booked, with an error after: {exc}"

    def _logistics_shipment_payload(self, endpoint, client=None):
        weight = self.shipping_weight or self.weight or 1.0
        payload = {
            "reference": self.name,
            "service": endpoint.carrier_service or "standard",
            "weight_kg": round(weight, 3),
            "recipient": self.carrier_id._logistics_recipient(self.partner_id),
        }
        if endpoint.tracking_mode == "webhook" and endpoint.webhook_url:
            payload["webhook_url"] = endpoint.webhook_url
        if endpoint.carrier_protocol == "karrio":
            payload.update(self._logistics_karrio_payload(endpoint, payload["recipient"], client))
        return payload

    def _logistics_karrio_payload(self, endpoint, recipient, client=None):
        """What a real carrier needs beyond the in-house API: parcels (one per
        package, else one for the transfer), the sender (``client``'s when given),
        customs data when the shipment leaves the sender's country."""
        packages = self.move_line_ids.result_package_id
        parcels = [
            {"weight_kg": round(package.shipping_weight or package.weight or 0.1, 3)}
            for package in packages
        ] or [{"weight_kg": round(self.shipping_weight or self.weight or 1.0, 3)}]
        shipper = getattr(client, "shipper", None) or endpoint._karrio_shipper()
        values = {"parcels": parcels, "shipper": shipper}
        if (
            recipient["country"]
            and shipper["country"]
            and recipient["country"] != shipper["country"]
        ):
            values["customs"] = self._logistics_customs()
        return values

    def _logistics_customs(self):
        """HS code, origin country, value and incoterm of what leaves the country."""
        sale = self.sale_id if "sale_id" in self._fields else False
        incoterm = sale.incoterm.code if sale and "incoterm" in sale._fields else False
        # only what is declared is read (not the moves', products' and company's
        # other columns: a booking job reads them once)
        self.company_id.fetch(["currency_id", "incoterm_id"])
        currency = (sale.currency_id if sale else self.company_id.currency_id).name
        moves = self.move_ids
        moves.fetch(
            ["state", "product_id", "quantity", "product_uom_qty"]
            + (["sale_line_id"] if "sale_line_id" in moves._fields else [])
        )
        moves.product_id.fetch(["product_tmpl_id", "weight"])
        moves.product_id.product_tmpl_id.fetch(
            ["name", "list_price", "hs_code", "country_of_origin"]
        )
        items = []
        for move in moves.filtered(lambda m: m.state != "cancel"):
            product = move.product_id
            quantity = move.quantity or move.product_uom_qty
            price = move.sale_line_id.price_unit if "sale_line_id" in move._fields else 0.0
            items.append(
                {
                    "description": (product.name or "")[:35],
                    "quantity": max(1, int(round(quantity))),
                    "value": round((price or product.list_price) * quantity, 2),
                    "weight_kg": round((product.weight or 0.1) * quantity, 3),
                    "hs_code": product.hs_code or None,
                    "origin": product.country_of_origin.code or None,
                }
            )
        return {
            "incoterm": incoterm or self.company_id.incoterm_id.code or "DAP",
            "currency": currency,
            "items": items,
        }

    def _logistics_booking_values(self, result):
        return {
            "picking_id": self.id,
            "idempotency_key": self.logistics_booking_key,
            "shipment_id": result["shipment_id"],
            "tracking_number": result.get("tracking_number") or False,
            "tracking_url": result.get("tracking_url") or False,
            "price": float(result.get("price") or 0.0),
            "currency": result.get("currency") or False,
            "replayed": bool(result.get("replayed")),
        }

    def _logistics_store_booking(self, values, labels):
        """The booking record and its labels (one attachment per parcel, stored with
        the booking itself: a re-run of the job finds them and never asks the
        carrier again)."""
        attachments = self.env["ir.attachment"]
        if labels:
            prefix = self.carrier_id._get_delivery_label_prefix()
            attachments = attachments.create(
                [
                    {
                        "name": f"{prefix}-{self.name}-{label['parcel']}.{label['format'].lower()}",
                        "raw": label["data"],
                        "mimetype": label["mimetype"],
                        "res_model": "stock.picking",
                        "res_id": self.id,
                    }
                    for label in labels
                ]
            )
        # created whole (labels and company given: no second write of the row)
        return self.env["logistics.carrier.booking"].create(
            {
                **values,
                "company_id": self.company_id.id,
                "label_ids": [Command.set(attachments.ids)],
            }
        )

    def _logistics_persist_booking(self, result):
        """Store the carrier's reference at once, in a transaction of its own, so that
        nothing failing later (label download, a crash) can lose a booking made.
        Returns the booking's values, applied to the transfer after the last call."""
        values = self._logistics_booking_values(result)
        labels = result.get("labels") or []
        record_outside(
            self.env,
            lambda env: env[self._name].browse(self.id)._logistics_store_booking(values, labels),
        )
        return values

    def _logistics_persist_and_finish(self, result):
        """A booking after which nothing is asked of the carrier (its labels came
        with it): stored and applied to the transfer in one transaction of its own
        (one transaction less than ``_logistics_persist_booking`` then
        ``_logistics_booking_finish``).  Applying it runs in a savepoint: when it
        fails (a user's save of the transfer meanwhile, a lock held past the
        timeout, our own code) the booking is committed all the same and the error
        raised after it, so the job's next run applies the stored booking
        (``_logistics_recovered_booking``) without asking the carrier again."""
        values = self._logistics_booking_values(result)
        labels = result.get("labels") or []

        def store_and_finish(env):
            picking = env[self._name].browse(self.id)
            booking = picking._logistics_store_booking(values, labels)
            try:
                with env.cr.savepoint():
                    return picking._logistics_booking_finish(
                        values, False, labels=booking.label_ids
                    )
            except Exception as exc:  # noqa: BLE001 - raised once the booking is committed
                return _Unapplied(exc)

        outcome = record_outside(self.env, store_and_finish)
        if isinstance(outcome, _Unapplied):
            raise outcome.error
        return outcome

    def _logistics_recovered_booking(self):
        """The booking this transfer has (values to apply), or the one a previous run
        made and stored before dying (see ``_logistics_persist_booking``), or None."""
        if self.logistics_carrier_shipment_id:
            return {
                "shipment_id": self.logistics_carrier_shipment_id,
                "tracking_number": self.carrier_tracking_ref,
                "tracking_url": self.logistics_tracking_url,
                "price": None,
            }
        if not self.logistics_booking_key:
            return None
        booking = (
            self.env["logistics.carrier.booking"]
            .sudo()
            .search(
                [
                    ("picking_id", "=", self.id),
                    ("idempotency_key", "=", self.logistics_booking_key),
                ],
                order="id desc",
                limit=1,
            )
        )
        if not booking:
            return None
        return booking.read(["shipment_id", "tracking_number", "tracking_url", "price"])[0]

    def _logistics_apply_booking(self, values):
        """Write a booking's values on the transfer (``price`` None: applied already;
        a booking found by reference has no price: the transfer's is kept)."""
        if values["price"] is None:
            return
        url = values["tracking_url"] or ""
        write = {
            "logistics_carrier_shipment_id": values["shipment_id"],
            "carrier_tracking_ref": values["tracking_number"] or False,
            # a link users click: web addresses only (no javascript: and the like)
            "logistics_tracking_url": url if url.startswith(("https://", "http://")) else False,
        }
        if not values.get("found"):
            write["carrier_price"] = self._logistics_customer_price(values["price"] or 0.0)
        self.write(write)

    def _logistics_customer_price(self, cost):
        """What stock_delivery's send_to_shipper does with a carrier's price: free
        over the carrier's threshold, then the carrier's margins."""
        carrier = self.carrier_id
        if carrier.free_over and self.sale_id:
            amount = self.sale_id._compute_amount_total_without_delivery()
            if (
                carrier._compute_currency(self.sale_id, amount, "pricelist_to_company")
                >= carrier.amount
            ):
                cost = 0.0
        return carrier.with_context(order=self.sale_id)._apply_margins(cost)

    def _logistics_booking_done(self, label, labels=None):
        values = {
            "logistics_booking_state": "booked",
            "logistics_booking_error": False,
            "logistics_booking_next_at": False,
            "logistics_booking_attempts": self.logistics_booking_attempts + 1,
        }
        attachment = self.env["ir.attachment"]
        if label:
            attachment = self.carrier_id._logistics_label_attachment(self, label)
            values["logistics_label_id"] = attachment.id
        elif label is False:
            attachment = (
                labels if labels is not None else self._logistics_booking_record().label_ids
            )
            values["logistics_label_id"] = attachment[:1].id
        # One note on the transfer carries the booking, its labels and the tracked
        # changes (Carrier booking: Booking queued -> Booked) instead of a note and
        # a tracking message of its own; logged like Odoo's tracking (what
        # message_post makes of a body without a subtype, without asking who to
        # notify: nobody follows internal notes).
        tracked = self._track_get_fields().intersection(values)
        initial = {name: self[name] for name in tracked}
        self.with_context(mail_notrack=True).write(values)
        _changes, tracking_value_ids = self._mail_track(
            self.fields_get(tracked, attributes=("string", "type", "selection", "currency_field")),
            initial,
        )
        body = Markup("%s<br/>%s") % (
            _(
                "Booked with %(carrier)s: tracking number %(ref)s.",
                carrier=self.carrier_id.name,
                ref=self.carrier_tracking_ref,
            ),
            _("Cost: %(price).2f", price=self.carrier_price or 0.0),
        )
        self._message_log(
            body=body, attachment_ids=attachment.ids, tracking_value_ids=tracking_value_ids
        )
        if self.sale_id and hasattr(self, "_add_delivery_cost_to_so"):
            self._add_delivery_cost_to_so()
        return f"booked {self.logistics_carrier_shipment_id}"

    def _logistics_booking_later(self, seconds, reason, count=True, lookup_since=None):
        """Carrier trouble: ``run_job``'s record of why and when the next attempt is
        (written outside the job's transaction, once its savepoint is rolled back).

        ``count``: an attempt was made (an open circuit is only waited for).  The
        last attempt marks the transfer failed with an activity and fails the job;
        uncertain instead while a lost booking is looked up (``lookup_since``: its
        answer was lost then): the carrier may hold it, a person decides.
        """
        seconds = max(1, math.ceil(seconds))
        endpoint = self.carrier_id._logistics_endpoint()

        def record(env):
            picking = env[self._name].browse(self.id)
            attempts = picking.logistics_booking_attempts + (1 if count else 0)
            if count and attempts >= endpoint.max_attempts:
                if lookup_since or picking.logistics_booking_lookup_since:
                    picking.logistics_booking_attempts = attempts - 1
                    return picking._logistics_booking_uncertain(reason)
                picking._logistics_booking_failed(reason, attempts=attempts)
                return Fail(f"booking of {self.name} failed after {attempts} attempts: {reason}")
            values = {
                "logistics_booking_state": "waiting_carrier",
                "logistics_booking_attempts": attempts,
                "logistics_booking_error": reason,
                "logistics_booking_next_at": fields.Datetime.now() + timedelta(seconds=seconds),
            }
            if lookup_since:
                values["logistics_booking_lookup_since"] = lookup_since
            picking.write(values)
            return Retry(reason, seconds, ignore_retry=not count)

        return record

    def _logistics_booking_failed(self, reason, attempts=None):
        self.write(
            {
                "logistics_booking_state": "failed",
                "logistics_booking_error": reason,
                "logistics_booking_next_at": False,
                "logistics_booking_attempts": attempts or self.logistics_booking_attempts + 1,
            }
        )
        message = (
            _("Booking refused by the carrier: %(reason)s", reason=reason)
            if attempts is None
            else _("Booking not done after %(n)s attempts: %(reason)s", n=attempts, reason=reason)
        )
        self.message_post(body=message)
        self._logistics_booking_activity(message)
        return f"failed: {reason}"

    def _logistics_booking_record(self):
        return (
            self.env["logistics.carrier.booking"]
            .sudo()
            .search(
                [
                    ("picking_id", "=", self.id),
                    ("shipment_id", "=", self.logistics_carrier_shipment_id),
                ],
                order="id desc",
                limit=1,
            )
        )

    def _logistics_booking_uncertain(self, reason):
        """The carrier may hold a booking we never heard of: a person decides."""
        self.write(
            {
                "logistics_booking_state": "uncertain",
                "logistics_booking_error": reason,
                "logistics_booking_next_at": False,
                "logistics_booking_attempts": self.logistics_booking_attempts + 1,
                "logistics_booking_lookup_since": False,  # a person decides now
            }
        )
        message = _(
            "The carrier may have booked this shipment, but its answer was lost (%(reason)s). "
            "It is not sent again by itself: look it up at the carrier, then either enter "
            "its tracking number, or void it there and book again.",
            reason=reason,
        )
        self.message_post(body=message)
        self._logistics_booking_activity(message)
        return f"uncertain: {reason}"

    def action_logistics_resolve_uncertain(self):
        """The wizard of an uncertain booking (enter the tracking number, or void
        and book again)."""
        self.ensure_one()
        self.check_access("write")
        return {
            "type": "ir.actions.act_window",
            "res_model": "logistics.booking.uncertain",
            "view_mode": "form",
            "target": "new",
            "name": _("Uncertain booking"),
            "context": {"default_picking_id": self.id},
        }

    def _logistics_return_uncertain(self, message):
        """Recorded outside the user's transaction (which the error rolls back)."""
        self.write({"logistics_return_state": "uncertain"})
        self._logistics_booking_activity(
            _("Return label uncertain: %(error)s. Look it up at the carrier.", error=message)
        )

    def _logistics_booking_activity(self, note):
        endpoint = self.carrier_id._logistics_endpoint()  # sudo: whoever ran the booking
        self.activity_schedule(
            "logistics_sync_base.mail_activity_logistics_exception",
            note=note,
            summary=_("Carrier booking"),
            user_id=endpoint._responsible_users()[:1].id,
        )

    # ------------------------------------------------------- lookup by reference
    def _logistics_booking_look_up(self, endpoint, client):
        """The booking whose answer was lost, found at the carrier by our reference
        (persisted at once, like a booking made: values to apply), or None when the
        carrier has not found it after the endpoint's delay (then it is booked again
        with the same key).  Not found before the delay: ``LookupPending``; the
        lookup failing: the carrier's error (retried, never booked meanwhile)."""
        since = self.logistics_booking_lookup_since
        recipient = self.carrier_id._logistics_recipient(self.partner_id)
        try:
            found = client.lookup(self.name, since=since.date(), postal_code=recipient.get("zip"))
        except PermanentCarrierError as exc:
            raise LookupRefused(exc.message) from exc
        if found is NotImplemented:
            return None
        if found:
            values = self._logistics_persist_booking(found)
            return {**values, "found": True, "parcels": found.get("parcels")}
        waited = (fields.Datetime.now() - since).total_seconds()
        delay = endpoint.karrio_lookup_delay or 0
        if waited < delay:
            raise LookupPending(
                delay - waited,
                _(
                    "The booking whose answer was lost is not found at the carrier by "
                    "%(ref)s yet; looked up again before anything is sent again.",
                    ref=self.name,
                ),
            )
        self.message_post(
            body=_(
                "The booking whose answer was lost is not at the carrier (looked up by "
                "%(ref)s %(s)s s after): booked again.",
                ref=self.name,
                s=int(waited),
            )
        )
        return None

    def _logistics_booking_found(self, booking):
        """A booking found at the carrier by our reference: no second booking; its
        labels asked again where the carrier can (UPS), else printed at the carrier."""
        if self._logistics_booking_record().label_ids:
            self.message_post(
                body=_(
                    "The carrier had this booking although its answer was lost: found by "
                    "the reference %(ref)s (tracking number %(number)s) and kept, not booked "
                    "twice; its labels were asked again from the carrier.",
                    ref=self.name,
                    number=booking["tracking_number"],
                )
            )
            return
        message = _(
            "The carrier had this booking although its answer was lost: found by the "
            "reference %(ref)s (tracking number %(number)s) and kept, not booked twice. "
            "Its label cannot be fetched again through the carrier's API: print it from "
            "the carrier's site (shipping history) for each parcel: %(parcels)s.",
            ref=self.name,
            number=booking["tracking_number"],
            parcels=", ".join(booking.get("parcels") or [booking["tracking_number"]]),
        )
        self.message_post(body=message)
        self._logistics_booking_activity(message)
