# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Logistics Sync - Base",
    "summary": "Canonical logistics events over signed webhooks: ordered, "
    "deduplicated updates on transfers, dead letters with replay",
    "version": "18.0.1.2.0",
    "category": "Inventory/Delivery",
    "website": "https://github.com/logistics-sync/logistics-sync",
    "author": "Logistics Sync",
    "license": "LGPL-3",
    "development_status": "Beta",
    "maintainers": ["logistics-sync"],
    "installable": True,
    "depends": ["queue_job", "stock_delivery"],
    "external_dependencies": {
        "python": [
            "standardwebhooks",
            "jsonschema",
            "jsonpath-ng",
            "pycountry",
            "rfc3339-validator",
            "requests",
        ]
    },
    "data": [
        "security/logistics_sync_security.xml",
        "security/ir.model.access.csv",
        "data/queue_job_data.xml",
        "data/ir_cron_data.xml",
        "data/mail_activity_data.xml",
        "views/logistics_endpoint_views.xml",
        "views/logistics_event_views.xml",
        "views/stock_picking_views.xml",
        "views/res_config_settings_views.xml",
        "wizards/logistics_endpoint_secret_views.xml",
        "wizards/logistics_event_discard_views.xml",
        "wizards/logistics_mapping_try_views.xml",
        "views/menus.xml",
    ],
    "demo": ["demo/logistics_endpoint_demo.xml"],
    "post_load": "post_load",
    "pre_init_hook": "pre_init_hook",
}
