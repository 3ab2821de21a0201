# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.tools import SQL


class LogisticsSyncAlertRule(models.Model):
    """The figure *Overdue acknowledgements (997/CONTRL)*: per endpoint, the
    interchanges we sent whose acknowledgement (an X12 997, an EDIFACT CONTRL) is past
    its due time and has not come (``ack_status`` pending or overdue with
    ``ack_due_at`` in the past: the figure does not wait for the EDI addon's
    15-minute cron to mark them).  A rule *above 0* opens an alert on the partner's
    endpoint when one is overdue and closes it once every one is acknowledged (or
    rejected: a rejection is an exchange in error, not a missing answer)."""

    _inherit = "logistics.sync.alert.rule"

    figure = fields.Selection(
        selection_add=[("overdue_acks", "Overdue acknowledgements (997/CONTRL)")],
        ondelete={"overdue_acks": "cascade"},
    )

    @api.model
    def _figures(self, endpoints, window_minutes):
        result = super()._figures(endpoints, window_minutes)
        if not endpoints:
            return result
        self.env["logistics.edi.exchange"].flush_model(
            ["endpoint_id", "direction", "ack_status", "ack_due_at"]
        )
        self.env.cr.execute(
            SQL(
                """
            SELECT x.endpoint_id, count(*)
              FROM logistics_edi_exchange x
             WHERE x.endpoint_id = ANY(%(ids)s)
               AND x.direction = 'out'
               AND x.ack_status IN ('pending', 'overdue')
               AND x.ack_due_at < %(now)s
             GROUP BY x.endpoint_id
            """,
                ids=endpoints.ids,
                now=fields.Datetime.now(),
            )
        )
        counts = dict(self.env.cr.fetchall())
        for endpoint_id, figures in result.items():
            figures["overdue_acks"] = counts.get(endpoint_id, 0)
        return result
