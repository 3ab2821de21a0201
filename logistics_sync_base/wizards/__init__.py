from . import logistics_endpoint_secret, logistics_event_discard, logistics_mapping_try
