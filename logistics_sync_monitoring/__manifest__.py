# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Logistics Sync - Monitoring",
    "summary": "Dashboards: sync latency, failed message rate, dead letters per endpoint",
    "version": "18.0.1.0.0",
    "category": "Inventory/Delivery",
    "website": "https://github.com/logistics-sync/logistics-sync",
    "author": "Logistics Sync",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["logistics_sync_base"],
    "data": [
        "security/ir.model.access.csv",
        "security/logistics_sync_kpi_security.xml",
        "views/logistics_sync_kpi_views.xml",
    ],
}
