# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The carrier's SOAP 1.1 document/literal service on ``/soap``.

GetRate, BookShipment, CancelShipment and TrackShipment, described by
``../wsdl/sim_carrier.wsdl`` (served with the real address on ``GET
/soap?wsdl``).  Bookings are shared with REST.  Requests carrying
``<!DOCTYPE`` or ``<!ENTITY`` are refused (400).  The ``soap_evil`` knob makes
answers hostile (an external entity, nested entities or an external DTD) to
test that a client refuses them; the operation is then not carried out.
"""

import base64
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation
from pathlib import Path

from . import orders
from .lifecycle import utc_now
from .rest import label_pdf
from odoo.addons.logistics_sync_base.simulator.server import Reply, SimError, bad_field

WSDL_PATH = Path(__file__).resolve().parent.parent / "wsdl" / "sim_carrier.wsdl"
WSDL_PLACEHOLDER_ADDRESS = "http://127.0.0.1:8/soap"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_NS = "urn:logistics-sync:sim-carrier:1"
ET.register_namespace("soap", SOAP_ENV)
ET.register_namespace("sim", SOAP_NS)
EVIL_MODES = ("", "xxe", "billion_laughs", "dtd")
# Every SOAP call may book (the operation is only known once the body is parsed).
STORING = (("POST", r"/soap"),)
XML = "text/xml; charset=utf-8"


# --------------------------------------------------------------------------- envelopes


def _local_name(tag):
    return tag.rpartition("}")[2]


def _text(parent, name):
    return parent.findtext(f"{{{SOAP_NS}}}{name}") or ""


def _weight(operation):
    raw = _text(operation, "WeightKg").strip()
    if not raw:
        raise bad_field("WeightKg", "WeightKg is required")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise bad_field("WeightKg", "WeightKg must be a decimal") from exc
    if not value.is_finite():
        raise bad_field("WeightKg", "WeightKg must be a decimal")
    return orders.weight(float(value), "WeightKg")


def _service(operation):
    return orders.service(_text(operation, "Service").strip(), "Service")


def _fill(parent, fields):
    for name, value in fields:
        child = ET.SubElement(parent, f"{{{SOAP_NS}}}{name}")
        if isinstance(value, list):
            _fill(child, value)
        else:
            child.text = value


def soap_envelope(response_name, fields, declaration=True):
    envelope = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    body = ET.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    _fill(ET.SubElement(body, f"{{{SOAP_NS}}}{response_name}"), fields)
    return ET.tostring(envelope, encoding="utf-8", xml_declaration=declaration)


def soap_fault_reply(status, code, message):
    envelope = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    fault = ET.SubElement(ET.SubElement(envelope, f"{{{SOAP_ENV}}}Body"), f"{{{SOAP_ENV}}}Fault")
    ET.SubElement(fault, "faultcode").text = code
    ET.SubElement(fault, "faultstring").text = message
    body = ET.tostring(envelope, encoding="utf-8", xml_declaration=True)
    return Reply(status, body, XML, note=f"soap fault: {message}")


def evil_envelope(operation, mode, base_url):
    """A hostile answer to ``operation`` (nothing is carried out)."""
    marker = "EVILPLACEHOLDER"
    canned = {
        "GetRate": [("Amount", marker), ("Currency", orders.CURRENCY), ("TransitDays", "2")],
        "BookShipment": [
            ("ShipmentId", marker),
            ("TrackingNumber", "SIM1Z999999"),
            ("TrackingUrl", f"{base_url}/track/SIM1Z999999"),
            ("Price", "0.00"),
            ("Currency", orders.CURRENCY),
            ("LabelPdf", ""),
        ],
        "CancelShipment": [("Status", marker)],
        "TrackShipment": [
            (
                "Event",
                [
                    ("Code", marker),
                    ("Description", "Picked up"),
                    ("At", utc_now()),
                    ("City", "Paris"),
                ],
            )
        ],
    }[operation]
    envelope = soap_envelope(f"{operation}Response", canned, declaration=False).decode()
    if mode == "xxe":
        doctype = '<!DOCTYPE soap:Envelope [\n<!ENTITY xxe SYSTEM "file:///etc/hostname">\n]>'
        envelope = envelope.replace(marker, "&xxe;")
    elif mode == "billion_laughs":
        entities = ['<!ENTITY lol "lol">']
        previous = "lol"
        for level in range(1, 10):
            entities.append(f'<!ENTITY lol{level} "{f"&{previous};" * 10}">')
            previous = f"lol{level}"
        doctype = "<!DOCTYPE soap:Envelope [\n" + "\n".join(entities) + "\n]>"
        envelope = envelope.replace(marker, "&lol9;")
    else:
        doctype = f'<!DOCTYPE soap:Envelope SYSTEM "{base_url}/_sim/evil.dtd">'
        envelope = envelope.replace(marker, "1.00" if operation == "GetRate" else "SIM-EVIL")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{doctype}\n{envelope}'.encode()


# --------------------------------------------------------------------------- handlers


class SoapMixin:
    """SOAP handlers of the carrier simulator (``self``: the ``CarrierSimulator``)."""

    def soap_routes(self):
        return [
            ("GET", r"/soap", self.get_wsdl, "public"),
            ("POST", r"/soap", self.post_soap, "soap"),
        ]

    def get_wsdl(self, request):
        if not any(key.lower() == "wsdl" for key in request.query):
            return Reply.json(
                400, {"error": "bad_request", "message": "POST SOAP requests, or GET /soap?wsdl"}
            )
        text = WSDL_PATH.read_text(encoding="utf-8")
        text = text.replace(WSDL_PLACEHOLDER_ADDRESS, f"{self.base_url}/soap")
        return Reply(200, text.encode("utf-8"), XML)

    def post_soap(self, request):
        self.count("soap_requests")
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            return soap_fault_reply(400, "soap:Client", "The request must be UTF-8 XML")
        upper = text.upper()
        if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
            return soap_fault_reply(400, "soap:Client", "DTDs and entity declarations are refused")
        try:
            # Safe: no DTD, hence no entity, can reach the parser (refused just above).
            root = ET.fromstring(request.body)  # noqa: S314
        except ET.ParseError:
            return soap_fault_reply(500, "soap:Client", "Malformed XML")
        body = root.find(f"{{{SOAP_ENV}}}Body") if root.tag == f"{{{SOAP_ENV}}}Envelope" else None
        operation = body[0] if body is not None and len(body) else None
        name = _local_name(operation.tag) if operation is not None else ""
        handler = {
            "GetRate": self._soap_get_rate,
            "BookShipment": self._soap_book_shipment,
            "CancelShipment": self._soap_cancel_shipment,
            "TrackShipment": self._soap_track_shipment,
        }.get(name)
        if handler is None or operation.tag != f"{{{SOAP_NS}}}{name}":
            return soap_fault_reply(500, "soap:Client", "Unknown operation")
        action = (request.headers.get("SOAPAction") or "").strip().strip('"')
        if action and action != f"{SOAP_NS}/{name}":
            return soap_fault_reply(500, "soap:Client", "SOAPAction does not match the body")
        credentials = operation.find(f"{{{SOAP_NS}}}Credentials")
        username = _text(credentials, "Username") if credentials is not None else ""
        password = _text(credentials, "Password") if credentials is not None else ""
        if not self.valid_login(username, password):
            return soap_fault_reply(500, "soap:Client", "Invalid credentials")
        evil = self.knobs.soap_evil
        if evil:
            return Reply(200, evil_envelope(name, evil, self.base_url), XML)
        try:
            fields = handler(operation)
        except SimError as exc:
            return soap_fault_reply(500, "soap:Client", exc.message)
        return Reply(200, soap_envelope(f"{name}Response", fields), XML)

    def _soap_get_rate(self, operation):
        weight_kg = _weight(operation)
        service = _service(operation)
        return [
            ("Amount", f"{orders.rate_amount(weight_kg, service):.2f}"),
            ("Currency", orders.CURRENCY),
            ("TransitDays", str(orders.transit_days(service))),
        ]

    def _soap_book_shipment(self, operation):
        key = _text(operation, "IdempotencyKey").strip()
        if not key:
            raise bad_field("IdempotencyKey", "IdempotencyKey is required")
        reference = _text(operation, "Reference").strip()
        if not reference:
            raise bad_field("Reference", "Reference is required")
        recipient = {
            "name": _text(operation, "RecipientName"),
            "city": _text(operation, "RecipientCity"),
            "zip": _text(operation, "RecipientZip"),
            "country": _text(operation, "RecipientCountry"),
        }
        order = {
            "reference": reference,
            "service": _service(operation),
            "weight_kg": _weight(operation),
            "recipient": {k: v for k, v in recipient.items() if v},
            "webhook_url": None,
        }
        booking, _replayed = self.book(key, order)
        return [
            ("ShipmentId", booking.shipment_id),
            ("TrackingNumber", booking.tracking_number),
            ("TrackingUrl", booking.response["tracking_url"]),
            ("Price", f"{booking.price:.2f}"),
            ("Currency", orders.CURRENCY),
            ("LabelPdf", base64.b64encode(label_pdf(booking)).decode("ascii")),
        ]

    def _soap_cancel_shipment(self, operation):
        self.cancel(_text(operation, "ShipmentId").strip())
        return [("Status", "cancelled")]

    def _soap_track_shipment(self, operation):
        tracking_number = _text(operation, "TrackingNumber").strip()
        events = self.events_of(tracking_number)
        if events is None:
            raise SimError(404, "not_found", f"Unknown tracking number {tracking_number}")
        return [
            (
                "Event",
                [
                    ("Code", e["status"]["code"]),
                    ("Description", e["status"]["description"]),
                    ("At", e["status"]["at"]),
                    ("City", e["location"]["city"]),
                ],
            )
            for e in events
        ]
