# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Logistics Sync - Customer notifications",
    "summary": "Tells customers where their order is: one email per milestone that "
    "matters, never twice, never stale; opt-out, daily digest, delay warnings, "
    "a portal tracking page",
    "version": "18.0.1.0.0",
    "category": "Inventory/Delivery",
    "website": "https://github.com/logistics-sync/logistics-sync",
    "author": "Logistics Sync",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "maintainers": ["logistics-sync"],
    "installable": True,
    "depends": ["logistics_sync_base", "sale_stock", "portal"],
    "data": [
        "security/ir.model.access.csv",
        "security/logistics_notify_security.xml",
        "data/logistics_notify_kind_data.xml",
        "data/mail_template_data.xml",
        "data/queue_job_data.xml",
        "data/ir_cron_data.xml",
        "views/logistics_notification_views.xml",
        "views/logistics_notify_kind_views.xml",
        "views/stock_picking_views.xml",
        "views/res_config_settings_views.xml",
        "views/logistics_endpoint_views.xml",
        "views/delivery_carrier_views.xml",
        "views/res_partner_views.xml",
        "views/portal_templates.xml",
        "views/optout_templates.xml",
    ],
    "assets": {
        "web.assets_tests": ["logistics_sync_notify/static/tests/tours/*.js"],
    },
}
