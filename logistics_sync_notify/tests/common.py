# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import Command

from odoo.addons.logistics_sync_base.tests.common import LogisticsCommon, event
from odoo.addons.queue_job.job import Job

__all__ = ["NotifyCommon", "event"]


class NotifyCommon(LogisticsCommon):
    """A sale order shipped to a customer with an email, every notification on."""

    @classmethod
    def _setup_notify(cls):
        cls._setup_logistics()
        cls.company.logistics_notify_kind_ids = [
            Command.set(cls.env["logistics.notify.kind"].search([]).ids)
        ]
        cls.company.logistics_notify_debounce_seconds = 300
        cls.customer.write({"email": "customer@example.com", "lang": "en_US"})

    @classmethod
    def _make_order(cls, partner=None):
        """A confirmed sale order of one stored product: its delivery (a transfer)."""
        order = cls.env["sale.order"].create(
            {
                "partner_id": (partner or cls.customer).id,
                "order_line": [
                    Command.create({"product_id": cls.product.id, "product_uom_qty": 1})
                ],
            }
        )
        order.action_confirm()
        return order.picking_ids

    def _notify_jobs(self, picking=None):
        domain = [
            ("method_name", "=", "_job_logistics_notify"),
            ("state", "in", ("pending", "enqueued")),
        ]
        if picking:
            domain.append(("identity_key", "=", f"logistics-notify-{picking.id}"))
        return self.env["queue.job"].search(domain)

    def _run_notify_jobs(self, picking=None):
        """Perform the pending notification jobs as the runner does (eta ignored)."""
        results = []
        for record in self._notify_jobs(picking):
            job = Job.load(self.env, record.uuid)
            results.append(job.perform())
            job.set_done()
            job.store()
        return results

    def _notes(self, picking, state=None):
        notes = picking.logistics_notification_ids.sorted("id")
        return notes.filtered(lambda n: n.state == state) if state else notes

    def _mails(self, picking):
        return self.env["mail.mail"].search(
            [("model", "=", "stock.picking"), ("res_id", "=", picking.id)], order="id"
        )

    def _feed(self, picking, *events):
        """Ingest these events for the transfer and process them as the pipeline does."""
        stored = self._ingest(*events)
        self._process_pending()
        return stored
