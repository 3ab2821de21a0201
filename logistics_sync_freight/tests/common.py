# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import date

from odoo.addons.logistics_sync_base.tests.common import LogisticsCommon
from odoo.addons.logistics_sync_base.tests.common_access import plain_user

HEADER = "invoice_number,invoice_date,currency,shipment_ref,tracking_ref,charge_type,amount,quantity,description"


def csv_bytes(*rows):
    """A carrier invoice file: the documented header, then ``rows`` (strings)."""
    return ("\n".join((HEADER, *rows)) + "\n").encode()


class FreightCommon(LogisticsCommon):
    @classmethod
    def _setup_freight(cls):
        cls._setup_logistics()
        cls.carrier = cls.env["res.partner"].create({"name": "Road Carrier SA"})
        cls.endpoint.freight_partner_id = cls.carrier
        cls.purchase_journal = cls.env["account.journal"].search(
            [("type", "=", "purchase"), ("company_id", "=", cls.company.id)], limit=1
        )
        cls.company.logistics_freight_journal_id = cls.purchase_journal
        Account = cls.env["account.account"]
        cls.accrued_account = Account.search(
            [
                *Account._check_company_domain(cls.company),
                ("account_type", "=", "liability_current"),
            ],
            limit=1,
        )
        cls.company.expense_accrual_account_id = cls.accrued_account
        cls.company.logistics_freight_accrual_journal_id = cls.env["account.journal"].search(
            [("type", "=", "general"), ("company_id", "=", cls.company.id)], limit=1
        )
        cls.biller = plain_user(cls, "ls_freight_biller", "account.group_account_invoice")
        cls.stock_user = plain_user(cls, "ls_freight_stock", "stock.group_stock_user")
        cls.usd = cls.company.currency_id
        cls.type_base = cls.env.ref("logistics_sync_freight.charge_type_base")
        cls.type_fuel = cls.env.ref("logistics_sync_freight.charge_type_fuel")
        cls.type_liftgate = cls.env.ref("logistics_sync_freight.charge_type_liftgate")
        # bills without taxes unless a test gives the products supplier taxes (the
        # chart's default purchase tax is on them): totals stay the charges'
        types = cls.env["logistics.freight.charge.type"].search([])
        types.product_id.supplier_taxes_id = False
        cls.Batch = cls.env["logistics.freight.batch"]
        cls.Charge = cls.env["logistics.freight.charge"]

    @classmethod
    def _done_picking(cls, expected, currency=None, day=None, name=None, company=None):
        """A validated transfer with an expected cost ``{charge type: amount}`` (None:
        none frozen yet)."""
        picking = cls._make_picking(name=name, company=company)
        cls.env["stock.quant"].with_company(picking.company_id)._update_available_quantity(
            cls.product, picking.location_id, picking.move_ids.product_uom_qty
        )
        picking.action_assign()
        picking.move_ids.quantity = picking.move_ids.product_uom_qty
        picking.move_ids.picked = True
        picking._action_done()
        if expected is not None:
            cls._expect(picking, expected, currency, day)
        return picking

    @classmethod
    def _expect(cls, picking, expected, currency=None, day=None):
        return cls.env["logistics.freight.expected"]._freeze(
            picking,
            {
                "source": "manual",
                "currency": currency or cls.usd,
                "date": day or date.today(),
                "lines": list(expected.items()),
            },
        )

    def _import(self, data, name="invoice.csv", endpoint=None):
        return self.Batch._freight_import(endpoint or self.endpoint, name, data)

    def _charges(self, picking):
        return self.Charge.search([("picking_id", "=", picking.id)], order="id")
