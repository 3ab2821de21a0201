# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Logistics Sync - Benchmark baseline",
    "summary": "A bare Odoo controller doing one INSERT: the baseline bench/ measures against",
    "version": "18.0.1.0.0",
    "category": "Hidden",
    "website": "https://github.com/logistics-sync/logistics-sync",
    "author": "Logistics Sync",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["logistics_sync_base"],
    "data": ["security/ir.model.access.csv"],
}
