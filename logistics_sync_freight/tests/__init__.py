from . import test_access, test_freight_charge
