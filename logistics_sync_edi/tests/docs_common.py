# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Partners exchanging business documents as files: a 3PL speaking X12 (940 out,
945 in), a customer receiving 856s, a stock user in no Logistics Sync group."""

import tempfile
from pathlib import Path

from odoo import Command, fields
from odoo.tests import new_test_user

from odoo.addons.logistics_sync_base.tests.common import LogisticsCommon
from odoo.addons.queue_job.exception import RetryableJobError

DATA = Path(__file__).resolve().parent / "data"
JOB_MODELS = ("logistics.tpl.release", "logistics.tpl.asn", "logistics.tms.release")


def x12_file(functional_id, set_id, body, control="000000731", sender="LYON3PL", qualifier="ZZ"):
    """An interchange from ``sender`` to us holding one set of ``body`` (segment
    texts without terminators), SE01 counted."""
    lines = [
        f"ISA*00*          *00*          *{qualifier}*{sender:<15}*ZZ*ACMEMFG        *261207*1630*U*00401*"
        f"{control}*0*T*>",
        f"GS*{functional_id}*{sender}*ACMEMFG*20261207*1630*{int(control)}*X*004010",
        f"ST*{set_id}*0001",
        *body,
        f"SE*{len(body) + 2}*0001",
        f"GE*1*{int(control)}",
        f"IEA*1*{control}",
    ]
    return ("~\n".join(lines) + "~\n").encode()


class EdiDocsCommon(LogisticsCommon):
    @classmethod
    def _edi_partner_values(cls, name, code, kind, **extra):
        folder = tempfile.mkdtemp(prefix=f"lsync-{code}-")
        return {
            "name": name,
            "code": code,
            "kind": kind,
            "responsible_user_id": cls.responsible.id,
            "file_transport": "folder",
            "file_format": "x12",
            "file_outbound_path": folder,
            "edi_isa_qualifier_partner": "ZZ",
            "edi_isa_id_partner": "LYON3PL",
            "edi_isa_qualifier_own": "ZZ",
            "edi_isa_id_own": "ACMEMFG",
            "edi_gs_code_own": "ACMEMFG",
            "edi_gs_code_partner": "LYON3PL",
            "edi_usage": "T",
            **extra,
        }

    @classmethod
    def _setup_tpl_edi(cls):
        cls._setup_logistics()
        cls.tpl = cls.env["logistics.endpoint"].create(
            cls._edi_partner_values("Lyon 3PL (X12)", "lyon-3pl-x12", "wms")
        )
        cls.warehouse = cls.env["stock.warehouse"].create(
            {"name": "3PL Lyon X12", "code": "X3PL", "tpl_endpoint_id": cls.tpl.id}
        )
        cls.stock = cls.warehouse.lot_stock_id
        cls.customers = cls.env.ref("stock.stock_location_customers")
        cls.product.default_code = "WIDGET"
        cls.lot_product = cls.env["product.product"].create(
            {"name": "Batch paint", "default_code": "PAINT", "is_storable": True, "tracking": "lot"}
        )
        cls.env["stock.lot"].create(
            {"name": "LOT-A", "product_id": cls.lot_product.id, "company_id": cls.company.id}
        )
        cls.customer.write({"street": "1 rue de la Paix", "city": "Lyon", "zip": "69001"})
        cls.stock_user = new_test_user(
            cls.env, login="edi_stock_user", groups="stock.group_stock_user"
        )
        cls.Exchange = cls.env["logistics.edi.exchange"]

    def _delivery(self, lines, user=None):
        """A confirmed delivery of the 3PL warehouse made by the stock user."""
        env = self.env(user=user or self.stock_user)
        picking = env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.out_type_id.id,
                "partner_id": self.customer.id,
                "location_id": self.stock.id,
                "location_dest_id": self.customers.id,
                "scheduled_date": fields.Datetime.now(),
                "move_ids": [
                    Command.create(
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "location_id": self.stock.id,
                            "location_dest_id": self.customers.id,
                        }
                    )
                    for product, qty in lines
                ],
            }
        )
        picking.action_confirm()
        return picking

    def _run_jobs(self, trap, rounds=30):
        """Perform the queued document jobs (and those they queue) as the runner would."""
        for _round in range(rounds):
            jobs = [job for job in trap.enqueued_jobs if job.model_name in JOB_MODELS]
            trap.enqueued_jobs = []
            if not jobs:
                return
            for job in jobs:
                try:
                    job.perform()
                except RetryableJobError as exc:
                    self.fail(f"{job} asked for a retry: {exc}")
        self.fail("jobs kept queuing more jobs")

    def _out(self, record, doc_type):
        return self.Exchange.search(
            [
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("direction", "=", "out"),
                ("doc_type", "=", doc_type),
            ],
            order="id",
        )

    def _text(self, exchange):
        return exchange.attachment_id.raw.decode()
