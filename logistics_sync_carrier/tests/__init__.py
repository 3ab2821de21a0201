from . import (
    test_access,
    test_booking,
    test_booking_retry,
    test_delivery_carrier,
    test_karrio,
    test_karrio_lookup,
    test_karrio_push,
    test_karrio_usps,
    test_responsible,
    test_tracking,
)
