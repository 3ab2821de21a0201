# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import file_path

from ..adapters import CarrierAuth, CarrierError, client_for, karrio_adapter
from .delivery_carrier import ADDRESS_FIELDS
from odoo.addons.logistics_sync_base.jobs import record_outside

_logger = logging.getLogger(__name__)

SIM_WSDL = "logistics_sync_carrier/wsdl/sim_carrier.wsdl"


class LogisticsEndpoint(models.Model):
    _inherit = "logistics.endpoint"

    carrier_protocol = fields.Selection(
        [("rest", "REST / JSON"), ("soap", "SOAP"), ("karrio", "Karrio carrier")],
        string="Carrier API",
        default="rest",
        required=True,
        help="REST / SOAP: the in-house carrier API of this suite. Karrio carrier: a real "
        "carrier (UPS, FedEx, DHL Express...) through its installed karrio extension.",
    )
    karrio_carrier = fields.Selection(
        selection="_karrio_carrier_selection",
        string="Karrio carrier",
        help="The carrier, among the karrio extensions installed on the server "
        "(pip install karrio-<carrier>).",
    )
    karrio_test_mode = fields.Boolean(
        string="Carrier test mode",
        default=True,
        help="Use the carrier's test (sandbox) servers; clear it to ship for real.",
    )
    karrio_settings = fields.Text(
        string="Connection settings",
        groups="base.group_system",
        copy=False,
        help="The carrier's connection settings as a JSON object (account number, keys, "
        'passwords), e.g. {"client_id": "...", "client_secret": "...", '
        '"account_number": "..."}. Readable by system administrators only.',
    )
    karrio_settings_input = fields.Char(
        string="New connection settings",
        groups="base.group_system",
        copy=False,
        compute="_compute_karrio_settings_input",
        inverse="_inverse_karrio_settings_input",
        help="Write-only: the settings are never shown again. Type (or paste) the whole "
        'JSON object, e.g. {"client_id": "...", "client_secret": "...", '
        '"account_number": "..."}, and save: it replaces the stored settings. Leave empty '
        "to keep them.",
    )
    karrio_settings_state = fields.Char(
        string="Connection settings stored",
        compute="_compute_karrio_settings_state",
        compute_sudo=True,
        help="Whether connection settings are stored, and the names they give (never "
        "their values).",
    )
    karrio_settings_hint = fields.Char(
        string="Settings this carrier takes",
        compute="_compute_karrio_settings_hint",
        help="The keys of the connection settings of the chosen carrier (* required).",
    )
    karrio_label_type = fields.Selection(
        [("PDF", "PDF"), ("ZPL", "ZPL (thermal printers)")],
        string="Label format",
        default="PDF",
        help="Asked from the carrier; kept as the carrier gives it.",
    )
    karrio_lookup_delay = fields.Integer(
        string="Reference lookup delay (s)",
        default=300,
        help="When a booking's answer is lost (timeout, reset, 5xx after the carrier got "
        "it), the booking is looked up at the carrier by the transfer's reference (UPS, "
        "FedEx) instead of being sent again. Only when the carrier has not found it this "
        "long after the lost answer (time for the carrier to index a new shipment) is it "
        "booked again.",
    )
    carrier_service = fields.Char(
        string="Carrier service", default="standard", help="Service level sent with bookings."
    )
    tracking_mode = fields.Selection(
        [("webhook", "The carrier pushes webhooks"), ("poll", "Odoo polls the carrier")],
        string="Tracking updates",
        default="webhook",
        required=True,
    )
    poll_batch_size = fields.Integer(
        string="Transfers per poll", default=50, help="Tracking numbers per polling request."
    )
    poll_max_requests = fields.Integer(
        string="Requests per poll",
        default=10,
        help="Polling requests per cron run at most (the carrier's rate limit).",
    )
    booking_waiting_count = fields.Integer(
        string="Bookings waiting", compute="_compute_booking_waiting_count"
    )

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

    @api.model
    def _karrio_carrier_selection(self):
        return karrio_adapter.available_carriers()

    def _compute_karrio_settings_input(self):
        self.karrio_settings_input = False  # write-only: never read back

    def _inverse_karrio_settings_input(self):
        for endpoint in self:
            if endpoint.karrio_settings_input:
                endpoint.karrio_settings = endpoint.karrio_settings_input.strip()

    @api.depends("karrio_settings")
    def _compute_karrio_settings_state(self):
        for endpoint in self:
            try:
                values = json.loads(endpoint.karrio_settings or "null")
            except ValueError:
                values = None
            if isinstance(values, dict) and values:
                endpoint.karrio_settings_state = self.env._(
                    "Set (%(names)s)", names=", ".join(sorted(values))
                )
            else:
                endpoint.karrio_settings_state = self.env._("Not set")

    @api.depends("karrio_carrier")
    def _compute_karrio_settings_hint(self):
        for endpoint in self:
            if not endpoint.karrio_carrier:
                endpoint.karrio_settings_hint = False
                continue
            fields_ = karrio_adapter.connection_fields(endpoint.karrio_carrier)
            endpoint.karrio_settings_hint = ", ".join(
                f"{name}{'*' if required else ''}" for name, required in fields_.items()
            )

    @api.constrains("carrier_protocol", "karrio_carrier", "karrio_settings")
    def _check_karrio_settings(self):
        # sudo: the settings are a system administrators' field; the check runs on
        # any save of the endpoint
        for endpoint in self.sudo():
            if endpoint.carrier_protocol != "karrio" or endpoint.kind != "carrier":
                continue
            if endpoint.karrio_settings:  # none yet: a copy, a carrier being set up
                endpoint._karrio_settings()

    def _karrio_settings(self):
        """The connection settings as a dict, checked against the carrier's fields."""
        self.ensure_one()
        if not self.karrio_carrier:
            raise ValidationError(
                self.env._("Endpoint %(name)s: choose the karrio carrier.", name=self.name)
            )
        # sudo: a system administrators' secret, read to build the carrier's client
        # whoever runs the job or asks for a rate (never shown or logged)
        text = self.sudo().karrio_settings or "{}"
        try:
            values = json.loads(text)
        except ValueError:
            values = None
        if not isinstance(values, dict) or not all(
            isinstance(v, str | int | float | bool) for v in values.values()
        ):
            raise ValidationError(
                self.env._(
                    "Endpoint %(name)s: the connection settings must be a JSON object of "
                    "names and values.",
                    name=self.name,
                )
            )
        known = karrio_adapter.connection_fields(self.karrio_carrier)
        unknown = sorted(set(values) - set(known))
        missing = sorted(n for n, required in known.items() if required and not values.get(n))
        if unknown or missing:
            raise ValidationError(
                self.env._(
                    "Endpoint %(name)s: the connection settings of %(carrier)s take "
                    "%(fields)s; unknown: %(unknown)s; missing: %(missing)s.",
                    name=self.name,
                    carrier=self.karrio_carrier,
                    fields=", ".join(known) or "-",
                    unknown=", ".join(unknown) or "-",
                    missing=", ".join(missing) or "-",
                )
            )
        return values

    @api.model_create_multi
    def create(self, vals_list):
        # typed on a new endpoint's form: stored as the settings with the endpoint
        for vals in vals_list:
            typed = vals.pop("karrio_settings_input", False)
            if typed:
                vals["karrio_settings"] = typed.strip()
        return super().create(vals_list)

    def write(self, vals):
        if {"karrio_carrier", "karrio_test_mode"}.intersection(vals) and not (
            self.env.su or self.env.user.has_group("base.group_system")
        ):
            # like the base URL: where the credentials go is for system administrators
            raise AccessError(
                self.env._("Only system administrators can change an endpoint's karrio carrier.")
            )
        return super().write(vals)

    def _karrio_shipper(self):
        """The sender's address: the company's."""
        # only what is sent (a job reads them once per booking: not the company's
        # and its partner's hundred other columns)
        self.company_id.fetch(["name", "partner_id"])
        partner = self.company_id.partner_id
        partner.fetch(ADDRESS_FIELDS)
        return {
            "name": partner.name or "",
            "company": self.company_id.name or "",
            "street": partner.street or "",
            "street2": partner.street2 or "",
            "city": partner.city or "",
            "zip": partner.zip or "",
            "country": partner.country_id.code or "",
            "state": partner.state_id.code or "",
            "phone": partner.phone or partner.mobile or "",
            "email": partner.email or "",
        }

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
        if self.carrier_protocol == "karrio":
            try:
                settings = self._karrio_settings()
            except ValidationError as exc:
                # the job's view of it: change the settings first, then retry
                raise karrio_adapter.PermanentCarrierError(str(exc.args[0])) from None
            return karrio_adapter.KarrioCarrierClient(
                self.karrio_carrier,
                settings,
                test_mode=self.karrio_test_mode,
                base_url=self.base_url or None,
                timeout=self.http_timeout or 10.0,
                allow_http_loopback=self._allow_http_loopback(),
                token_scope=f"{self.env.cr.dbname}/{self.id}",
                shipper=self._karrio_shipper(),
                label_type=self.karrio_label_type or "PDF",
                default_service=self.carrier_service
                if self.carrier_service not in (False, "", "standard")
                else None,
            )
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

    # ---------------------------------------------------------------- polling
    @api.model
    def _cron_poll_tracking(self):
        """Fallback for carriers without webhooks: one polling job per endpoint, on its
        channel (a job still pending from the last run is not queued twice)."""
        endpoints = self.search(
            [("kind", "=", "carrier"), ("tracking_mode", "=", "poll"), ("active", "=", True)]
        )

        def queue(endpoint):
            endpoint.with_delay(
                channel=endpoint.channel_name,
                identity_key=f"logistics_sync-poll-{endpoint.id}",
                description=f"Logistics Sync: poll tracking of {endpoint.code}",
            )._job_poll_tracking()

        endpoints = endpoints._cron_each("poll_tracking", self.env._("Poll tracking"), queue)
        self.env["ir.cron"]._notify_progress(done=len(endpoints), remaining=0)
        return endpoints

    def _job_poll_tracking(self):
        """Batched, rate-limited polling of one endpoint.  A carrier that fails is
        counted by the circuit breaker and asked again at the next cron run."""
        self.ensure_one()
        accepted = self.with_company(self.company_id)._poll_tracking()
        return f"{accepted} events accepted"

    def _karrio_not_stored_before(self, events):
        """``events`` without those stored under the id the polling gave them before
        a scan had one id polled or pushed (``karrio_adapter.legacy_event_id``): the
        history of a shipment polled before the upgrade is not stored twice."""
        legacy = {karrio_adapter.legacy_event_id(event): event for event in events}
        stored = self.env["logistics.event"].sudo()._stored_hashes(self, list(legacy))
        return [event for key, event in legacy.items() if key not in stored] if stored else events

    def _poll_domain(self):
        """The open shipments of this endpoint a poll asks the carrier about."""
        self.ensure_one()
        return [
            ("carrier_id.logistics_endpoint_id", "=", self.id),
            ("logistics_booking_state", "=", "booked"),
            ("carrier_tracking_ref", "!=", False),
            (
                "logistics_milestone",
                "not in",
                ("delivered", "pod_received", "returned", "cancelled"),
            ),
        ]

    def _poll_tracking(self):
        """Ask the carrier for the events of open shipments; returns events accepted."""
        self.ensure_one()
        Picking = self.env["stock.picking"].sudo()
        pickings = Picking.search(
            self._poll_domain(),
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
        polled = Picking.browse()
        for start in range(0, len(pickings), size):
            chunk = pickings[start : start + size]
            try:
                results = client.track(chunk.mapped("carrier_tracking_ref"))
            except CarrierError as exc:
                self._circuit_record(False, exc)
                _logger.warning("Polling %s failed: %s", self.code, exc)
                break
            self._circuit_record(True)
            polled |= chunk
            natives = [item for events in results.values() for item in events or []]
            if not natives:
                continue
            if self.carrier_protocol == "karrio":
                # karrio's statuses are mapped by the adapter (KARRIO_MILESTONES)
                events, errors = natives, []
            else:
                events, errors = self._to_canonical(natives)
            errors = errors or self.env["logistics.event"]._validate_payloads(events)
            if errors:
                _logger.warning(
                    "Polling %s: %s payload(s) do not fit the mapping", self.code, len(errors)
                )
                continue
            if self.carrier_protocol == "karrio":
                events = natives = self._karrio_not_stored_before(events)
                if not events:
                    continue
            status, body = (
                self.env["logistics.event"].sudo()._ingest(self, events, originals=natives)
            )
            if status == 202:
                accepted += sum(1 for item in body["events"] if item["status"] == "accepted")
        # written after the last call, in a transaction of its own: no transfer's row
        # is locked while the carrier is asked, and a user who saved one meanwhile is
        # neither waited for nor a reason to poll again
        if polled:
            now = fields.Datetime.now()
            record_outside(
                self.env,
                lambda env: env["stock.picking"]
                .browse(polled.ids)
                .write({"logistics_polled_at": now}),
                invalidate=False,
            )
        return accepted
