from . import logistics_booking_uncertain
