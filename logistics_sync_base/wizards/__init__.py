from . import logistics_endpoint_secret
from . import logistics_event_discard
