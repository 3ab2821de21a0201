from . import logistics_sync_kpi, stock_picking
