from . import logistics_freight_accrue, logistics_freight_adjust
