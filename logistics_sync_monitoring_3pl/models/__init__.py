from . import logistics_sync_kpi
