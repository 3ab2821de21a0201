# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Logistics Sync - TMS",
    "summary": "Transfers released to a TMS in real time or batch windows; its answers back",
    "version": "18.0.1.1.0",
    "category": "Inventory/Delivery",
    "website": "https://github.com/logistics-sync/logistics-sync",
    "author": "Logistics Sync",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["logistics_sync_base", "sale_stock"],
    "external_dependencies": {"python": ["jsonschema", "requests"]},
    "data": [
        "security/ir.model.access.csv",
        "security/logistics_tms_security.xml",
        "data/queue_job_data.xml",
        "data/ir_cron_data.xml",
        "views/logistics_tms_release_views.xml",
        "views/sale_order_views.xml",
    ],
    "demo": ["demo/logistics_tms_demo.xml"],
}
