from . import test_freight_charge
