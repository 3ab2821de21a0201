# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models
from odoo.tools import SQL


class LogisticsSyncKpi(models.Model):
    _inherit = "logistics.sync.kpi"

    @api.model
    def _monitoring_exception_resolutions(self, endpoints, first, stop):
        """Alerts closed (monitoring), and freight disputes settled."""
        rows = super()._monitoring_exception_resolutions(endpoints, first, stop)
        return rows + self._monitoring_dispute_resolutions(endpoints, first, stop)

    @api.model
    def _monitoring_dispute_resolutions(self, endpoints, first, stop):
        """A freight dispute runs from the charge's audit (or creation, for the
        disputed rest of a short payment) to the change of its state from Disputed
        to approved, short-paid or rejected (the state's tracking)."""
        field = self.env["logistics.freight.charge"]._fields["state"]
        # the tracking stores the state's label in the language of who changed it
        selections = [
            dict(field._description_selection(self.with_context(lang=code).env))
            for code, _name in self.env["res.lang"].get_installed()
        ]
        disputed = list({labels["disputed"] for labels in selections})
        still_open = list({labels[s] for labels in selections for s in ("disputed", "exception")})
        self.env.cr.execute(
            SQL(
                """
            SELECT c.endpoint_id, 'freight_dispute', COALESCE(c.audited_at, c.create_date), m.date
              FROM mail_tracking_value v
              JOIN ir_model_fields f ON f.id = v.field_id
                   AND f.model = 'logistics.freight.charge' AND f.name = 'state'
              JOIN mail_message m ON m.id = v.mail_message_id
              JOIN logistics_freight_charge c ON c.id = m.res_id
                   AND m.model = 'logistics.freight.charge'
             WHERE v.old_value_char = ANY(%(disputed)s) AND NOT v.new_value_char = ANY(%(open)s)
               AND m.date >= %(first)s AND m.date < %(stop)s AND c.endpoint_id = ANY(%(ids)s)
            """,
                disputed=disputed,
                open=still_open,
                first=first,
                stop=stop,
                ids=endpoints.ids,
            )
        )
        return self.env.cr.fetchall()
