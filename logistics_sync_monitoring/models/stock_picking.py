# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from markupsafe import Markup, escape

from odoo import fields, models
from odoo.osv import expression
from odoo.tools import format_datetime

from odoo.addons.logistics_sync_base.lib import milestones

# completeness checks: system parameter -> default
PARAMS = {
    "tracking_hours": 4,
    "silent_hours": 24,
    "freight_days": 7,
    "tms_hours": 4,
}
IN_FLIGHT = ("picked_up", "in_transit", "out_for_delivery")


def _seconds(delta):
    seconds = int(delta.total_seconds())
    hours, rest = divmod(abs(seconds), 3600)
    sign = "-" if seconds < 0 else ""
    if hours >= 48:
        return f"{sign}{hours // 24} d {hours % 24} h"
    if hours:
        return f"{sign}{hours} h {rest // 60:02d} min"
    # steps between milestones often take seconds: minutes alone would read "0 h 00 min"
    if rest >= 60:
        return f"{sign}{rest // 60} min {rest % 60:02d} s"
    return f"{sign}{rest} s"


class StockPicking(models.Model):
    _inherit = "stock.picking"

    mon_missing_tracking = fields.Boolean(
        string="No tracking after validation",
        compute="_compute_mon_checks",
        search="_search_mon_missing_tracking",
    )
    mon_booked_without_label = fields.Boolean(
        string="Booked without label",
        compute="_compute_mon_checks",
        search="_search_mon_booked_without_label",
    )
    mon_silent = fields.Boolean(
        string="Silent shipment",
        compute="_compute_mon_checks",
        search="_search_mon_silent",
        help="Picked up or in transit, and no event for longer than the silence limit.",
    )
    mon_trace = fields.Html(
        string="Trace",
        compute="_compute_mon_trace",
        sanitize=False,
        # as its page on the transfer: the pipeline's events are for Logistics Sync users
        groups="logistics_sync_base.group_logistics_sync_user",
    )

    # ------------------------------------------------------------ completeness
    def _mon_param(self, key):
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(f"logistics_sync_monitoring.{key}", PARAMS[key])
        )

    def _mon_domains(self):
        """{check: domain of the transfers failing it}.  Other addons add their own
        check (a key ``x`` with a boolean field ``mon_x`` computed by
        ``_compute_mon_checks``): the glue addons logistics_sync_monitoring_tms and
        logistics_sync_monitoring_freight."""
        now = fields.Datetime.now()
        outgoing = [("picking_type_code", "=", "outgoing")]
        domains = {
            "missing_tracking": outgoing
            + [
                ("state", "=", "done"),
                ("carrier_tracking_ref", "=", False),
                ("date_done", "<", now - timedelta(hours=self._mon_param("tracking_hours"))),
            ],
            "booked_without_label": [
                ("logistics_booking_state", "=", "booked"),
                ("logistics_label_id", "=", False),
            ],
            "silent": outgoing
            + [
                ("state", "=", "done"),
                ("logistics_milestone", "in", IN_FLIGHT),
                (
                    "logistics_last_event_at",
                    "<",
                    now - timedelta(hours=self._mon_param("silent_hours")),
                ),
            ],
        }
        return domains

    def _mon_check_search(self, check, operator, value):
        domain = self._mon_domains().get(check, expression.FALSE_DOMAIN)
        positive = (operator == "=") == bool(value)
        if operator not in ("=", "!="):
            return NotImplemented
        return domain if positive else ["!"] + expression.normalize_domain(domain)

    def _search_mon_missing_tracking(self, operator, value):
        return self._mon_check_search("missing_tracking", operator, value)

    def _search_mon_booked_without_label(self, operator, value):
        return self._mon_check_search("booked_without_label", operator, value)

    def _search_mon_silent(self, operator, value):
        return self._mon_check_search("silent", operator, value)

    def _compute_mon_checks(self):
        domains = self._mon_domains()
        failing = {
            check: set(self.search([("id", "in", self.ids), *domain]).ids) if self.ids else set()
            for check, domain in domains.items()
        }
        for picking in self:
            for check, ids in failing.items():
                if f"mon_{check}" in picking._fields:
                    picking[f"mon_{check}"] = picking.id in ids

    # ------------------------------------------------------------------ trace
    def _mon_hops(self):
        """[(time, label)] of the shipment, in time order: the order, the
        validation, the booking, every applied milestone, the freight charge."""
        self.ensure_one()
        hops = []
        sale = self.sale_id if "sale_id" in self._fields else None  # soft: sale_stock
        if sale and sale.date_order:
            hops.append((sale.date_order, self.env._("Order confirmed")))
        hops.append((self.create_date, self.env._("Transfer created")))
        if self.date_done:
            hops.append((self.date_done, self.env._("Transfer validated")))
        booking = (
            self.env["logistics.carrier.booking"]
            .sudo()
            .search([("picking_id", "=", self.id)], order="id", limit=1)
        )
        if booking:
            hops.append((booking.create_date, self.env._("Booked at the carrier")))
        if self.logistics_label_id:
            # The booking is stored in a transaction of its own, which starts after the
            # job's (where the label is created): the label is never before the booking.
            label_at = self.logistics_label_id.sudo().create_date
            if booking:
                label_at = max(label_at, booking.create_date)
            hops.append((label_at, self.env._("Label created")))
        labels = dict(milestones.SELECTION)
        events = (
            self.env["logistics.event"]
            .sudo()
            .search(
                [
                    ("picking_id", "=", self.id),
                    ("state", "=", "applied"),
                    ("event_type", "!=", "tms_update"),  # TMS answers: _mon_tms_hops
                ],
                order="occurred_at, id",
            )
        )
        for event in events:
            label = labels.get(event.milestone) or event.event_type
            hops.append(
                (
                    event.occurred_at,
                    self.env._(
                        "%(milestone)s, reported by %(endpoint)s",
                        milestone=label,
                        endpoint=event.endpoint_id.name,
                    ),
                )
            )
        hops.extend(self._mon_extra_hops())
        return sorted(hops, key=lambda hop: hop[0])

    def _mon_extra_hops(self):
        """Hook: more [(time, label)] hops (the TMS release and its answers with
        logistics_sync_monitoring_tms, the freight bills with
        logistics_sync_monitoring_freight)."""
        return []

    def _compute_mon_trace(self):
        for picking in self:
            if not picking.id:
                picking.mon_trace = False
                continue
            rows, previous = [], None
            for when, label in picking._mon_hops():
                took = _seconds(when - previous) if previous else ""
                rows.append(
                    Markup("<tr><td>%s</td><td>%s</td><td class='text-end'>%s</td></tr>")
                    % (format_datetime(self.env, when, dt_format=False), escape(label), took)
                )
                previous = when
            picking.mon_trace = Markup(
                "<table class='table table-sm o_mon_trace'><thead><tr><th>%s</th><th>%s</th>"
                "<th class='text-end'>%s</th></tr></thead><tbody>%s</tbody></table>"
            ) % (
                self.env._("When"),
                self.env._("Hop"),
                self.env._("Took"),
                Markup("").join(rows),
            )
