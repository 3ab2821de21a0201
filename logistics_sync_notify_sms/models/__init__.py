from . import logistics_notification, logistics_notify_kind, res_partner, stock_picking
