# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""An outbound interchange whose 997 is overdue opens an alert on its partner; the
997 arriving closes it."""

from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, freeze_time, tagged

from .common import STATUS, MonitoringEdiCommon


@tagged("post_install", "-at_install")
class TestMonitoringEdi(MonitoringEdiCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_monitoring_edi()
        cls.rule = cls.Rule.create(
            {
                "name": "Overdue 997",
                "figure": "overdue_acks",
                "operator": "above",
                "threshold": 0,
                "endpoint_ids": [(6, 0, cls.partner.ids)],
                "user_id": cls.responsible.id,
            }
        )

    def _evaluate(self, at):
        with freeze_time(at):
            self.Rule._cron_evaluate()
        return self.Alert.search([("rule_id", "=", self.rule.id)])

    def test_an_overdue_997_opens_an_alert_the_997_closes_it(self):
        # a stock user in no Logistics Sync group causes the 214 sent to the partner
        sent = self.Exchange.with_user(self.stock_user)._edi_send_x12(self.partner, "214", [STATUS])
        sent = sent.sudo()
        self.assertEqual(sent.ack_status, "pending")
        now = fields.Datetime.now()
        self.assertFalse(self._evaluate(now), "not due yet: no alert")
        later = sent.ack_due_at + timedelta(minutes=1)
        # overdue before the EDI cron marked it: the figure reads the due time
        alert = self._evaluate(later)
        self.assertEqual((len(alert), alert.state, alert.value), (1, "open", 1.0))
        self.assertEqual(alert.endpoint_id, self.partner)
        activity = alert.activity_ids
        self.assertEqual(activity.user_id, self.responsible)
        self.assertIn("Overdue acknowledgements (997/CONTRL)", activity.summary)
        # evaluated again while still overdue: the same alert, none more
        with freeze_time(later):
            self.Exchange._cron_edi_overdue_acks()
        self.assertEqual(sent.ack_status, "overdue")
        self.assertEqual(self._evaluate(later + timedelta(minutes=5)), alert)
        # the partner's 997 arrives: the alert closes
        ack = self._receive("997_accepts_group_1.edi")
        self.assertEqual((ack.doc_type, sent.ack_status), ("997", "accepted"))
        self._evaluate(later + timedelta(minutes=10))
        self.assertEqual(alert.state, "closed")

    def test_the_default_rule_watches_every_partner(self):
        rule = self.env.ref("logistics_sync_monitoring_edi.alert_rule_overdue_acks")
        self.assertEqual(
            (rule.figure, rule.operator, rule.threshold, rule.endpoint_ids),
            ("overdue_acks", "above", 0.0, self.env["logistics.endpoint"]),
        )
        self.assertIn(self.partner, rule._endpoints())
        sent = self.Exchange._edi_send_x12(self.partner, "214", [STATUS])
        other = self.env["logistics.endpoint"].create(
            {"name": "Quiet partner", "code": "quiet-x12", "kind": "carrier"}
        )
        figures = rule._figures(self.partner | other, 60)
        self.assertEqual(
            (figures[self.partner.id]["overdue_acks"], figures[other.id]["overdue_acks"]), (0, 0)
        )
        with freeze_time(sent.ack_due_at + timedelta(minutes=1)):
            figures = rule._figures(self.partner | other, 60)
        self.assertEqual(
            (figures[self.partner.id]["overdue_acks"], figures[other.id]["overdue_acks"]), (1, 0)
        )
