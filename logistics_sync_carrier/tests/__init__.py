from . import test_booking, test_delivery_carrier, test_tracking
