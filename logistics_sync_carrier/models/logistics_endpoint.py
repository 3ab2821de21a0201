# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, file_path

from ..adapters import CarrierAuth, CarrierError, client_for
from odoo.addons.logistics_sync_base.lib.urlsafety import UnsafeURLError, check_url

_logger = logging.getLogger(__name__)

SIM_WSDL = "logistics_sync_carrier/wsdl/sim_carrier.wsdl"


class LogisticsEndpoint(models.Model):
    _inherit = "logistics.endpoint"

    carrier_protocol = fields.Selection(
        [("rest", "REST / JSON"), ("soap", "SOAP")], default="rest", required=True
    )
    carrier_service = fields.Char(default="standard", help="Service level sent with bookings.")
    http_timeout = fields.Float(
        string="Timeout (s)", default=10.0, help="Connect and read timeout of every call."
    )
    circuit_threshold = fields.Integer(
        default=5, help="Consecutive failed calls after which the circuit opens."
    )
    circuit_cooldown = fields.Integer(
        string="Cooldown (s)",
        default=60,
        help="Seconds the circuit stays open before one probe call is let through.",
    )
    circuit_state = fields.Selection(
        [
            ("closed", "Closed (calls flow)"),
            ("open", "Open (carrier down)"),
            ("half_open", "Half-open (probing)"),
        ],
        default="closed",
        required=True,
        readonly=True,
        copy=False,
    )
    circuit_failures = fields.Integer(readonly=True, copy=False)
    circuit_opened_at = fields.Datetime(readonly=True, copy=False)
    circuit_last_error = fields.Char(readonly=True, copy=False)
    tracking_mode = fields.Selection(
        [("webhook", "The carrier pushes webhooks"), ("poll", "Odoo polls the carrier")],
        default="webhook",
        required=True,
    )
    poll_batch_size = fields.Integer(default=50, help="Tracking numbers per polling request.")
    poll_max_requests = fields.Integer(
        default=10, help="Polling requests per cron run at most (the carrier's rate limit)."
    )
    booking_waiting_count = fields.Integer(compute="_compute_booking_waiting_count")

    _sql_constraints = [
        (
            "circuit_threshold_positive",
            "CHECK(circuit_threshold >= 1)",
            "The circuit threshold must be at least 1.",
        ),
        ("http_timeout_positive", "CHECK(http_timeout > 0)", "The timeout must be positive."),
    ]

    def _compute_booking_waiting_count(self):
        counts = dict(
            self.env["stock.picking"]._read_group(
                [
                    ("carrier_id.logistics_endpoint_id", "in", self.ids),
                    ("logistics_booking_state", "in", ("queued", "waiting_carrier")),
                ],
                ["carrier_id"],
                ["__count"],
            )
        )
        per_endpoint = {}
        for carrier, count in counts.items():
            key = carrier.logistics_endpoint_id.id
            per_endpoint[key] = per_endpoint.get(key, 0) + count
        for endpoint in self:
            endpoint.booking_waiting_count = per_endpoint.get(endpoint.id, 0)

    # ------------------------------------------------------------------ SSRF
    def _allow_http_loopback(self):
        return self.env["ir.config_parameter"].sudo().get_param(
            "logistics_sync.allow_http_loopback"
        ) in ("True", "1", "true")

    @api.constrains("base_url", "oauth_token_url")
    def _check_outbound_urls(self):
        allow = self._allow_http_loopback()
        for endpoint in self:
            for url in (endpoint.base_url, endpoint.oauth_token_url):
                if not url:
                    continue
                try:
                    check_url(url, allow_http_loopback=allow)
                except UnsafeURLError as exc:
                    raise ValidationError(
                        self.env._("Endpoint %(name)s: %(reason)s", name=endpoint.name, reason=exc)
                    ) from None

    # --------------------------------------------------------------- clients
    def _carrier_auth(self):
        self.ensure_one()
        secrets_ = self.sudo().read(
            [
                "auth_username",
                "auth_password",
                "auth_token",
                "auth_api_key",
                "oauth_client_id",
                "oauth_client_secret",
            ]
        )[0]
        return CarrierAuth(
            auth_type=self.auth_type,
            username=secrets_["auth_username"] or None,
            password=secrets_["auth_password"] or None,
            token=secrets_["auth_token"] or None,
            api_key_header=self.api_key_header or "X-Api-Key",
            api_key=secrets_["auth_api_key"] or None,
            oauth_token_url=self.oauth_token_url or None,
            oauth_client_id=secrets_["oauth_client_id"] or None,
            oauth_client_secret=secrets_["oauth_client_secret"] or None,
            oauth_scope=self.oauth_scope or None,
        )

    def _carrier_client(self):
        """The REST or SOAP client of this endpoint (timeouts, auth, SSRF checks)."""
        self.ensure_one()
        if not self.base_url:
            raise ValidationError(self.env._("Endpoint %(name)s has no base URL.", name=self.name))
        kwargs = {
            "base_url": self.base_url,
            "auth": self._carrier_auth(),
            "timeout": self.http_timeout or 10.0,
            "allow_http_loopback": self._allow_http_loopback(),
            # OAuth2 tokens are cached per database and endpoint, never shared across them.
            "token_scope": f"{self.env.cr.dbname}/{self.id}",
        }
        if self.carrier_protocol == "soap":
            kwargs["wsdl_path"] = file_path(SIM_WSDL)
        return client_for(self.carrier_protocol, **kwargs)

    # -------------------------------------------------------- circuit breaker
    # The circuit lives on the endpoint row and changes in transactions of its own:
    # a job that rolls back still counts its failure, and every worker reads the
    # latest state (not its job's snapshot).
    def _circuit_allows(self):
        """``(True, 0)`` when a call may go out, else ``(False, seconds to wait)``.

        Open -> after the cooldown, one caller moves it to half-open and probes.
        """
        self.ensure_one()
        if self.circuit_state == "closed":
            # The common case costs no transaction of its own.  The value comes from
            # this job's snapshot: at worst one call goes out just after another
            # worker opened the circuit, and its outcome is counted.
            return True, 0
        return self._circuit_transition("check")

    def _circuit_record(self, ok, error=None):
        """Count a call's outcome."""
        self.ensure_one()
        if ok and self.circuit_state == "closed" and not self.circuit_failures:
            return  # nothing to reset (the common case, no transaction of its own)
        self._circuit_transition("success" if ok else "failure", error)

    def _circuit_transition(self, what, error=None):
        now = fields.Datetime.now()
        result = (True, 0)
        # FOR NO KEY UPDATE, not FOR UPDATE: the caller's own transaction may hold a
        # key-share lock on this row (it inserted events referencing the endpoint),
        # and FOR UPDATE would then wait for it forever.
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    "SELECT circuit_state, circuit_failures, circuit_opened_at, circuit_threshold,"
                    " circuit_cooldown FROM logistics_endpoint WHERE id = %s FOR NO KEY UPDATE",
                    self.id,
                )
            )
            state, failures, opened_at, threshold, cooldown = cr.fetchone()
            failures, values = failures or 0, {}
            if what == "check" and state in ("open", "half_open"):
                # open: wait for the cooldown, then this caller probes (half-open);
                # half-open: a probe is out; if it never reported back within the
                # cooldown (its worker died), this caller probes again.
                reopen = (opened_at or now) + timedelta(seconds=cooldown or 0)
                if now < reopen:
                    wait = (
                        (reopen - now).total_seconds() if state == "open" else (cooldown or 4) / 4
                    )
                    result = (False, max(1, int(wait)))
                else:
                    values = {"circuit_state": "half_open", "circuit_opened_at": now}
            elif what == "success":
                if state != "closed" or failures:
                    values = {
                        "circuit_state": "closed",
                        "circuit_failures": 0,
                        "circuit_opened_at": False,
                    }
            else:
                values = {
                    "circuit_failures": failures + 1,
                    "circuit_last_error": str(error or "")[:250],
                }
                if state == "half_open" or failures + 1 >= (threshold or 1):
                    values.update(circuit_state="open", circuit_opened_at=now)
            if values:
                record = self.env(cr=cr, su=True)[self._name].browse(self.id)
                record.write(values)
                new_state = values.get("circuit_state", state)
                if new_state != state:
                    log = _logger.warning if new_state == "open" else _logger.info
                    log("Carrier endpoint %s: circuit %s -> %s", self.code, state, new_state)
                    record.message_post(
                        body=self.env._(
                            "Circuit %(old)s -> %(new)s. %(error)s",
                            old=state,
                            new=new_state,
                            error=values.get("circuit_last_error") or "",
                        )
                    )
        self.invalidate_recordset(
            ["circuit_state", "circuit_failures", "circuit_opened_at", "circuit_last_error"]
        )
        return result

    def action_reset_circuit(self):
        for endpoint in self:
            endpoint._circuit_transition("success")

    # ---------------------------------------------------------------- polling
    @api.model
    def _cron_poll_tracking(self):
        """Fallback for carriers without webhooks: one polling job per endpoint, on its
        channel (a job still pending from the last run is not queued twice)."""
        endpoints = self.search(
            [("kind", "=", "carrier"), ("tracking_mode", "=", "poll"), ("active", "=", True)]
        )
        for endpoint in endpoints:
            endpoint.with_delay(
                channel=endpoint.channel_name,
                identity_key=f"logistics_sync-poll-{endpoint.id}",
                description=f"Logistics Sync: poll tracking of {endpoint.code}",
            )._job_poll_tracking()
        self.env["ir.cron"]._notify_progress(done=len(endpoints), remaining=0)
        return endpoints

    def _job_poll_tracking(self):
        """Batched, rate-limited polling of one endpoint.  A carrier that fails is
        counted by the circuit breaker and asked again at the next cron run."""
        self.ensure_one()
        accepted = self.with_company(self.company_id)._poll_tracking()
        return f"{accepted} events accepted"

    def _poll_tracking(self):
        """Ask the carrier for the events of open shipments; returns events accepted."""
        self.ensure_one()
        Picking = self.env["stock.picking"].sudo()
        pickings = Picking.search(
            [
                ("carrier_id.logistics_endpoint_id", "=", self.id),
                ("logistics_booking_state", "=", "booked"),
                ("carrier_tracking_ref", "!=", False),
                (
                    "logistics_milestone",
                    "not in",
                    ("delivered", "pod_received", "returned", "cancelled"),
                ),
            ],
            order="logistics_polled_at asc nulls first, id",
            limit=max(1, self.poll_batch_size) * max(1, self.poll_max_requests),
        )
        if not pickings:
            return 0
        allowed, _wait = self._circuit_allows()
        if not allowed:
            return 0
        client = self._carrier_client()
        accepted = 0
        size = max(1, self.poll_batch_size)
        for start in range(0, len(pickings), size):
            chunk = pickings[start : start + size]
            try:
                results = client.track(chunk.mapped("carrier_tracking_ref"))
            except CarrierError as exc:
                self._circuit_record(False, exc)
                _logger.warning("Polling %s failed: %s", self.code, exc)
                break
            self._circuit_record(True)
            chunk.write({"logistics_polled_at": fields.Datetime.now()})
            natives = [item for events in results.values() for item in events or []]
            if not natives:
                continue
            events, errors = self._to_canonical(natives)
            errors = errors or self.env["logistics.event"]._validate_payloads(events)
            if errors:
                _logger.warning(
                    "Polling %s: %s payload(s) do not fit the mapping", self.code, len(errors)
                )
                continue
            status, body = (
                self.env["logistics.event"].sudo()._ingest(self, events, originals=natives)
            )
            if status == 202:
                accepted += sum(1 for item in body["events"] if item["status"] == "accepted")
        return accepted
