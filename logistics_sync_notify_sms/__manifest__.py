# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Logistics Sync - Customer notifications by SMS",
    "summary": "Shipment notifications also by text message, through Odoo's SMS queue, "
    "per milestone, when the customer has a valid mobile number",
    "version": "18.0.1.0.0",
    "category": "Inventory/Delivery",
    "website": "https://github.com/logistics-sync/logistics-sync",
    "author": "Logistics Sync",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "maintainers": ["logistics-sync"],
    "installable": True,
    "auto_install": True,
    "depends": ["logistics_sync_notify", "sms"],
    "data": [
        "data/sms_template_data.xml",
        "views/logistics_notify_kind_views.xml",
        "views/res_partner_views.xml",
    ],
}
