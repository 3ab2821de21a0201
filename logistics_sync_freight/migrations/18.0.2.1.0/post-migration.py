# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The carrier invoice folder moves onto base's file channel (18.0.2.1.0).

Every endpoint that had ``freight_import_folder`` gets ``file_transport`` *folder*,
that folder as its inbound path and the format ``freight_csv``; the old limits
(system parameters ``logistics_sync_freight.import_max_bytes`` and
``..._min_age_seconds``) become the endpoint's. The old column, parameters and cron
are removed (the column by Odoo's update, with the field); import jobs still queued are cancelled (their files are still in the
folder: the channel's pick-up takes them)."""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

OLD_PARAMS = (
    "logistics_sync_freight.import_max_bytes",
    "logistics_sync_freight.import_min_age_seconds",
)


def _param(cr, key):
    cr.execute(SQL("SELECT value FROM ir_config_parameter WHERE key = %s", key))
    row = cr.fetchone()
    try:
        return int(row[0]) if row else None
    except ValueError:
        return None


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        SQL(
            "SELECT 1 FROM information_schema.columns WHERE table_name = 'logistics_endpoint'"
            " AND column_name = 'freight_import_folder'"
        )
    )
    if cr.fetchone():
        max_bytes = _param(cr, OLD_PARAMS[0])
        min_age = _param(cr, OLD_PARAMS[1])
        cr.execute(
            SQL(
                """UPDATE logistics_endpoint
                      SET file_transport = 'folder',
                          file_inbound_path = freight_import_folder,
                          file_format = 'freight_csv',
                          file_max_bytes = COALESCE(%s, file_max_bytes),
                          file_min_age_seconds = COALESCE(%s, file_min_age_seconds)
                    WHERE coalesce(freight_import_folder, '') != ''
                      AND coalesce(file_transport, 'none') = 'none'""",
                max_bytes if max_bytes and max_bytes > 0 else None,
                min_age if min_age is not None and min_age >= 0 else None,
            )
        )
    cr.execute(SQL("DELETE FROM ir_config_parameter WHERE key IN %s", OLD_PARAMS))
    cr.execute(
        SQL(
            """UPDATE queue_job SET state = 'cancelled', date_cancelled = now() AT TIME ZONE 'UTC'
                WHERE method_name = '_job_import_freight_file'
                  AND state IN ('wait_dependencies', 'pending', 'enqueued', 'failed')"""
        )
    )
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("logistics_sync_freight.ir_cron_freight_import", raise_if_not_found=False)
    if cron:
        cron.unlink()  # noupdate data: not removed by the update itself
