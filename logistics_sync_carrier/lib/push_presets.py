# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The push formats of the karrio carriers, as inbound presets of the base.

Registered into ``logistics_sync_base/lib/presets.py`` (the endpoint's "Provider
preset" offers them; ``logistics.endpoint``'s switch "Tracking by carrier push"
applies the one of its karrio carrier), so a carrier's push goes through the same
webhook, signature check, mapping, deduplication, ordering and dead letters as any
sender.  The status tables are built from the polling's (``adapters/karrio_push.py``).
What each carrier documents, and what is unclear, is in readme/CONFIGURE.md.
"""

from functools import partial

from ..adapters.karrio_adapter import SCAN_ID_FIELDS
from ..adapters.karrio_push import status_rows
from odoo.addons.logistics_sync_base.lib import presets

# the pushes carry no event id: the polling's (karrio_adapter.scan_event_id), so a
# scan pushed and polled is stored once
_IDS = ",".join(SCAN_ID_FIELDS)

PUSH_PRESETS = {
    # UPS Track Alert (UPS-API/api-documentation, UPSTrackAlert.yaml, webhook
    # "TrackingEvent"): one flat JSON object per event, no signature: the opaque
    # "credential" given in the subscription comes back in the header "credential";
    # the GMT date (YYYYMMDD) and time (HHMMSS) are two fields, joined here.
    "ups_track_alert": {
        "name": "UPS Track Alert",
        "carrier": "ups",
        "values": {
            "signature_scheme": "token",
            "signature_header": "credential",
            "map_event_id_fields": _IDS,
            "map_shipment_ref_path": "trackingNumber",
            "map_tracking_ref_path": "trackingNumber",
            "map_status_path": "activityStatus.code",
            "map_occurred_at_path": '$.gmtActivityDate + "T" + $.gmtActivityTime',
            "map_time_format": "local",
            "map_time_zone": "UTC",
            "map_description_path": "activityStatus.description",
            "map_location_city_path": "activityLocation.city",
            "map_location_postal_code_path": "activityLocation.postalCode",
            "map_location_country_path": "activityLocation.country",
        },
    },
    # FedEx Tracking Webhook (developer.fedex.com, "Advanced Integrated Visibility
    # validation process"): header fdx-signature = base64 HMAC-SHA256 of the body with
    # the security token given when the webhook is set up in the FedEx portal (per
    # account; no subscription API).  The body's schema is not in the public pages we
    # could read: the paths follow the Track API's result (latest scan event first).
    "fedex_tracking_webhook": {
        "name": "FedEx Tracking Webhook",
        "carrier": "fedex",
        "values": {
            "signature_scheme": "hmac",
            "signature_header": "fdx-signature",
            "signature_encoding": "base64",
            "map_event_id_fields": _IDS,
            "map_shipment_ref_path": "trackingNumberInfo.trackingNumber",
            "map_tracking_ref_path": "trackingNumberInfo.trackingNumber",
            "map_status_path": "scanEvents.0.eventType",
            "map_occurred_at_path": "scanEvents.0.date",
            "map_description_path": "scanEvents.0.eventDescription",
            "map_location_city_path": "scanEvents.0.scanLocation.city",
            "map_location_postal_code_path": "scanEvents.0.scanLocation.postalCode",
            "map_location_country_path": "scanEvents.0.scanLocation.countryCode",
        },
    },
    # USPS Subscriptions - Tracking v3: a subscription names the listener URL and a
    # secret; USPS signs each notification (header X-HMAC, HMAC-SHA256 of the body,
    # taken as base64: the encoding is not stated in what we could read).  The body
    # is taken as the Tracking v3 answer (trackingNumber, trackingEvents latest first,
    # GMTTimestamp in UTC).
    "usps_tracking_subscription": {
        "name": "USPS Tracking Subscription",
        "carrier": "usps",
        "values": {
            "signature_scheme": "hmac",
            "signature_header": "X-HMAC",
            "signature_encoding": "base64",
            "map_event_id_fields": _IDS,
            "map_shipment_ref_path": "trackingNumber",
            "map_tracking_ref_path": "trackingNumber",
            "map_status_path": "trackingEvents.0.eventCode",
            "map_occurred_at_path": "trackingEvents.0.GMTTimestamp",
            "map_description_path": "trackingEvents.0.eventType",
            "map_location_city_path": "trackingEvents.0.eventCity",
            "map_location_postal_code_path": "trackingEvents.0.eventZIP",
            "map_location_country_path": "trackingEvents.0.eventCountry",
        },
    },
}
# karrio carrier -> its push preset
BY_CARRIER = {
    "ups": "ups_track_alert",
    "fedex": "fedex_tracking_webhook",
    "usps": "usps_tracking_subscription",
    "usps_international": "usps_tracking_subscription",
}
SELECTION = [(key, preset["name"]) for key, preset in PUSH_PRESETS.items()]

for _key, _preset in PUSH_PRESETS.items():
    presets.register(
        _key,
        {
            **_preset,
            "addon": "logistics_sync_carrier",
            "statuses": partial(status_rows, _preset["carrier"]),
        },
    )
