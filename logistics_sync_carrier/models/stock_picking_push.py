# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A booked shipment subscribed to its carrier's push tracking (UPS, USPS).

Once a karrio booking has its tracking number, a job on the endpoint's channel asks
the carrier to push that number's events to the endpoint's webhook (the request over
the karrio client's transport: timeout, fixed carrier host, secrets scrubbed).  A
carrier failing (timeouts, 429, 5xx) is retried the queue_job way; a refusal is
shown on the transfer and the shipment is simply polled as before.
"""

import logging
from datetime import timedelta

from odoo import fields, models

from ..adapters import PermanentCarrierError, TransientCarrierError, karrio_push
from odoo.addons.logistics_sync_base.jobs import Retry, run_job

_logger = logging.getLogger(__name__)

DEFAULT_DAYS = 30  # a subscription whose end the carrier does not state: polled rarely this long


class StockPicking(models.Model):
    _inherit = "stock.picking"  # pylint: disable=consider-merging-classes-inherited

    logistics_push_state = fields.Selection(
        [("subscribed", "Subscribed"), ("refused", "Refused by the carrier")],
        string="Carrier push",
        copy=False,
        readonly=True,
        help="Whether the carrier pushes this shipment's tracking events to Odoo.",
    )
    logistics_push_until = fields.Datetime(
        string="Pushed until",
        copy=False,
        readonly=True,
        help="End of the carrier's subscription (UPS: 14 days); polled as usual after it.",
    )
    logistics_push_error = fields.Char(string="Carrier push error", copy=False, readonly=True)

    def _logistics_booking_done(self, label, labels=None):
        # runs in the booking job's transaction of its own (record_outside): the
        # subscription job is stored and committed with the tracking number
        result = super()._logistics_booking_done(label, labels=labels)
        self._logistics_push_enqueue()
        return result

    def _logistics_push_enqueue(self):
        for picking in self.filtered("carrier_tracking_ref"):
            # the three fields deciding it first (no other column of the endpoint
            # read for a carrier that does not push)
            picking.carrier_id.logistics_endpoint_id.sudo().fetch(
                ["carrier_protocol", "karrio_push", "karrio_carrier", "company_id"]
            )
            endpoint = picking.carrier_id._logistics_endpoint()
            if not (
                endpoint.carrier_protocol == "karrio"
                and endpoint.karrio_push
                and karrio_push.subscribes(endpoint.karrio_carrier)
            ):
                continue
            # sudo: pipeline work (the endpoint's credentials and secret), on this
            # transfer only, whoever booked it
            picking.sudo().with_delay(
                channel=endpoint.channel_name,
                identity_key=f"logistics_sync-push-{picking.id}",
                description=f"Logistics Sync: subscribe {picking.name} to {endpoint.code}'s push",
            )._logistics_push_subscribe_job()

    def _logistics_push_subscribe_job(self):
        """Subscribe the tracking number to the carrier's push (a queue_job job)."""
        self.ensure_one()
        endpoint = self.carrier_id._logistics_endpoint()
        return run_job(
            self.env,
            lambda: self._logistics_push_subscribe(endpoint),
            lambda exc: self._logistics_push_error_record(endpoint, exc),
        )

    def _logistics_push_subscribe(self, endpoint):
        if self.logistics_push_state == "subscribed" or not self.carrier_tracking_ref:
            return f"nothing to do ({self.logistics_push_state or 'no tracking number'})"
        # sudo: the secret the carrier sends back with each push (never shown, scrubbed)
        secret = endpoint.sudo().signing_secret
        result = karrio_push.subscribe(
            endpoint._carrier_client(), self.carrier_tracking_ref, endpoint.webhook_url, secret
        )
        days = result.get("days") or DEFAULT_DAYS
        self.write(
            {
                "logistics_push_state": "subscribed",
                "logistics_push_until": fields.Datetime.now() + timedelta(days=days),
                "logistics_push_error": False,
            }
        )
        self.message_post(
            body=self.env._(
                "The carrier pushes the tracking events of %(ref)s to Odoo.",
                ref=self.carrier_tracking_ref,
            )
        )
        return f"subscribed {result['subscription_id']}"

    def _logistics_push_error_record(self, endpoint, exc):
        """``run_job``'s ``on_error``: the error on the transfer, then retry or stop."""
        if isinstance(exc, TransientCarrierError):
            delay = endpoint._outbound_retry_seconds(exc, 1) or 60

            def retry(env):
                env[self._name].browse(self.id).logistics_push_error = exc.message
                return Retry(exc.message, delay)

            return retry
        if isinstance(exc, PermanentCarrierError):

            def refused(env):
                picking = env[self._name].browse(self.id)
                picking.write(
                    {"logistics_push_state": "refused", "logistics_push_error": exc.message}
                )
                picking.message_post(
                    body=env._(
                        "No carrier push for this shipment (it is polled instead): %(error)s",
                        error=exc.message,
                    )
                )
                return f"refused: {exc.message}"

            return refused
        return None
