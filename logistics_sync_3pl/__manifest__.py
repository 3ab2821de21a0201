# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Logistics Sync - 3PL warehouses",
    "summary": "Warehouses run by a 3PL: orders and receipts released as versioned "
    "documents, confirmations back with real quantities, stock reconciled",
    "version": "18.0.1.0.0",
    "category": "Inventory/Inventory",
    "website": "https://github.com/logistics-sync/logistics-sync",
    "author": "Logistics Sync",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "maintainers": ["logistics-sync"],
    "installable": True,
    "depends": ["logistics_sync_base", "stock"],
    "external_dependencies": {"python": ["jsonschema", "requests"]},
    "data": [
        "security/ir.model.access.csv",
        "security/logistics_tpl_security.xml",
        "data/queue_job_data.xml",
        "wizards/logistics_tpl_discrepancy_dismiss_views.xml",
        "views/logistics_tpl_release_views.xml",
        "views/logistics_tpl_snapshot_views.xml",
        "views/stock_warehouse_views.xml",
        "views/logistics_endpoint_views.xml",
        "views/menus.xml",
    ],
}
