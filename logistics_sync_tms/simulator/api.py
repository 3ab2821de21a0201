# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The TMS REST/JSON API under ``/tms/v1`` (see logistics_sync_tms/docs/TMS_API.md, the
interface shared with ``logistics_sync_tms``).

Every write needs an ``Idempotency-Key``: the same key with the same body
answers the stored answer again (``Idempotent-Replayed: true``); with another
body, 422 ``idempotency_key_reused``.  Beyond the key, a shipment is
idempotent by ``release_id`` + ``version``: the same version again stores
nothing.  Errors are ``{"error": {"code", "message"}}``.

- ``POST /tms/v1/shipments``: one request -> 202 ``{shipment_id, release_id,
  version, status: "received"}``.  A release already known answers its
  shipment again when the version is the same (same body), 409
  ``shipment_exists`` otherwise, unless that shipment is cancelled (a new
  release of it is a new shipment).
- ``POST /tms/v1/shipments/batch``: ``{"shipments": [...]}`` (up to 500) -> 202
  ``{"results": [...]}``, one per request, in order.
- ``PUT /tms/v1/shipments/<id>``: a newer version -> 200; 409
  ``shipment_cancelled``, 409 ``stale_version`` (same version and body: 200 again).
- ``POST /tms/v1/shipments/<id>/cancel``: ``{release_id, version, reason}`` -> 200
  (again 200 when cancelled already; 409 ``shipment_delivered`` once delivered).
- ``GET /tms/v1/shipments/<id>``, ``GET /tms/v1/shipments?release_id=...``.
"""

import hmac

from . import rules
from .planning import Shipment
from odoo.addons.logistics_sync_base.simulator.server import Reply, SimError, bad_field, json_body

SHIPMENT = r"(?P<shipment_id>[^/]+)"
# Routes whose faults may also come after the work was stored.
STORING = (
    ("POST", r"/tms/v1/shipments"),
    ("POST", r"/tms/v1/shipments/batch"),
    ("PUT", rf"/tms/v1/shipments/{SHIPMENT}"),
    ("POST", rf"/tms/v1/shipments/{SHIPMENT}/cancel"),
)


def api_error(status, code, message):
    return SimError(status, code, message)


class ApiMixin:
    """REST handlers of the TMS simulator (``self``: the ``TmsSimulator``)."""

    def api_routes_tms(self):
        return [
            ("POST", r"/tms/v1/shipments", self.post_shipment, "rest"),
            ("POST", r"/tms/v1/shipments/batch", self.post_batch, "rest"),
            ("GET", r"/tms/v1/shipments", self.get_by_release, "rest"),
            ("GET", rf"/tms/v1/shipments/{SHIPMENT}", self.get_shipment, "rest"),
            ("PUT", rf"/tms/v1/shipments/{SHIPMENT}", self.put_shipment, "rest"),
            ("POST", rf"/tms/v1/shipments/{SHIPMENT}/cancel", self.post_cancel, "rest"),
        ]

    # ------------------------------------------------------------- idempotency
    def _idempotent(self, request, handler):
        """Run ``handler(data)`` -> ``(status, doc)`` once per Idempotency-Key."""
        key = (request.headers.get("Idempotency-Key") or "").strip()
        if not key:
            raise api_error(
                400, "idempotency_key_required", "the Idempotency-Key header is required"
            )
        data = json_body(request)
        digest = rules.fingerprint({"method": request.method, "path": request.path, "body": data})
        with self._lock:
            known = self.idempotency.get(key)
            if known:
                known_digest, status, doc = known
                if not hmac.compare_digest(known_digest, digest):
                    raise api_error(
                        422,
                        "idempotency_key_reused",
                        "this Idempotency-Key was used for a different request",
                    )
                self.count("replays")
                return Reply.json(status, doc, **{"Idempotent-Replayed": "true"})
            status, doc, outgoing = handler(data)
            self.idempotency[key] = (digest, status, doc)
        self.dispatch(outgoing)
        return Reply.json(status, doc)

    def _count_write(self, release_id, version, what):
        by_key = self.writes.setdefault(f"{release_id}:v{version}", {})
        by_key[what] = by_key.get(what, 0) + 1

    # ------------------------------------------------------------- create
    def _create(self, data):
        """Store one request (under the lock): ``(result, replayed)`` or a SimError."""
        release_id, version = rules.check_request(data)
        digest = rules.fingerprint(data)
        existing = self.shipment_of_release(release_id)
        if existing is not None and existing.status != "cancelled":
            if existing.version == version and hmac.compare_digest(existing.fingerprint, digest):
                return existing, True
            raise api_error(
                409,
                "shipment_exists",
                f"release {release_id} is shipment {existing.shipment_id} "
                f"(version {existing.version}); update it with PUT",
            )
        number = next(self.numbers)
        shipment = Shipment(
            number=number,
            shipment_id=f"TMS-{number:06d}",
            release_id=release_id,
            version=version,
            request=data,
            fingerprint=digest,
            unanswered=bool(
                self.knobs.unanswered_rate and self.rng.random() < self.knobs.unanswered_rate
            ),
        )
        self.shipments[shipment.shipment_id] = shipment
        self.by_release.setdefault(release_id, []).append(shipment.shipment_id)
        self._count_write(release_id, version, "create")
        self.start_tender(shipment)
        return shipment, False

    @staticmethod
    def _received(shipment):
        return {
            "shipment_id": shipment.shipment_id,
            "release_id": shipment.release_id,
            "version": shipment.version,
            "status": "received",
        }

    def post_shipment(self, request):
        def handle(data):
            shipment, _replayed = self._create(data)
            return 202, self._received(shipment), []

        return self._idempotent(request, handle)

    def post_batch(self, request):
        def handle(data):
            items = data.get("shipments")
            if not isinstance(items, list) or not items:
                raise bad_field("shipments", "shipments is required (a non-empty array)")
            if len(items) > rules.MAX_BATCH:
                raise bad_field("shipments", f"at most {rules.MAX_BATCH} shipments per call")
            for position, item in enumerate(items):
                try:
                    rules.check_request(item)
                except SimError as exc:
                    exc.message = f"shipments[{position}]: {exc.message}"
                    raise
            results = []
            for item in items:
                try:
                    shipment, _replayed = self._create(item)
                except SimError as exc:
                    results.append(
                        {
                            "release_id": item["release_id"],
                            "version": item["version"],
                            "error": {"code": exc.code, "message": exc.message},
                        }
                    )
                    continue
                results.append(self._received(shipment))
            self.count("batches")
            return 202, {"results": results}, []

        return self._idempotent(request, handle)

    # ------------------------------------------------------------- update, cancel
    def put_shipment(self, request, shipment_id):
        def handle(data):
            shipment = self.shipment(shipment_id)
            release_id, version = rules.check_request(data)
            if release_id != shipment.release_id:
                raise bad_field("release_id", f"shipment {shipment_id} is not {release_id}")
            if shipment.status == "cancelled":
                raise api_error(409, "shipment_cancelled", f"shipment {shipment_id} is cancelled")
            digest = rules.fingerprint(data)
            answer = {"shipment_id": shipment_id, "version": version}
            if version == shipment.version and hmac.compare_digest(shipment.fingerprint, digest):
                return 200, {**answer, "status": shipment.status}, []
            if version <= shipment.version:
                raise api_error(
                    409,
                    "stale_version",
                    f"shipment {shipment_id} is at version {shipment.version}",
                )
            shipment.version, shipment.request, shipment.fingerprint = version, data, digest
            if shipment.status == "rejected":
                shipment.status = "received"
            self._count_write(release_id, version, "update")
            self.start_tender(shipment)
            return 200, {**answer, "status": shipment.status}, []

        return self._idempotent(request, handle)

    def post_cancel(self, request, shipment_id):
        def handle(data):
            shipment = self.shipment(shipment_id)
            release_id = data.get("release_id")
            if release_id is not None and release_id != shipment.release_id:
                raise bad_field("release_id", f"shipment {shipment_id} is not {release_id}")
            reason = data.get("reason")
            if reason is not None and not isinstance(reason, str):
                raise bad_field("reason", "reason must be a string")
            answer = {"shipment_id": shipment_id, "status": "cancelled"}
            if shipment.status == "cancelled":
                return 200, answer, []
            if shipment.status == "delivered":
                raise api_error(409, "shipment_delivered", f"shipment {shipment_id} is delivered")
            version = data.get("version", shipment.version)
            self._count_write(shipment.release_id, version, "cancel")
            return 200, answer, self.cancelled_event(shipment, reason)

        return self._idempotent(request, handle)

    # ------------------------------------------------------------- reads
    def get_shipment(self, request, shipment_id):
        with self._lock:
            return Reply.json(200, self.shipment(shipment_id).record())

    def get_by_release(self, request):
        release_id = (request.query.get("release_id") or [""])[0]
        if not release_id:
            raise bad_field("release_id", "release_id is required")
        with self._lock:
            shipment = self.shipment_of_release(release_id)
            if shipment is None:
                raise api_error(404, "not_found", f"no shipment for release {release_id}")
            return Reply.json(200, shipment.record())
