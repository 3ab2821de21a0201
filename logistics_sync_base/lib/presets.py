"""Ready-made inbound settings for common tracking aggregators, as data.

An administrator picks a preset on the endpoint form (which fills the signature,
the mapping and the status table), then only pastes the secret the provider
issued.  Each preset cites the public documentation it was built from; the tests
post a signed, documentation-shaped payload of each through the real controller.

``shipment_ref`` is the carrier tracking number everywhere: Odoo finds the
transfer by its tracking reference as well as by its name.
"""

# Values of logistics.endpoint fields every preset sets unless it says otherwise.
_BASE = {
    "inbound_format": "mapped",
    "signature_algorithm": "sha256",
    "signature_encoding": "hex",
    "signature_prefix": False,
    "signature_timestamp": "none",
    "signature_timestamp_header": False,
    "signature_template": "{timestamp}.{body}",
    "signature_separator": "/",
    "map_events_path": False,
    "map_event_id_path": False,
    "map_event_id_fields": False,
    "map_time_format": "rfc3339",
    "map_sequence_path": False,
    "map_tracking_ref_path": False,
    "map_reason_path": False,
    "map_description_path": False,
    "map_location_city_path": False,
    "map_location_postal_code_path": False,
    "map_location_country_path": False,
    "map_eta_path": False,
}

PRESETS = {
    # AfterShip Tracking webhooks.  Sources:
    # https://www.aftership.com/docs/tracking/webhook/webhook-signature (header
    #   aftership-hmac-sha256: base64 HMAC-SHA256 of the body with the webhook secret);
    # https://www.aftership.com/docs/tracking/2025-01/webhook/webhook-specifications
    #   (body: event, event_id (UUID v4), ts, msg = the tracking with tag, checkpoints[]).
    # Checkpoint times are in the checkpoint's own zone, with or without an offset.
    "aftership": {
        "name": "AfterShip",
        "values": {
            "signature_scheme": "hmac",
            "signature_header": "aftership-hmac-sha256",
            "signature_encoding": "base64",
            "map_event_id_path": "event_id",
            "map_shipment_ref_path": "msg.tracking_number",
            "map_tracking_ref_path": "msg.tracking_number",
            "map_status_path": "msg.tag",
            "map_occurred_at_path": "msg.checkpoints.-1.checkpoint_time",
            "map_time_format": "local",
            "map_description_path": "msg.checkpoints.-1.message",
            "map_location_city_path": "msg.checkpoints.-1.city",
            "map_location_postal_code_path": "msg.checkpoints.-1.zip",
            "map_location_country_path": "msg.checkpoints.-1.country_iso3",
            "map_reason_path": "msg.subtag_message",
        },
        "statuses": [
            ("Pending", "label_created"),
            ("InfoReceived", "label_created"),
            ("InTransit", "in_transit"),
            ("OutForDelivery", "out_for_delivery"),
            ("AvailableForPickup", "ready_for_pickup"),
            ("Delivered", "delivered"),
            ("AttemptFail", "delivery_failed"),
            ("Exception", "exception"),
            ("Expired", "exception"),
        ],
    },
    # EasyPost tracker events.  Sources:
    # https://docs.easypost.com/docs/webhooks and /guides/webhooks-guide (webhook_secret,
    #   X-Hmac-Signature header, value "hmac-sha256-hex=" + hex HMAC-SHA256 of the body,
    #   as the client libraries' validate_webhook computes it);
    # https://docs.easypost.com/docs/events and /docs/trackers (Event: id "evt_...",
    #   description "tracker.updated", result = Tracker with tracking_code, status,
    #   tracking_details[] of datetime, message, status, tracking_location).
    "easypost": {
        "name": "EasyPost",
        "values": {
            "signature_scheme": "hmac",
            "signature_header": "X-Hmac-Signature",
            "signature_prefix": "hmac-sha256-hex=",
            "map_event_id_path": "id",
            "map_shipment_ref_path": "result.tracking_code",
            "map_tracking_ref_path": "result.tracking_code",
            "map_status_path": "result.status",
            "map_occurred_at_path": "result.tracking_details.-1.datetime",
            "map_description_path": "result.tracking_details.-1.message",
            "map_location_city_path": "result.tracking_details.-1.tracking_location.city",
            "map_location_postal_code_path": "result.tracking_details.-1.tracking_location.zip",
            "map_location_country_path": "result.tracking_details.-1.tracking_location.country",
            "map_eta_path": "result.est_delivery_date",
        },
        "statuses": [
            ("pre_transit", "label_created"),
            ("in_transit", "in_transit"),
            ("out_for_delivery", "out_for_delivery"),
            ("available_for_pickup", "ready_for_pickup"),
            ("delivered", "delivered"),
            ("return_to_sender", "returned"),
            ("failure", "delivery_failed"),
            ("cancelled", "cancelled"),
            ("error", "exception"),
        ],
    },
    # 17TRACK tracking push.  Sources: https://help.17track.net/hc/en-us/articles/
    # 37470032453529 (webhook set in the API console) and the API documentation's push
    # section as reported in issue 8: an object whose "data" array holds one item per
    # tracking number; header "sign" = hex SHA-256 of body + "/" + the security key;
    # numeric status codes (0 not found, 10 in transit, 20 expired, 30 ready for
    # pick-up, 35 undelivered, 40 delivered, 50 alert); local times without offset;
    # no event id (derived from number, status and time).  Items: number, carrier,
    # track{e: status, z0: latest event{a: local time, c: location, z: description}};
    # the item carries no ISO country, so none is mapped.
    "17track": {
        "name": "17TRACK",
        "values": {
            "signature_scheme": "digest_secret",
            "signature_header": "sign",
            "signature_separator": "/",
            "map_events_path": "data",
            "map_event_id_fields": "tracking_ref,source_status,occurred_at",
            "map_shipment_ref_path": "number",
            "map_tracking_ref_path": "number",
            "map_status_path": "track.e",
            "map_occurred_at_path": "track.z0.a",
            "map_time_format": "local",
            "map_description_path": "track.z0.z",
            "map_location_city_path": "track.z0.c",
        },
        "statuses": [
            ("10", "in_transit"),
            ("20", "exception"),
            ("30", "ready_for_pickup"),
            ("35", "delivery_failed"),
            ("40", "delivered"),
            ("50", "exception"),
        ],
    },
    # Shippo track_updated.  Sources:
    # https://docs.goshippo.com/docs/tracking/webhooks (event "track_updated", data = the
    #   Tracking object: tracking_number, tracking_status{status, status_details,
    #   status_date, location{city, zip, country}}, eta);
    # https://docs.goshippo.com/docs/tracking/webhooksecurity (HMAC set up with Shippo:
    #   Shippo-Auth-Signature "t=<unix>,v1=<hex HMAC-SHA256 of '<t>.<body>'>").
    # Statuses PRE_TRANSIT, TRANSIT, DELIVERED, RETURNED, FAILURE, UNKNOWN; no event id.
    "shippo": {
        "name": "Shippo",
        "values": {
            "signature_scheme": "hmac",
            "signature_header": "Shippo-Auth-Signature",
            "signature_timestamp": "in_signature",
            "map_event_id_fields": "tracking_ref,source_status,occurred_at",
            "map_shipment_ref_path": "data.tracking_number",
            "map_tracking_ref_path": "data.tracking_number",
            "map_status_path": "data.tracking_status.status",
            "map_occurred_at_path": "data.tracking_status.status_date",
            "map_description_path": "data.tracking_status.status_details",
            "map_location_city_path": "data.tracking_status.location.city",
            "map_location_postal_code_path": "data.tracking_status.location.zip",
            "map_location_country_path": "data.tracking_status.location.country",
            "map_eta_path": "data.eta",
        },
        "statuses": [
            ("PRE_TRANSIT", "label_created"),
            ("TRANSIT", "in_transit"),
            ("DELIVERED", "delivered"),
            ("RETURNED", "returned"),
            ("FAILURE", "delivery_failed"),
        ],
    },
    # ShipEngine (ShipStation API) track webhooks.  Sources:
    # https://www.shipengine.com/docs/webhooks/ and https://docs.shipstation.com/apis/
    #   docs/guides/webhooks-schemas (body: resource_url, resource_type, data{
    #   tracking_number, status_code, status_description, estimated_delivery_date,
    #   events[] of occurred_at, description, city_locality, postal_code, country_code});
    # the create-webhook request's "headers" array (custom key/value headers sent with
    #   every delivery).  ShipEngine's own RSA signature needs its public keys, not a
    #   pasted secret: the preset checks a custom header holding the secret instead.
    # Status codes: AC accepted, IT in transit, DE delivered, EX exception, AT delivery
    #   attempt, SP delivered to a collection point (UN unknown, NY not yet in system).
    "shipengine": {
        "name": "ShipEngine",
        "values": {
            "signature_scheme": "token",
            "signature_header": "X-Logistics-Sync-Token",
            "map_event_id_fields": "tracking_ref,source_status,occurred_at",
            "map_shipment_ref_path": "data.tracking_number",
            "map_tracking_ref_path": "data.tracking_number",
            "map_status_path": "data.status_code",
            "map_occurred_at_path": "data.events.0.occurred_at",
            "map_description_path": "data.status_description",
            "map_location_city_path": "data.events.0.city_locality",
            "map_location_postal_code_path": "data.events.0.postal_code",
            "map_location_country_path": "data.events.0.country_code",
            "map_eta_path": "data.estimated_delivery_date",
            "map_time_format": "local",
        },
        "statuses": [
            ("AC", "picked_up"),
            ("IT", "in_transit"),
            ("DE", "delivered"),
            ("SP", "ready_for_pickup"),
            ("AT", "delivery_failed"),
            ("EX", "exception"),
        ],
    },
}

SELECTION = [(key, preset["name"]) for key, preset in PRESETS.items()]


def endpoint_values(key):
    """The logistics.endpoint values of preset ``key`` (KeyError if unknown)."""
    preset = PRESETS[key]
    return {**_BASE, **preset["values"]}


def statuses(key):
    """``[(sender's status code, milestone)]`` of preset ``key`` (a preset may give a
    function building them from another addon's table)."""
    rows = PRESETS[key]["statuses"]
    return list(rows() if callable(rows) else rows)


def register(key, preset):
    """Add a preset from another addon (which adds ``key`` to the endpoint's
    ``inbound_preset`` selection with ``selection_add``); ``preset["addon"]`` names it."""
    PRESETS[key] = preset
