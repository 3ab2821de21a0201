# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.tools import SQL


class LogisticsSyncKpi(models.Model):
    """Inventory accuracy of the warehouses a 3PL endpoint operates, per hour.

    Line-based, as the reconciliation's own figure: the product and lot lines on
    which Odoo and the 3PL agree over the lines compared, of the last
    reconciliation of each of the endpoint's warehouses taken before the hour's
    end (an endpoint operating one warehouse: that warehouse's figure; several:
    their lines together).  Not value-weighted: a line off by one unit of a cheap
    product counts as much as one of an expensive product (the discrepancy list
    carries the value)."""

    _inherit = "logistics.sync.kpi"

    inventory_lines_compared = fields.Integer(
        string="Inventory lines compared",
        readonly=True,
        aggregator=False,  # internal: only the ratio (inventory_accuracy) is a measure
        help="Product and lot lines compared by the last reconciliation of each warehouse "
        "the 3PL operates, as of the hour's end.",
    )
    inventory_lines_matching = fields.Integer(
        string="Inventory lines matching",
        readonly=True,
        aggregator=False,
        help="Of those, the lines on which Odoo and the 3PL agree.",
    )
    inventory_accuracy = fields.Float(
        string="Inventory accuracy (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Lines matching over lines compared in the last reconciliation of the 3PL's "
        "warehouses, as of the hour's end (0: no reconciliation yet). Grouped: the lines "
        "matching of the group's hours over their lines compared, never an average of "
        "rates.",
    )

    def _read_group_select(self, aggregate_spec, query):
        if aggregate_spec.startswith("inventory_accuracy:"):
            table = SQL.identifier(self._table)
            return SQL(
                "COALESCE(100.0 * SUM(%(t)s.inventory_lines_matching)"
                " / NULLIF(SUM(%(t)s.inventory_lines_compared), 0), 0)",
                t=table,
            )
        return super()._read_group_select(aggregate_spec, query)

    @api.model
    def _compute_hours(self, company, first, stop, endpoints=None):
        result = super()._compute_hours(company, first, stop, endpoints=endpoints)
        self._store_inventory_accuracy(company, first, stop, endpoints)
        return result

    @api.model
    def _store_inventory_accuracy(self, company, first, stop, endpoints=None):
        """The accuracy figures of the rows of ``company`` from ``first`` to
        ``stop`` (recomputing an hour gives the same figures)."""
        endpoints = endpoints or self.env["logistics.endpoint"].sudo().search(
            [("company_id", "=", company.id)]
        )
        if not endpoints or first >= stop:
            return
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
            UPDATE logistics_sync_kpi k
               SET inventory_lines_compared = COALESCE(f.compared, 0),
                   inventory_lines_matching = COALESCE(f.matching, 0),
                   inventory_accuracy = CASE WHEN f.compared > 0
                                             THEN 100.0 * f.matching / f.compared ELSE 0 END
              FROM logistics_sync_kpi r
              LEFT JOIN LATERAL (
                    SELECT sum(s.line_count) AS compared, sum(s.matched_count) AS matching
                      FROM (SELECT DISTINCT ON (s.warehouse_id) s.line_count, s.matched_count
                              FROM logistics_tpl_snapshot s
                             WHERE s.endpoint_id = r.endpoint_id
                               AND s.taken_at < r.hour + interval '1 hour'
                             ORDER BY s.warehouse_id, s.taken_at DESC, s.id DESC) s
                   ) f ON true
             WHERE k.id = r.id AND r.endpoint_id = ANY(%(ids)s)
               AND r.hour >= %(first)s AND r.hour < %(stop)s
            """,
                ids=endpoints.ids,
                first=first,
                stop=stop,
            )
        )
        self.invalidate_model()
