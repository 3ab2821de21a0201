# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Logistics Sync - Monitoring",
    "summary": "Sync health: hourly KPI history, overview, alerts, Prometheus metrics",
    "version": "18.0.2.0.0",
    "category": "Inventory/Delivery",
    "website": "https://github.com/logistics-sync/logistics-sync",
    "author": "Logistics Sync",
    "license": "LGPL-3",
    "development_status": "Beta",
    "maintainers": ["logistics-sync"],
    "application": True,
    "installable": True,
    "external_dependencies": {"python": ["prometheus_client"]},
    "depends": ["logistics_sync_carrier", "spreadsheet_dashboard"],
    "data": [
        "security/ir.model.access.csv",
        "security/logistics_sync_kpi_security.xml",
        "data/ir_cron_data.xml",
        "data/mail_activity_data.xml",
        "data/spreadsheet_dashboard_data.xml",
        "views/logistics_sync_kpi_views.xml",
        "views/logistics_endpoint_views.xml",
        "views/logistics_sync_alert_views.xml",
        "views/logistics_metrics_token_views.xml",
        "views/stock_picking_views.xml",
    ],
    "assets": {
        "web.assets_backend": ["logistics_sync_monitoring/static/src/scss/overview.scss"],
        # graph views load lazily in 18.0: their extensions go in the same bundle
        "web.assets_backend_lazy": ["logistics_sync_monitoring/static/src/views/kpi_graph.js"],
        "web.assets_tests": ["logistics_sync_monitoring/static/tests/tours/*.js"],
    },
}
