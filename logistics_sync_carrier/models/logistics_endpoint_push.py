# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A karrio carrier's own push tracking (UPS Track Alert, FedEx Tracking Webhook,
USPS Tracking Subscription): the switch on the endpoint, the preset it applies, and
the polling it makes rarer for subscribed shipments."""

from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError

from ..adapters import karrio_push
from ..lib import push_presets
from odoo.addons.logistics_sync_base.lib import presets


class LogisticsEndpoint(models.Model):
    _inherit = "logistics.endpoint"  # pylint: disable=consider-merging-classes-inherited

    inbound_preset = fields.Selection(
        selection_add=push_presets.SELECTION,
        ondelete={key: "set null" for key in push_presets.PUSH_PRESETS},
    )
    karrio_push = fields.Boolean(
        string="Tracking by carrier push",
        tracking=True,
        help="The carrier pushes tracking events to Odoo's webhook (UPS Track Alert, FedEx "
        "Tracking Webhook, USPS Tracking Subscription): its push format is set on the "
        "Inbound tab and each booked shipment is subscribed where the carrier takes "
        "subscriptions (UPS, USPS). Polling stays as the fallback, far less often.",
    )
    karrio_push_poll_hours = fields.Integer(
        string="Poll pushed shipments every (hours)",
        default=24,
        help="A shipment the carrier pushes is still polled, this often, in case a push "
        "was lost; a refused or expired subscription is polled like any shipment.",
    )
    karrio_push_how = fields.Char(string="Carrier push set-up", compute="_compute_karrio_push_how")

    @api.depends("karrio_carrier", "karrio_push")
    def _compute_karrio_push_how(self):
        for endpoint in self:
            if not endpoint.karrio_push:
                endpoint.karrio_push_how = False
            elif karrio_push.subscribes(endpoint.karrio_carrier):
                endpoint.karrio_push_how = self.env._(
                    "Odoo subscribes each booked shipment with this URL and the endpoint's "
                    "signing secret: nothing to set up at the carrier."
                )
            else:
                endpoint.karrio_push_how = self.env._(
                    "Set the webhook up in the carrier's portal with this URL; give it the "
                    "endpoint's signing secret as its security token."
                )

    @api.constrains("karrio_push", "karrio_carrier", "carrier_protocol")
    def _check_karrio_push(self):
        for endpoint in self.filtered("karrio_push"):
            if (
                endpoint.carrier_protocol != "karrio"
                or endpoint.karrio_carrier not in push_presets.BY_CARRIER
            ):
                raise ValidationError(
                    self.env._(
                        "Endpoint %(name)s: tracking by carrier push is offered for the karrio "
                        "carriers %(carriers)s.",
                        name=endpoint.name,
                        carriers=", ".join(sorted(push_presets.BY_CARRIER)),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records.filtered("karrio_push")._karrio_push_apply()
        return records

    def write(self, vals):
        result = super().write(vals)
        if vals.get("karrio_push") or (vals.get("karrio_carrier") and "karrio_push" not in vals):
            self.filtered("karrio_push")._karrio_push_apply()
        return result

    def _karrio_push_apply(self):
        """Set the carrier's push format on the inbound side (its preset)."""
        for endpoint in self:
            key = push_presets.BY_CARRIER.get(endpoint.karrio_carrier)
            if not key or endpoint.inbound_preset == key:
                continue
            endpoint.write(
                {
                    **presets.endpoint_values(key),
                    "inbound_preset": key,
                    "status_map_ids": [Command.clear()]
                    + [
                        Command.create({"sequence": index, "source_code": code, "milestone": ms})
                        for index, (code, ms) in enumerate(presets.statuses(key))
                    ],
                }
            )

    def _poll_domain(self):
        """Shipments the carrier pushes are polled every ``karrio_push_poll_hours``."""
        domain = super()._poll_domain()
        if not self.karrio_push:
            return domain
        now = fields.Datetime.now()
        since = now - timedelta(hours=max(1, self.karrio_push_poll_hours))
        return domain + [
            "|",
            "|",
            ("logistics_push_until", "=", False),
            ("logistics_push_until", "<", now),
            "|",
            ("logistics_polled_at", "=", False),
            ("logistics_polled_at", "<", since),
        ]
