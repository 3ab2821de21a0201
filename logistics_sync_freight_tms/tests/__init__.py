from . import test_freight_tms
