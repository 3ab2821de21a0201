# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Logistics Sync - Freight",
    "summary": "Freight charges of shipments, ready to reconcile with carrier invoices",
    "version": "18.0.1.0.0",
    "category": "Accounting",
    "website": "https://github.com/logistics-sync/logistics-sync",
    "author": "Logistics Sync",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["logistics_sync_base", "account"],
    "data": [
        "security/ir.model.access.csv",
        "security/logistics_freight_security.xml",
        "views/logistics_freight_charge_views.xml",
    ],
}
