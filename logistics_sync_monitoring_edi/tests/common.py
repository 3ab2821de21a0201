# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""An X12 partner (logistics_sync_edi's test carrier) watched by an alert rule on
the figure *Overdue acknowledgements (997/CONTRL)*, and a stock user in no Logistics
Sync group who causes what is sent."""

from odoo.tests import new_test_user

from odoo.addons.logistics_sync_edi.tests.common import EdiCommon

# a 214 status set the partner is sent (as logistics_sync_edi's outbound tests send)
STATUS = {
    "B10": {"tracking_ref": "PRO1", "shipment_ref": "EDI/OUT/00001", "scac": "WIDG"},
    "LX": [
        {
            "LX": {"number": "1"},
            "AT7": [{"AT7": {"status": "AF", "reason": "NS", "date": "20261126", "time": "0930"}}],
        }
    ],
}


class MonitoringEdiCommon(EdiCommon):
    @classmethod
    def _setup_monitoring_edi(cls):
        cls._setup_edi()
        cls.stock_user = new_test_user(
            cls.env, login="ls_mon_edi_stock", groups="stock.group_stock_user"
        )
        cls.Alert = cls.env["logistics.sync.alert"]
        cls.Rule = cls.env["logistics.sync.alert.rule"]
