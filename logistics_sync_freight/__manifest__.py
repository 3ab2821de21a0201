# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Logistics Sync - Freight",
    "summary": "Freight audit and pay: carrier charges checked against the expected cost, "
    "disputes, vendor bills in batches and period-end accruals",
    "version": "18.0.2.1.0",
    "category": "Accounting",
    "website": "https://github.com/logistics-sync/logistics-sync",
    "author": "Logistics Sync",
    "license": "LGPL-3",
    "development_status": "Beta",
    "maintainers": ["logistics-sync"],
    "installable": True,
    "depends": ["logistics_sync_carrier"],
    "data": [
        "security/ir.model.access.csv",
        "security/logistics_freight_security.xml",
        "data/logistics_freight_data.xml",
        "data/ir_cron_data.xml",
        "views/logistics_freight_charge_views.xml",
        "views/logistics_freight_invoice_views.xml",
        "views/logistics_freight_batch_views.xml",
        "views/logistics_freight_config_views.xml",
        "views/menus.xml",
    ],
}
