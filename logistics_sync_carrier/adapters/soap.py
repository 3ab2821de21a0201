# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The carrier's SOAP 1.1 service, described by a local WSDL file (zeep).

zeep posts through a pinned session (it connects to the address the SSRF check
approved), with timeouts and no redirects; answers that are not SOAP become
carrier errors before zeep parses them; unsafe XML is refused (``safexml``).
"""

import logging
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import urlsplit

import requests
import zeep
import zeep.exceptions

from . import safexml
from .base import CarrierClientBase
from .errors import CarrierError, PermanentCarrierError
from odoo.addons.logistics_sync_base.adapters import http

_logger = logging.getLogger(__name__)

SOAP_NS = "urn:logistics-sync:sim-carrier:1"
SOAP_BINDING = f"{{{SOAP_NS}}}SimCarrierBinding"


class _SoapTransport(zeep.Transport):
    """zeep's transport with timeouts, no redirects, no body logging, HTTP faults mapped.

    Answers that are not SOAP (a JSON 503, an empty 429...) become carrier
    errors here, before zeep parses them; SOAP faults go on to zeep.
    """

    def __init__(self, client, session):
        super().__init__(session=session, timeout=client.timeout)
        self.operation_timeout = client.timeout
        self.carrier = client

    def post(self, address, message, headers):
        what = self.carrier.current_operation
        try:
            response = self.session.post(
                address,
                data=message,
                headers=headers,
                timeout=self.operation_timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise self.carrier._transport_error(exc, what) from exc
        status = response.status_code
        _logger.debug("SOAP %s -> HTTP %s", what, status)
        is_xml = "xml" in (response.headers.get("Content-Type") or "").lower()
        if status in (429, 502, 503, 504) or 300 <= status < 400:
            raise self.carrier._status_error(response, what)
        if status != 200 and not (is_xml and response.content):
            raise self.carrier._status_error(response, what)
        if safexml.declares_doctype(response.content):
            # Refused before any parser sees it (zeep's forbid_dtd stays as a second guard).
            raise self.carrier._permanent(
                f"Unsafe XML refused: the carrier's {what.lower()} answer declares a DTD"
            )
        return response

    def get(self, address, params, headers):
        raise self.carrier._permanent("SOAP: GET requests are not allowed")

    def load(self, url):
        # Only the local WSDL file is ever loaded; no import may reach the network.
        if urlsplit(str(url)).scheme in ("http", "https"):
            raise self.carrier._permanent("SOAP: remote WSDL or schema imports are refused")
        return super().load(url)


class SoapCarrierClient(CarrierClientBase):
    """The carrier's SOAP 1.1 service, described by a local WSDL file."""

    def __init__(
        self,
        base_url,
        auth,
        wsdl_path,
        timeout=10.0,
        allow_http_loopback=False,
        url_check=None,
        token_scope=None,
    ):
        super().__init__(base_url, auth, timeout, allow_http_loopback, url_check)
        self.address = self.base_url + "/soap"
        self.current_operation = "SOAP"
        self.settings = safexml.safe_settings()
        self.transport = _SoapTransport(self, http.pinned_session(self.allow_http_loopback))
        self.client = zeep.Client(str(wsdl_path), transport=self.transport, settings=self.settings)
        self.service = self.client.create_service(SOAP_BINDING, self.address)

    # public API -------------------------------------------------------------
    def rate(self, shipment):
        answer = self._call(
            "GetRate",
            "Rate",
            Reference=shipment.get("reference") or "",
            Service=shipment.get("service") or "standard",
            WeightKg=Decimal(str(shipment.get("weight_kg"))),
        )
        return {
            "amount": float(answer.Amount),
            "currency": answer.Currency,
            "service": shipment.get("service") or "standard",
            "transit_days": answer.TransitDays,
        }

    def book(self, shipment, idempotency_key):
        """Book once per key; the label comes with the answer (``label_pdf`` bytes)."""
        if not idempotency_key:
            raise ValueError("an idempotency key is required to book")
        recipient = shipment.get("recipient") or {}
        answer = self._call(
            "BookShipment",
            "Booking",
            IdempotencyKey=idempotency_key,
            Reference=shipment.get("reference") or "",
            Service=shipment.get("service") or "standard",
            WeightKg=Decimal(str(shipment.get("weight_kg"))),
            RecipientName=recipient.get("name") or None,
            RecipientCity=recipient.get("city") or None,
            RecipientZip=recipient.get("zip") or None,
            RecipientCountry=recipient.get("country") or None,
        )
        label = answer.LabelPdf or b""
        if not answer.ShipmentId:
            raise self._permanent("Booking: the carrier's answer has no ShipmentId")
        if not label.startswith(b"%PDF-"):
            raise self._permanent("Booking: the carrier's label is not a PDF document")
        return {
            "shipment_id": answer.ShipmentId,
            "tracking_number": answer.TrackingNumber,
            "tracking_url": answer.TrackingUrl,
            "price": float(answer.Price),
            "currency": answer.Currency,
            "label_pdf": label,
        }

    def label(self, shipment_id):
        raise self._permanent("Label: this SOAP carrier delivers the label with the booking only")

    def return_label(self, shipment_id):
        raise self._permanent("Return label: this SOAP carrier has no return labels")

    def cancel(self, shipment_id):
        answer = self._call("CancelShipment", "Cancellation", ShipmentId=str(shipment_id))
        return {"shipment_id": str(shipment_id), "status": getattr(answer, "Status", answer)}

    def track(self, numbers):
        """Events per tracking number, shaped like the REST API's native events.

        One call per number (the SOAP service has no batch); ``[]`` for a number
        the carrier does not know.
        """
        results = {}
        for number in dict.fromkeys(str(n) for n in numbers or () if n):
            try:
                answer = self._call("TrackShipment", "Tracking", TrackingNumber=number)
                events = getattr(answer, "Event", answer)
            except PermanentCarrierError as exc:
                if "unknown tracking number" not in exc.message.lower():
                    raise
                events = []
            results[number] = [
                self._native_event(number, sequence, event)
                for sequence, event in enumerate(events or [], start=1)
            ]
        return results

    # calls ------------------------------------------------------------------
    @staticmethod
    def _native_event(number, sequence, event):
        at = event.At
        if isinstance(at, datetime):
            if at.tzinfo is not None:
                at = at.astimezone(UTC)
            at = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "id": f"soap-{number}-{sequence}",
            "shipment": {"tracking_number": number},
            "status": {"code": event.Code, "description": event.Description, "at": at},
            "location": {"city": event.City},
            "sequence": sequence,
        }

    def _credentials(self):
        if not self.auth.username or self.auth.password is None:
            raise self._permanent("The endpoint has no username and password for the carrier")
        return {"Username": self.auth.username, "Password": self.auth.password}

    def _call(self, operation, what, **values):
        self._check(self.base_url)
        self._check(self.address)
        credentials = self._credentials()
        self.current_operation = what
        try:
            return getattr(self.service, operation)(Credentials=credentials, **values)
        except CarrierError:
            raise
        except safexml.UNSAFE_XML_ERRORS as exc:
            raise self._permanent(
                f"Unsafe XML refused: the carrier's {what.lower()} answer "
                f"{safexml.unsafe_xml_reason(exc)}"
            ) from exc
        except zeep.exceptions.Fault as exc:
            raise self._fault_error(exc, what) from exc
        except zeep.exceptions.TransportError as exc:
            status = exc.status_code or None
            if safexml.transport_error_is_unsafe(exc):
                raise self._permanent(
                    f"Unsafe XML refused: the carrier's {what.lower()} answer declares a DTD "
                    "or entities"
                ) from exc
            if status and (status >= 500 or status == 429):
                raise self._transient(
                    f"{what}: the carrier failed (HTTP {status})", status
                ) from exc
            raise self._permanent(
                f"{what}: the carrier's answer is not valid SOAP (HTTP {status})", status
            ) from exc
        except zeep.exceptions.Error as exc:
            raise self._permanent(
                f"{what}: the carrier's answer does not match its WSDL ({type(exc).__name__})"
            ) from exc
        except requests.RequestException as exc:
            raise self._transport_error(exc, what) from exc
        finally:
            self.current_operation = "SOAP"

    def _fault_error(self, fault, what):
        """A SOAP fault, its message the faultstring.

        SOAP 1.1 says a ``Server`` fault is the server's own failure and the same
        message may succeed later (transient); any other (``Client``: bad
        credentials, bad data) is permanent.
        """
        message = str(fault.message or f"{what}: SOAP fault")[: http.MESSAGE_LIMIT]
        code = str(fault.code or "")
        if code.rpartition(":")[2] in ("Server", "Receiver"):
            return self._transient(message, 500)
        return self._permanent(message, 500)
