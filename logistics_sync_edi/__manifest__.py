# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Logistics Sync - EDI X12",
    "summary": "Partners who exchange X12 files: every interchange an exchange record, "
    "envelopes checked, 214 shipment status into the event pipeline, 997 both ways",
    "version": "18.0.1.1.0",
    "category": "Inventory/Delivery",
    "website": "https://github.com/logistics-sync/logistics-sync",
    "author": "Logistics Sync",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "maintainers": ["logistics-sync"],
    "installable": True,
    "depends": [
        "logistics_sync_base",
        "stock",
        "logistics_sync_3pl",
        "logistics_sync_tms",
        "logistics_sync_freight",
    ],
    "external_dependencies": {"python": ["pycountry", "pydifact"]},
    "data": [
        "security/ir.model.access.csv",
        "security/logistics_edi_security.xml",
        "data/mail_activity_data.xml",
        "data/ir_cron_data.xml",
        "views/logistics_edi_exchange_views.xml",
        "views/logistics_endpoint_views.xml",
        "views/logistics_endpoint_edidocs_views.xml",
        "views/menus.xml",
    ],
}
