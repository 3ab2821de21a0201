# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Logistics Sync - Monitoring of TMS releases",
    "summary": "Glue: the TMS release backlog, rejected tenders and unanswered "
    "releases in the sync's monitoring",
    "version": "18.0.1.0.0",
    "category": "Inventory/Delivery",
    "website": "https://github.com/logistics-sync/logistics-sync",
    "author": "Logistics Sync",
    "license": "LGPL-3",
    "development_status": "Beta",
    "maintainers": ["logistics-sync"],
    "installable": True,
    "auto_install": True,
    "depends": ["logistics_sync_monitoring", "logistics_sync_tms"],
    "data": ["views/stock_picking_views.xml"],
}
