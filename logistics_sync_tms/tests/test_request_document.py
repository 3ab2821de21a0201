# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The shipment request's windows (the endpoint's lengths, the warehouse's pickup
hours, the customer's receiving hours) and its dangerous goods (from the product)."""

from datetime import datetime

from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import Form, TransactionCase, tagged
from odoo.tools import mute_logger

from ..lib import release as release_lib
from .common import TmsCommon
from odoo.addons.logistics_sync_base.tests.common_access import plain_user
from odoo.addons.queue_job.tests.common import trap_jobs

SCHEDULED = datetime(2026, 12, 7, 9, 0)  # UTC: 10:00 in Paris
DEADLINE = datetime(2026, 12, 10, 15, 0)  # UTC: 16:00 in Paris


@tagged("post_install", "-at_install")
class TestRequestDocument(TmsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_tms()
        cls.manager = plain_user(cls, "ls_tms_stock_manager", "stock.group_stock_manager")
        cls.clerk = plain_user(cls, "ls_tms_stock_clerk", "stock.group_stock_user")

    def _doc(self, picking=None):
        picking = picking or self._tms_picking()
        picking.write({"scheduled_date": SCHEDULED, "date_deadline": DEADLINE})
        release = self.env["logistics.tms.release"].create(
            {"name": picking.name, "picking_id": picking.id, "endpoint_id": self.tms.id}
        )
        doc = release._request(1)
        self.assertEqual(release_lib.validate_request(doc), [])
        return doc

    def test_windows_from_the_endpoint(self):
        doc = self._doc()
        self.assertEqual(
            (doc["pickup_window"], doc["delivery_window"]),
            (
                {"start": "2026-12-07T09:00:00Z", "end": "2026-12-07T13:00:00Z"},
                {"start": "2026-12-10T15:00:00Z", "end": "2026-12-10T23:00:00Z"},
            ),
        )
        self.tms.write({"tms_pickup_window_hours": 2, "tms_delivery_window_hours": 24})
        doc = self._doc()
        self.assertEqual(doc["pickup_window"]["end"], "2026-12-07T11:00:00Z")
        self.assertEqual(doc["delivery_window"]["end"], "2026-12-11T15:00:00Z")

    def test_windows_from_the_warehouse_and_the_customer_hours(self):
        """An Inventory / Administrator sets the dock's hours, a Sales / User (with
        Contact Creation, in no Logistics Sync group) the customer's receiving hours:
        local times of Paris, sent in UTC."""
        self.company.partner_id.tz = "Europe/Paris"
        self.warehouse.partner_id = self.company.partner_id
        with Form(self.warehouse.with_user(self.manager)) as form:
            form.tms_pickup_hour_from = 8.0
            form.tms_pickup_hour_to = 17.5
        seller = plain_user(
            self, "ls_tms_seller", "sales_team.group_sale_salesman,base.group_partner_manager"
        )
        self.customer.with_user(seller).write(
            {"tz": "Europe/Paris", "tms_delivery_hour_from": 7.0, "tms_delivery_hour_to": 12.0}
        )
        doc = self._doc()
        # scheduled at 10:00 in Paris: from then until the dock closes at 17:30
        self.assertEqual(
            doc["pickup_window"], {"start": "2026-12-07T09:00:00Z", "end": "2026-12-07T16:30:00Z"}
        )
        # the customer receives from 07:00 to 12:00 on the deadline's day
        self.assertEqual(
            doc["delivery_window"],
            {"start": "2026-12-10T06:00:00Z", "end": "2026-12-10T11:00:00Z"},
        )
        # scheduled after the dock closes: the next day's hours
        picking = self._tms_picking()
        picking.write({"scheduled_date": datetime(2026, 12, 7, 17, 0)})
        release = self.env["logistics.tms.release"].create(
            {"name": picking.name, "picking_id": picking.id, "endpoint_id": self.tms.id}
        )
        self.assertEqual(
            release._request(1)["pickup_window"],
            {"start": "2026-12-08T07:00:00Z", "end": "2026-12-08T16:30:00Z"},
        )

    def test_a_contact_uses_its_company_receiving_hours(self):
        company = self.env["res.partner"].create(
            {
                "name": "Customer Inc",
                "is_company": True,
                "street": "1 rue de la Paix",
                "city": "Lyon",
                "zip": "69001",
                "country_id": self.env.ref("base.fr").id,
                "tz": "UTC",
                "tms_delivery_hour_from": 13.0,
                "tms_delivery_hour_to": 18.0,
            }
        )
        self.customer.write({"parent_id": company.id, "tz": False})
        doc = self._doc()
        self.assertEqual(
            doc["delivery_window"],
            {"start": "2026-12-10T13:00:00Z", "end": "2026-12-10T18:00:00Z"},
        )

    def test_dangerous_goods_from_the_product(self):
        paint = self.env["product.product"].create(
            {"name": "Paint", "is_storable": True, "weight": 4.0}
        )
        with Form(paint.product_tmpl_id.with_user(self.manager)) as form:
            form.logistics_un_number = "1263"
            form.logistics_hazard_class = "3"
            form.logistics_packing_group = "II"
        picking = self._tms_picking(product=paint)
        (line,) = self._doc(picking)["lines"]
        self.assertEqual(
            {k: line[k] for k in ("dangerous_goods", "un_number", "hazard_class", "packing_group")},
            {
                "dangerous_goods": True,
                "un_number": "1263",
                "hazard_class": "3",
                "packing_group": "II",
            },
        )
        (plain,) = self._doc()["lines"]
        self.assertEqual(
            (plain["dangerous_goods"], plain["un_number"], plain["hazard_class"]),
            (False, None, None),
        )
        # an Inventory / User's transfer of it reaches the TMS (schema-valid)
        picking = self._tms_picking(product=paint)
        with trap_jobs() as trap:
            release = picking.with_user(self.clerk)._tms_create_releases()
            self._run_jobs(trap)
        self.assertEqual(release.state, "sent", release.block_reason)

    def test_bad_dangerous_goods_and_hours_are_refused(self):
        template = self.product.product_tmpl_id.with_user(self.manager)
        for values, message in (
            ({"logistics_un_number": "UN1263", "logistics_hazard_class": "3"}, "four digits"),
            ({"logistics_un_number": "12A3", "logistics_hazard_class": "3"}, "four digits"),
            ({"logistics_un_number": "1263"}, "hazard class"),
            ({"logistics_packing_group": "I"}, "needs the UN number"),
        ):
            with self.subTest(values=values):
                with self.assertRaisesRegex(ValidationError, message), self.env.cr.savepoint():
                    template.write(values)
                template.invalidate_recordset()
                self.assertFalse(template.logistics_un_number)
                self.assertFalse(template.logistics_packing_group)
        warehouse = self.warehouse.with_user(self.manager)
        for opens, closes in ((17.0, 8.0), (8.0, 25.0), (-1.0, 8.0)):
            with self.subTest(hours=(opens, closes)):
                with (
                    self.assertRaisesRegex(ValidationError, "from 00:00 to 24:00"),
                    self.env.cr.savepoint(),
                ):
                    warehouse.write({"tms_pickup_hour_from": opens, "tms_pickup_hour_to": closes})
                warehouse.invalidate_recordset()
                self.assertEqual(
                    (warehouse.tms_pickup_hour_from, warehouse.tms_pickup_hour_to), (0.0, 0.0)
                )
        with (
            self.assertRaisesRegex(ValidationError, "from 00:00 to 24:00"),
            self.env.cr.savepoint(),
        ):
            self.customer.write({"tms_delivery_hour_from": 12.0, "tms_delivery_hour_to": 12.0})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self.tms.write({"tms_pickup_window_hours": 0})
                self.tms.flush_recordset()
        self.tms.invalidate_recordset()
        self.assertEqual(self.tms.tms_pickup_window_hours, 4)
