# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What the customer sees of a transfer: in emails and on the portal."""

from odoo import fields, models

# Events a customer sees on the timeline: what happened to the parcel.
TIMELINE_STATES = ("applied", "superseded")


# one file per concern of the model (notifying, what the customer sees), on purpose
class StockPicking(models.Model):
    _inherit = "stock.picking"  # pylint: disable=consider-merging-classes-inherited

    logistics_planned_delivery = fields.Datetime(
        string="Planned delivery to the customer",
        compute="_compute_logistics_planned_delivery",
        help="The carrier's ETA when known, else the delivery date promised on the sale "
        "order (its commitment date).",
    )
    logistics_portal_url = fields.Char(
        string="Tracking page",
        compute="_compute_logistics_portal_url",
        compute_sudo=True,
        groups="base.group_user",
        help="The customer's tracking page of this shipment (opens with the order's "
        "access token, no account needed).",
    )
    logistics_optout_url = fields.Char(
        string="Opt-out link",
        compute="_compute_logistics_optout_url",
        compute_sudo=True,
        groups="base.group_user",
        help="The signed link in every email that stops shipment emails to this customer.",
    )

    def _compute_logistics_planned_delivery(self):
        for picking in self:
            picking.logistics_planned_delivery = (
                picking.logistics_eta or picking.sale_id.commitment_date or False
            )

    def _compute_logistics_portal_url(self):
        for picking in self:
            order = picking.sale_id
            # A form opened in a read-only request shows the link only once the order has
            # its token; emails are rendered in a job, which creates it when missing.
            token = order.access_token or (
                order and not self.env.cr.readonly and order._portal_ensure_token()
            )
            picking.logistics_portal_url = (
                f"{picking.get_base_url()}/my/shipment/{picking.id}?access_token={token}"
                if token
                else False
            )

    def _compute_logistics_optout_url(self):
        for picking in self:
            partner = picking.partner_id
            picking.logistics_optout_url = partner._logistics_optout_url() if partner else False

    def _logistics_timeline(self):
        """The shipment's milestones for the customer: [{label, at, where}], oldest first."""
        self.ensure_one()
        # sudo: called once the customer's access to the order is checked; only the
        # milestone, its time and place are shown (no payload, no error)
        events = (
            self.env["logistics.event"]
            .sudo()
            .search(
                [("picking_id", "=", self.id), ("state", "in", TIMELINE_STATES)],
                order="occurred_at, sequence, id",
            )
        )
        labels = dict(self._fields["logistics_milestone"]._description_selection(self.env))
        return [
            {
                "label": labels[event.milestone],
                "at": event.occurred_at,
                "where": ", ".join(
                    p for p in (event.location_city, event.location_country_code) if p
                ),
            }
            for event in events
            if event.milestone
        ]

    def _logistics_pod_attachment(self):
        """The latest proof of delivery base stored on the transfer, or an empty set."""
        self.ensure_one()
        # sudo: attachments of transfers are not for portal users; this one is served
        # only after the order's access is checked
        return (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "=", self.id),
                    ("name", "=like", "POD-%"),
                ],
                order="id desc",
                limit=1,
            )
        )
