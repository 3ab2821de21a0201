from . import logistics_freight_adjust
