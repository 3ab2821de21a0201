# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
from datetime import timedelta

from odoo import fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    mon_released_unanswered = fields.Boolean(
        string="Released without a TMS answer",
        compute="_compute_mon_checks",
        search="_search_mon_released_unanswered",
        help="Sent to the TMS longer ago than the answer limit, and no answer yet.",
    )

    def _search_mon_released_unanswered(self, operator, value):
        return self._mon_check_search("released_unanswered", operator, value)

    def _mon_domains(self):
        """The transfers whose release was sent more than ``tms_hours`` ago and is
        still waiting for the TMS (state ``sent``)."""
        domains = super()._mon_domains()
        limit = fields.Datetime.now() - timedelta(hours=self._mon_param("tms_hours"))
        waiting = (
            self.env["logistics.tms.release"]
            .sudo()  # the check is on the transfer; the release is technical
            ._search([("state", "=", "sent"), ("sent_at", "<", limit)])
        )
        domains["released_unanswered"] = [("id", "in", waiting.subselect("picking_id"))]
        return domains

    def _mon_extra_hops(self):
        """The release sent to the TMS and the TMS's answers."""
        hops = super()._mon_extra_hops()
        releases = self.env["logistics.tms.release"].sudo().search([("picking_id", "=", self.id)])
        hops += [
            (release.sent_at, self.env._("Released to the TMS (%s)", release.endpoint_id.name))
            for release in releases
            if release.sent_at
        ]
        labels = {
            "accepted": self.env._("Accepted by the TMS"),
            "rejected": self.env._("Rejected by the TMS"),
            "carrier_assigned": self.env._("Carrier assigned by the TMS"),
            "planned": self.env._("Planned by the TMS"),
            "cancelled": self.env._("Cancelled by the TMS"),
        }
        answers = (
            self.env["logistics.event"]
            .sudo()
            .search(
                [
                    ("picking_id", "=", self.id),
                    ("event_type", "=", "tms_update"),
                    ("state", "=", "applied"),
                ],
                order="applied_at, id",
            )
        )
        for answer in answers:
            # shown, not processed: the stored payload as it is (no schema check)
            status = json.loads(answer.payload or "{}").get("status")
            hops.append((answer.applied_at or answer.occurred_at, labels.get(status, status)))
        return hops
