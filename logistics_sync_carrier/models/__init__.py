from . import delivery_carrier, logistics_carrier_booking, logistics_endpoint, stock_picking
