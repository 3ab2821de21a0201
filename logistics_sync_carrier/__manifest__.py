# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Logistics Sync - Carrier",
    "summary": "Asynchronous carrier booking, labels and tracking over REST and SOAP, "
    "with a circuit breaker, no-code webhook mapping and a carrier simulator",
    "version": "18.0.1.0.0",
    "category": "Inventory/Delivery",
    "website": "https://github.com/logistics-sync/logistics-sync",
    "author": "Logistics Sync",
    "license": "LGPL-3",
    "development_status": "Beta",
    "maintainers": ["logistics-sync"],
    "installable": True,
    "depends": ["logistics_sync_base"],
    "external_dependencies": {"python": ["requests", "zeep", "karrio"]},
    "data": [
        "security/ir.model.access.csv",
        "security/logistics_carrier_security.xml",
        "data/ir_cron_data.xml",
        "data/queue_job_data.xml",
        "views/delivery_carrier_views.xml",
        "views/stock_picking_views.xml",
        "views/stock_picking_push_views.xml",
        "views/logistics_endpoint_views.xml",
        "views/logistics_rate_rule_views.xml",
        "wizards/logistics_booking_uncertain_views.xml",
    ],
    "demo": ["demo/logistics_carrier_demo.xml"],
}
