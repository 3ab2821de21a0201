# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models
from odoo.tools import SQL

# TMS release states that wait for the TMS: the release backlog
RELEASE_BACKLOG = ("blocked", "queued", "sent")


class LogisticsSyncKpi(models.Model):
    _inherit = "logistics.sync.kpi"

    @api.model
    def _monitoring_exception_resolutions(self, endpoints, first, stop):
        """Alerts closed (monitoring), and rejected TMS tenders answered again."""
        rows = super()._monitoring_exception_resolutions(endpoints, first, stop)
        return rows + self._monitoring_tms_resolutions(endpoints, first, stop)

    @api.model
    def _monitoring_tms_resolutions(self, endpoints, first, stop):
        """A rejected tender is resolved by the TMS's next answer for the transfer
        (accepted, planned or cancelled): from the rejection applied to that answer
        applied."""
        self.env.cr.execute(
            SQL(
                """
            SELECT a.endpoint_id, 'tms_rejected', prev.applied_at, a.applied_at
              FROM logistics_event a
             CROSS JOIN LATERAL (
                   SELECT p.applied_at,
                          CASE WHEN p.event_type = 'tms_update'
                               THEN p.payload::jsonb->>'status' END AS status
                     FROM logistics_event p
                    WHERE p.picking_id = a.picking_id AND p.event_type = 'tms_update'
                      AND p.state = 'applied' AND p.applied_at < a.applied_at
                      AND (CASE WHEN p.event_type = 'tms_update'
                                THEN p.payload::jsonb->>'status' END)
                          IN ('accepted', 'planned', 'cancelled', 'rejected')
                    ORDER BY p.applied_at DESC, p.id DESC LIMIT 1) prev
             WHERE a.endpoint_id = ANY(%(ids)s) AND a.event_type = 'tms_update'
               AND a.state = 'applied' AND a.applied_at >= %(first)s AND a.applied_at < %(stop)s
               AND (CASE WHEN a.event_type = 'tms_update' THEN a.payload::jsonb->>'status' END)
                   IN ('accepted', 'planned', 'cancelled')
               AND prev.status = 'rejected'
            """,
                ids=endpoints.ids,
                first=first,
                stop=stop,
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _monitoring_release_backlog(self, endpoints):
        """{endpoint id: TMS releases not answered yet}: blocked, queued or sent
        and waiting for the TMS (``logistics.tms.release`` states)."""
        groups = (
            self.env["logistics.tms.release"]
            .sudo()
            ._read_group(
                [("endpoint_id", "in", endpoints.ids), ("state", "in", RELEASE_BACKLOG)],
                ["endpoint_id"],
                ["__count"],
            )
        )
        return {endpoint.id: count for endpoint, count in groups}
