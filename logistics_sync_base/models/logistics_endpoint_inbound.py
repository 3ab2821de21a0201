# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The endpoint's inbound side: how the external system calls Odoo (secrets,
signature, limits, mapping) and the per-worker snapshot the webhook reads."""

import ipaddress

from odoo import Command, api, fields, models, tools
from odoo.exceptions import AccessError, ValidationError

from ..lib import mapping, presets, signature, timeparse
from ..lib.webhook_snapshot import WebhookSnapshot
from odoo.addons.base.models.res_partner import _tz_get

DEFAULT_MAX_BATCH = 500

# The fields the webhook needs on every request, cached per worker (see
# ``_webhook_snapshot``); a write to any of them clears the cache everywhere.
WEBHOOK_FIELDS = frozenset(
    {
        "code",
        "active",
        "company_id",
        "kind",
        "signing_secret",
        "previous_signing_secret",
        "timestamp_tolerance",
        "allowed_networks",
        "rate_limit_per_minute",
        "max_body_kb",
        "signature_scheme",
        "signature_header",
        "signature_algorithm",
        "signature_encoding",
        "signature_prefix",
        "signature_timestamp",
        "signature_timestamp_header",
        "signature_template",
        "signature_separator",
        "inbound_format",
        "map_events_path",
        "map_event_id_fields",
        "map_time_format",
        "map_time_zone",
        "status_map_ids",
    }
    | {path_field for path_field, _required in mapping.PATH_FIELDS.values()}
)


class LogisticsEndpoint(models.Model):
    _inherit = "logistics.endpoint"  # pylint: disable=consider-merging-classes-inherited

    # ---- inbound: how the external system calls Odoo
    signing_secret = fields.Char(string="Signing secret", groups="base.group_system", copy=False)
    previous_signing_secret = fields.Char(
        string="Previous signing secret",
        groups="base.group_system",
        copy=False,
        help="Still accepted during a secret rotation; clear it once senders moved on.",
    )
    has_previous_secret = fields.Boolean(
        string="Previous secret still accepted", compute="_compute_has_previous_secret"
    )
    timestamp_tolerance = fields.Integer(
        string="Timestamp tolerance (s)",
        default=300,
        help="Seconds a webhook-timestamp may differ from the server clock (1-300).",
    )
    allowed_networks = fields.Char(
        string="Allowed networks",
        help="Optional comma-separated networks (CIDR) allowed to post, e.g. 203.0.113.0/24.",
    )
    rate_limit_per_minute = fields.Integer(
        string="Rate limit per minute",
        default=0,
        help="Requests admitted in any 60 seconds, across all Odoo workers and hosts; 0 means no limit.",
    )
    max_body_kb = fields.Integer(string="Max body (KiB)", default=10240)
    signature_scheme = fields.Selection(
        list(signature.SCHEMES.items()),
        string="Signature scheme",
        default="standard_webhooks",
        required=True,
        tracking=True,
    )
    signature_header = fields.Char(
        string="Signature header",
        default="X-Signature",
        help="Header holding the signature (or the shared secret).",
    )
    signature_algorithm = fields.Selection(
        list(signature.ALGORITHMS.items()),
        string="Signature algorithm",
        default="sha256",
        required=True,
    )
    signature_encoding = fields.Selection(
        [("hex", "Hexadecimal"), ("base64", "Base64")],
        string="Signature encoding",
        default="hex",
        required=True,
    )
    signature_prefix = fields.Char(
        string="Signature prefix",
        help="Text before the signature in the header value, e.g. sha256= or hmac-sha256-hex=.",
    )
    signature_timestamp = fields.Selection(
        list(signature.TIMESTAMPS.items()),
        string="Signed timestamp",
        default="none",
        required=True,
        help="Where the sender puts the Unix time it signs with the body; requests "
        "outside the timestamp tolerance are refused.",
    )
    signature_timestamp_header = fields.Char(string="Timestamp header")
    signature_template = fields.Char(
        string="Signed string",
        default="{timestamp}.{body}",
        help="What the sender signs: {timestamp} and {body} are replaced by the values.",
    )
    signature_separator = fields.Char(
        string="Signature separator",
        default="/",
        help="Between the body and the secret (17TRACK: /).",
        trim=False,
    )
    inbound_preset = fields.Selection(
        presets.SELECTION,
        string="Provider preset",
        help="Fills the signature, the mapping and the status table for this provider; "
        "then only paste the secret it issued.",
    )
    inbound_format = fields.Selection(
        [("canonical", "Canonical events (contract v1)"), ("mapped", "Sender's own JSON, mapped")],
        string="Inbound format",
        default="canonical",
        required=True,
        tracking=True,
        help="Mapped: each payload is turned into a canonical event with the paths and "
        "status table below, then validated and processed like any canonical event.",
    )
    map_events_path = fields.Char(
        "Events path",
        help="Where the array of events is when one body carries many (e.g. data); "
        "the paths below are then relative to each item. Empty: the body is the event.",
    )
    map_event_id_path = fields.Char("Event id path", default="id")
    map_event_id_fields = fields.Char(
        "Derive event id from",
        help="When the sender sends no event id: comma-separated canonical fields whose "
        "values make a stable id, e.g. tracking_ref,source_status,occurred_at. "
        "Allowed: " + ", ".join(mapping.ID_FIELDS) + ".",
    )
    map_time_format = fields.Selection(
        list(timeparse.FORMATS.items()), string="Time format", default="rfc3339", required=True
    )
    map_time_zone = fields.Selection(
        _tz_get,
        string="Time zone",
        default="UTC",
        help="Times without an offset (time format 'Local time') are read in this zone.",
    )
    map_shipment_ref_path = fields.Char("Shipment reference path", default="shipment.reference")
    map_tracking_ref_path = fields.Char("Tracking reference path")
    map_status_path = fields.Char("Status code path", default="status.code")
    map_occurred_at_path = fields.Char("Event time path", default="status.at")
    map_sequence_path = fields.Char("Sequence path")
    map_reason_path = fields.Char("Reason path")
    map_description_path = fields.Char("Description path")
    map_location_city_path = fields.Char("City path")
    map_location_postal_code_path = fields.Char("Postal code path")
    map_location_country_path = fields.Char("Country path")
    map_eta_path = fields.Char("ETA path")
    status_map_ids = fields.One2many(
        "logistics.status.map", "endpoint_id", string="Status codes", copy=True
    )

    _sql_constraints = [
        (
            "tolerance_range",
            "CHECK(timestamp_tolerance BETWEEN 1 AND 300)",
            "The timestamp tolerance must be between 1 and 300 seconds.",
        ),
    ]

    def _compute_has_previous_secret(self):
        # sudo: only whether a previous secret exists is shown, never the secret
        for endpoint, secret in zip(
            self, self.sudo().mapped("previous_signing_secret"), strict=False
        ):
            endpoint.has_previous_secret = bool(secret)

    @api.constrains("allowed_networks")
    def _check_allowed_networks(self):
        for endpoint in self:
            try:
                endpoint._allowed_networks()
            except ValueError as exc:
                raise ValidationError(
                    self.env._("Allowed networks: %(error)s", error=str(exc))
                ) from None

    @api.constrains(
        *(WEBHOOK_FIELDS - {"status_map_ids", "signing_secret", "previous_signing_secret"})
    )
    def _check_inbound_config(self):
        for endpoint in self:
            try:
                signature.check_config(endpoint._signature_config())
                if endpoint.inbound_format == "mapped":
                    endpoint._mapping()
            except ValueError as exc:
                raise ValidationError(
                    self.env._(
                        "Inbound webhooks of %(name)s: %(error)s",
                        name=endpoint.name,
                        error=str(exc),
                    )
                ) from None

    @api.onchange("inbound_preset")
    def _onchange_inbound_preset(self):
        if not self.inbound_preset:
            return
        self.update(presets.endpoint_values(self.inbound_preset))
        self.status_map_ids = [Command.clear()] + [
            Command.create({"sequence": index, "source_code": code, "milestone": milestone})
            for index, (code, milestone) in enumerate(presets.statuses(self.inbound_preset))
        ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("signing_secret"):
                vals["signing_secret"] = signature.generate_secret()
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        result = super().write(vals)
        if WEBHOOK_FIELDS.intersection(vals):
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    @api.model
    def _webhook_snapshot(self, code):
        """The active endpoint ``code`` as a ``WebhookSnapshot`` (None if there is
        none), cached per worker: the webhook then runs no query to find it.
        Unknown codes are not cached one by one (a flood of random codes would
        fill the cache): one cached map holds the codes of active endpoints."""
        endpoint_id = self._webhook_codes().get(code)
        return self._webhook_snapshot_by_id(endpoint_id) if endpoint_id else None

    @api.model
    @tools.ormcache()
    def _webhook_codes(self):
        # sudo: the webhook has no Odoo user; codes are public (they are in the URL)
        endpoints = self.sudo().with_context(active_test=True).search_read([], ["code"])
        return {endpoint["code"]: endpoint["id"] for endpoint in endpoints}

    @api.model
    @tools.ormcache("endpoint_id")
    def _webhook_snapshot_by_id(self, endpoint_id):
        # sudo: the snapshot holds the secrets the signature check needs; it never
        # leaves the worker (no endpoint returns it, its repr hides the secrets)
        return self.sudo().browse(endpoint_id)._snapshot()

    def _snapshot(self):
        self.ensure_one()
        endpoint = self.sudo()  # see _webhook_snapshot_by_id
        values = endpoint.read(["signing_secret", "previous_signing_secret"])[0]
        compiled = None
        if endpoint.inbound_format == "mapped":
            try:
                compiled = endpoint._mapping()
            except ValueError:
                compiled = None  # refused with a clear error by the snapshot (422)
        return WebhookSnapshot(
            id=endpoint.id,
            code=endpoint.code,
            name=endpoint.name,
            kind=endpoint.kind,
            company_id=endpoint.company_id.id,
            channel_name=endpoint.channel_name,
            secrets=tuple(
                s for s in (values["signing_secret"], values["previous_signing_secret"]) if s
            ),
            networks=tuple(endpoint._allowed_networks()),
            rate_limit=endpoint.rate_limit_per_minute,
            max_bytes=endpoint.max_body_kb * 1024,
            # the setting is read here, not per request (writing it clears this cache);
            # sudo: a technical setting, read for the webhook, which has no user
            max_batch=int(
                self.env["ir.config_parameter"]
                .sudo()
                .get_param("logistics_sync.max_batch_size", DEFAULT_MAX_BATCH)
            ),
            signature=endpoint._signature_config(),
            inbound_format=endpoint.inbound_format,
            mapping=compiled,
        )

    def _signature_config(self):
        self.ensure_one()
        return signature.SignatureConfig(
            scheme=self.signature_scheme,
            header=(self.signature_header or "").strip(),
            algorithm=self.signature_algorithm,
            encoding=self.signature_encoding,
            prefix=self.signature_prefix or "",
            timestamp=self.signature_timestamp,
            timestamp_header=(self.signature_timestamp_header or "").strip(),
            template=self.signature_template or "{timestamp}.{body}",
            separator=self.signature_separator or "",
            tolerance=self.timestamp_tolerance,
        )

    def _mapping(self):
        """The endpoint's mapping, compiled (JSON paths parsed); ValueError if invalid."""
        self.ensure_one()
        return mapping.build(
            self._mapping_paths(),
            {line.source_code: line.milestone for line in self.status_map_ids},
            events_path=self.map_events_path or "",
            event_id_fields=mapping.parse_id_fields(self.map_event_id_fields),
            time_format=self.map_time_format,
            time_zone=self.map_time_zone or "UTC",
            carrier=self.code if self.kind == "carrier" else None,
        )

    def _allowed_networks(self):
        self.ensure_one()
        if not self.allowed_networks:
            return []
        return [
            ipaddress.ip_network(part.strip(), strict=False)
            for part in self.allowed_networks.split(",")
            if part.strip()
        ]

    def _mapping_paths(self):
        self.ensure_one()
        return {
            field: self[path_field] or False
            for field, (path_field, _required) in mapping.PATH_FIELDS.items()
        }

    def _to_canonical(self, data):
        """Canonical events for a parsed request body: ``(events, errors)``."""
        self.ensure_one()
        return self._snapshot().to_canonical(data)

    # ------------------------------------------------------------------ actions
    def action_rotate_secret(self, mode="generate"):
        """Open the wizard that generates a new signing secret (shown once) or takes
        one the provider issued (``mode="paste"``; never shown again)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "logistics.endpoint.secret",
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Signing secret"),
            "context": {"default_endpoint_id": self.id, "default_mode": mode},
        }

    def action_paste_secret(self):
        return self.action_rotate_secret(mode="paste")

    def action_clear_previous_secret(self):
        self.ensure_one()
        if not self.env.is_system():
            # the button is for system administrators: so is the method, over RPC too
            raise AccessError(
                self.env._("Only system administrators may revoke a previous signing secret.")
            )
        # sudo: the field is for system admins only; clearing it reveals nothing
        self.sudo().previous_signing_secret = False
        self.message_post(body=self.env._("Previous signing secret removed."))
        return True

    def action_try_mapping(self):
        self.ensure_one()
        return self.env["logistics.mapping.try"].create({"endpoint_id": self.id})._action_open()
