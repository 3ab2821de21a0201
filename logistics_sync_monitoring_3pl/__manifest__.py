# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Logistics Sync - Monitoring of 3PL warehouses",
    "summary": "Glue: the inventory accuracy of 3PL warehouses in the sync's KPI "
    "overview and history",
    "version": "18.0.1.0.0",
    "category": "Inventory/Inventory",
    "website": "https://github.com/logistics-sync/logistics-sync",
    "author": "Logistics Sync",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "maintainers": ["logistics-sync"],
    "installable": True,
    "auto_install": True,
    "depends": ["logistics_sync_monitoring", "logistics_sync_3pl"],
    "data": ["views/logistics_sync_kpi_views.xml"],
}
