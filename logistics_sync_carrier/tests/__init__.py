from . import test_access, test_booking, test_delivery_carrier, test_tracking
