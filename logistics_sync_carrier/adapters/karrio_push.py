# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Carrier push tracking of karrio carriers: status tables and subscriptions.

Inbound, a carrier's push is a mapped webhook (``lib/push_presets.py``): its
status codes go through ``status_rows(carrier)``, built from the SAME table the
polling uses (karrio's own status table of the carrier, then ``KARRIO_MILESTONES``,
the attempted-delivery codes as ``delivery_failed``, and karrio's default, in
transit, for any other code).

Outbound, ``subscribe`` asks the carrier to push a tracking number's events to our
webhook URL (UPS Track Alert, USPS Subscriptions - Tracking; FedEx has no API for
it: its webhooks are set up per account in its portal).  The request goes over the
karrio client's transport (``KarrioCarrierClient._run``): the carrier's fixed host
(or the checked custom URL), the endpoint's timeout, the pinned session, the
OAuth token karrio caches for the endpoint, secrets scrubbed, never sent twice.
Nothing here imports Odoo.
"""

import json
import urllib.error
import urllib.request
import uuid

from . import karrio_adapter
from .errors import PermanentCarrierError
from .karrio_adapter import CarrierRefusedError

# USPS Tracking v3 event codes as the push carries them (karrio reads USPS by the
# words of eventType, which a status table cannot): delivered, picked up, out for
# delivery; the attempted deliveries come from karrio_adapter.ATTEMPTED_CODES.
USPS_EVENT_CODES = {"01": "delivered", "03": "picked_up", "OF": "out_for_delivery"}
DEFAULT_STATUS = "in_transit"  # karrio's status when it knows none (karrio_adapter.to_canonical)
# UPS Track Alert: a subscription lasts 14 days (UPSTrackAlert.yaml, FAQ).
SUBSCRIPTION_DAYS = {"ups": 14}


def _karrio_table(carrier):
    """``{code: karrio status}`` of karrio's own table of ``carrier`` (empty if none)."""
    import importlib

    try:
        units = importlib.import_module(f"karrio.providers.{carrier}.units")
    except ImportError:
        return {}
    table = getattr(units, "TrackingStatus", None)
    if table is None:
        return {}
    return {str(code): status.name for status in table for code in status.value or ()}


def status_rows(carrier):
    """``[(carrier's status code, our milestone)]`` of a carrier's push (``*``: any
    other code), from the tables the polling uses."""
    rows = {}
    if carrier in ("usps", "usps_international"):
        rows.update(USPS_EVENT_CODES)
    else:
        for code, status in _karrio_table(carrier).items():
            milestone = karrio_adapter.milestone_of(status)
            if milestone:
                rows[code] = milestone
    for code in karrio_adapter.ATTEMPTED_CODES.get(carrier, ()):
        rows[code] = "delivery_failed"
    rows["*"] = karrio_adapter.milestone_of(DEFAULT_STATUS)
    return sorted(rows.items(), key=lambda row: (row[0] == "*", row[0]))


# ------------------------------------------------------------------ subscriptions


def _ups(number, url, secret):
    # UPSTrackAlert.yaml: POST /api/track/v1/subscription/standard/package, headers
    # transId and transactionSrc; the credential comes back in the push's header
    # "credential"; credentialType is an open field
    body = {
        "locale": "en_US",
        "countryCode": "US",
        "trackingNumberList": [number],
        "destination": {"url": url, "credentialType": "Bearer", "credential": secret},
    }
    headers = {"transId": uuid.uuid4().hex, "transactionSrc": "LogisticsSync"}
    return "/api/track/v1/subscription/standard/package", body, headers


def _ups_answer(number, doc):
    if number in (doc.get("validTrackingNumbers") or []):
        return {"subscription_id": number}
    raise CarrierRefusedError(
        f"Tracking subscription: UPS did not accept tracking number {number} "
        "(listed as invalid: Track Alert takes 1Z numbers only)"
    )


def _usps(number, url, secret):
    # USPS Subscriptions - Tracking v3: POST /subscriptions-tracking/v3/subscriptions
    # with the listener URL, a filter on the tracking number and the secret USPS
    # signs its notifications with
    body = {"listenerURL": url, "secret": secret, "filterProperties": {"trackingNumber": number}}
    return "/subscriptions-tracking/v3/subscriptions", body, {}


def _usps_answer(number, doc):
    subscription = doc.get("subscriptionId") or doc.get("subscriptionID")
    if not subscription:
        raise CarrierRefusedError("Tracking subscription: USPS answered without a subscription id")
    return {"subscription_id": str(subscription)}


SUBSCRIPTIONS = {
    "ups": (_ups, _ups_answer),
    "usps": (_usps, _usps_answer),
    "usps_international": (_usps, _usps_answer),
}


def subscribes(carrier):
    """Whether Odoo subscribes each tracking number (else the carrier pushes by account)."""
    return carrier in SUBSCRIPTIONS


def subscribe(client, number, url, secret):
    """Ask the carrier to push ``number``'s events to ``url`` with ``secret``.

    ``{"subscription_id", "days"}``; ``CarrierRefusedError`` when the carrier says no
    (its own words), transient/permanent carrier errors as for any karrio call."""
    spec = SUBSCRIPTIONS.get(client.carrier)
    if spec is None:
        raise PermanentCarrierError(
            f"Tracking subscription: {client.carrier} offers none by API (set the "
            "webhook up in the carrier's portal)"
        )
    build, read = spec
    path, body, extra = build(str(number), url, secret)
    refusals = []

    def operation():
        token = client.gateway.proxy.authenticate().deserialize()
        request = urllib.request.Request(  # noqa: S310 - sent by _send, never by urllib
            client._carrier_origin() + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                **extra,
            },
        )
        try:
            answer = karrio_adapter._send(request)
        except urllib.error.HTTPError as exc:
            refusals.extend(karrio_adapter.refusal_messages(exc.read()) or [f"HTTP {exc.code}"])
            return None, []
        return answer.read(), []

    raw, _messages = client._run("Tracking subscription", False, operation)

    def scrub(text):
        return client._scrub(str(text).replace(secret, "***") if secret else text)

    if raw is None:
        words = "; ".join(dict.fromkeys(refusals))
        raise CarrierRefusedError(scrub(f"Tracking subscription: the carrier refused it: {words}"))
    try:
        doc = json.loads(raw or b"{}")
    except ValueError:
        raise PermanentCarrierError("Tracking subscription: an answer it cannot read") from None
    if not isinstance(doc, dict):
        raise PermanentCarrierError("Tracking subscription: an answer it cannot read")
    try:
        result = read(str(number), doc)
    except CarrierRefusedError as exc:
        raise CarrierRefusedError(scrub(exc.message)) from None
    return {**result, "days": SUBSCRIPTION_DAYS.get(client.carrier)}
