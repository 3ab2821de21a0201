# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Logistics Sync - Freight audit against the TMS",
    "summary": "Glue: the TMS's planned cost as a transfer's expected freight cost, "
    "and carrier charges matched by TMS load number",
    "version": "18.0.1.0.0",
    "category": "Accounting",
    "website": "https://github.com/logistics-sync/logistics-sync",
    "author": "Logistics Sync",
    "license": "LGPL-3",
    "development_status": "Beta",
    "maintainers": ["logistics-sync"],
    "installable": True,
    "auto_install": True,
    "depends": ["logistics_sync_freight", "logistics_sync_tms"],
}
