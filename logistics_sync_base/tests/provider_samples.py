# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Documentation-shaped webhook bodies of the providers in lib/presets.py, and how
each provider signs them, written from its documentation (not from our code)."""

import base64
import hashlib
import hmac
import time


def aftership(tn):
    return {
        "event": "tracking_update",
        "event_id": "9a0e8b5e-6f63-4c1d-9c53-0b6d2a1f6c11",
        "is_tracking_first_tag": True,
        "ts": 1795700000,
        "msg": {
            "id": "5b7658cec7c33c0e007de3c5",
            "tracking_number": tn,
            "slug": "dpd-fr",
            "tag": "InTransit",
            "subtag": "InTransit_001",
            "subtag_message": "In Transit",
            "checkpoints": [
                {
                    "checkpoint_time": "2026-11-26T08:00:00+01:00",
                    "city": "Paris",
                    "country_iso3": "FRA",
                    "country_name": "France",
                    "message": "Parcel picked up",
                    "tag": "InfoReceived",
                    "zip": "75001",
                },
                {
                    "checkpoint_time": "2026-11-26T17:05:00+01:00",
                    "city": "Lyon",
                    "country_iso3": "FRA",
                    "country_name": "France",
                    "message": "Arrived at sorting facility",
                    "tag": "InTransit",
                    "zip": "69001",
                },
            ],
        },
    }


def easypost(tn):
    def detail(message, status, at, location):
        return {
            "object": "TrackingDetail",
            "message": message,
            "status": status,
            "datetime": at,
            "source": "USPS",
            "tracking_location": {"object": "TrackingLocation", **location},
        }

    return {
        "id": "evt_3b7a1c0e2d6f4a8b9c",
        "object": "Event",
        "mode": "production",
        "description": "tracker.updated",
        "created_at": "2026-11-26T15:31:02Z",
        "previous_attributes": {"status": "out_for_delivery"},
        "result": {
            "id": "trk_c8e0edb5bb284caa934a0d3db23a148z",
            "object": "Tracker",
            "tracking_code": tn,
            "status": "delivered",
            "status_detail": "arrived_at_destination",
            "carrier": "USPS",
            "est_delivery_date": "2026-11-26T00:00:00Z",
            "tracking_details": [
                detail(
                    "Pre-Shipment Info Sent to USPS",
                    "pre_transit",
                    "2026-11-24T10:00:00Z",
                    {"city": None, "state": None, "country": None, "zip": None},
                ),
                detail(
                    "Delivered, In/At Mailbox",
                    "delivered",
                    "2026-11-26T15:30:00Z",
                    {"city": "CHICAGO", "state": "IL", "country": "US", "zip": "60601"},
                ),
            ],
        },
    }


def seventeen_track(tn, other_tn):
    def item(number, status, at, location, text):
        return {
            "number": number,
            "carrier": 3011,
            "tag": None,
            "track": {"e": status, "z0": {"a": at, "c": location, "z": text}},
        }

    return {
        "event": "TRACKING_UPDATED",
        "data": [
            item(tn, 40, "2026-11-26 17:05", "SHANGHAI", "Delivered"),
            item(other_tn, 10, "2026-11-26 09:30", "SHENZHEN", "Departed from facility"),
        ],
    }


def shippo(tn):
    return {
        "event": "track_updated",
        "test": False,
        "data": {
            "tracking_number": tn,
            "carrier": "usps",
            "eta": "2026-11-27T18:00:00Z",
            "metadata": "Order 1001",
            "tracking_status": {
                "object_id": "b9f6d6a1c3e44d0f8b0b4b4a0c1f2e3d",
                "status": "TRANSIT",
                "status_details": "Your shipment has departed from the origin.",
                "status_date": "2026-11-26T09:15:00Z",
                "substatus": None,
                "location": {"city": "Las Vegas", "state": "NV", "zip": "89101", "country": "US"},
            },
            "tracking_history": [],
        },
    }


def shipengine(tn):
    return {
        "resource_url": f"https://api.shipengine.com/v1/tracking?carrier_code=usps&tracking_number={tn}",
        "resource_type": "API_TRACK",
        "data": {
            "tracking_number": tn,
            "status_code": "DE",
            "status_description": "Delivered",
            "carrier_status_code": "01",
            "carrier_status_description": "Delivered, In/At Mailbox",
            "ship_date": "2026-11-24T00:00:00",
            "estimated_delivery_date": "2026-11-26T00:00:00",
            "actual_delivery_date": "2026-11-26T14:36:00Z",
            "exception_description": None,
            "events": [
                {
                    "occurred_at": "2026-11-26T14:36:00Z",
                    "carrier_occurred_at": "2026-11-26T09:36:00",
                    "description": "Delivered, In/At Mailbox",
                    "city_locality": "AUSTIN",
                    "state_province": "TX",
                    "postal_code": "78756",
                    "country_code": "US",
                    "event_code": "01",
                    "status_code": "DE",
                }
            ],
        },
    }


def _hmac(key, message, encoding="hex"):
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()


# provider -> function(secret, raw body) -> headers, as each provider documents it
SIGNERS = {
    "aftership": lambda key, raw: {"aftership-hmac-sha256": _hmac(key, raw, "base64")},
    "easypost": lambda key, raw: {"X-Hmac-Signature": "hmac-sha256-hex=" + _hmac(key, raw)},
    "17track": lambda key, raw: {"sign": hashlib.sha256(raw + b"/" + key.encode()).hexdigest()},
    "shippo": lambda key, raw: {
        "Shippo-Auth-Signature": (lambda t: f"t={t},v1={_hmac(key, t.encode() + b'.' + raw)}")(
            str(int(time.time()))
        )
    },
    "shipengine": lambda key, raw: {"X-Logistics-Sync-Token": key},
}
