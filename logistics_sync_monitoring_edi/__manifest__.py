# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Logistics Sync - Monitoring of EDI acknowledgements",
    "summary": "Glue: an alert when an EDI partner's acknowledgement (997/CONTRL) is overdue",
    "version": "18.0.1.0.0",
    "category": "Inventory/Inventory",
    "website": "https://github.com/logistics-sync/logistics-sync",
    "author": "Logistics Sync",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "maintainers": ["logistics-sync"],
    "installable": True,
    "auto_install": True,
    "depends": ["logistics_sync_monitoring", "logistics_sync_edi"],
    "data": ["data/logistics_sync_alert_rule_data.xml"],
}
