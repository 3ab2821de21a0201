# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Logistics Sync - Carrier",
    "summary": "Delivery carriers backed by a Logistics Sync endpoint",
    "version": "18.0.1.0.0",
    "category": "Inventory/Delivery",
    "website": "https://github.com/logistics-sync/logistics-sync",
    "author": "Logistics Sync",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["logistics_sync_base"],
    "data": ["views/delivery_carrier_views.xml"],
}
