from . import test_delivery_carrier
