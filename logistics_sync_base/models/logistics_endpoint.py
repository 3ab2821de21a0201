# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import ipaddress
import logging
import threading
import time
from dataclasses import dataclass, field

import psycopg2

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL

from ..lib import mapping, milestones, signature
from .logistics_event import SnapshotConflict

_logger = logging.getLogger(__name__)

CHANNEL_ROOT = "root.logistics_sync"
SECRET_FIELDS = (
    "signing_secret",
    "previous_signing_secret",
    "auth_password",
    "auth_token",
    "auth_api_key",
    "oauth_client_secret",
)


class _RateLimiter:
    """Per-process sliding one-minute window per (database, endpoint).

    Kept in memory on purpose: a counter row in PostgreSQL would make every
    webhook request of an endpoint update the same row, and concurrent
    requests would then fail on serialization.  With N Odoo workers the
    effective limit is at most N times the configured one.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._hits = {}

    def hit(self, key, limit, now=None):
        """Count one request; return 0 when allowed, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            stamps = [t for t in self._hits.get(key, ()) if now - t < 60.0]
            if len(stamps) >= limit:
                self._hits[key] = stamps
                return max(1, int(60.0 - (now - stamps[0])) + 1)
            stamps.append(now)
            self._hits[key] = stamps
            return 0


RATE_LIMITER = _RateLimiter()

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
        "signature_encoding",
        "inbound_format",
        "status_map_ids",
    }
    | {path_field for path_field, _required in mapping.PATH_FIELDS.values()}
)


OUTBOUND_FIELDS = frozenset({"base_url", "oauth_token_url", "auth_type", "api_key_header"})


@dataclass(frozen=True, kw_only=True)
class WebhookSnapshot:
    """What the webhook controller needs to know about an endpoint, without a query."""

    id: int
    code: str
    name: str
    kind: str
    company_id: int
    channel_name: str
    secrets: tuple = field(repr=False)
    tolerance: int
    networks: tuple
    rate_limit: int
    max_bytes: int
    signature_scheme: str
    signature_header: str
    signature_encoding: str
    inbound_format: str
    paths: tuple
    status_map: tuple

    def source_allowed(self, remote_addr):
        if not self.networks:
            return True
        try:
            address = ipaddress.ip_address(remote_addr or "")
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def verify_signature(self, headers, body):
        if self.signature_scheme == "hmac_sha256":
            signature.verify_hmac(
                self.secrets, headers, body, self.signature_header, self.signature_encoding
            )
        else:
            signature.verify(self.secrets, headers, body, tolerance=self.tolerance)

    def to_canonical(self, data):
        if self.inbound_format != "mapped":
            return ([data] if isinstance(data, dict) else data), []
        return mapping.map_payloads(
            data,
            dict(self.paths),
            dict(self.status_map),
            carrier=self.code if self.kind == "carrier" else None,
        )


class LogisticsEndpoint(models.Model):
    _name = "logistics.endpoint"
    _description = "Logistics Sync Endpoint"
    _inherit = ["mail.thread"]
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(
        required=True,
        copy=False,
        tracking=True,
        help="Used in the webhook URL /logistics_sync/v1/events/<code>: "
        "lowercase letters, digits, '-' and '_'.",
    )
    sequence = fields.Integer(default=10)
    kind = fields.Selection(
        [
            ("carrier", "Carrier"),
            ("tms", "TMS"),
            ("wms", "3PL / WMS"),
            ("edi", "EDI gateway"),
            ("other", "Other"),
        ],
        required=True,
        default="carrier",
        tracking=True,
    )
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    # ---- outbound: how Odoo calls the external system (carrier / TMS addons)
    base_url = fields.Char(string="Base URL", tracking=True)
    auth_type = fields.Selection(
        [
            ("none", "None"),
            ("basic", "Basic"),
            ("bearer", "Bearer token"),
            ("api_key", "API key header"),
            ("oauth2", "OAuth2 client credentials"),
        ],
        default="none",
        required=True,
    )
    auth_username = fields.Char(groups="base.group_system", copy=False)
    auth_password = fields.Char(groups="base.group_system", copy=False)
    auth_token = fields.Char(groups="base.group_system", copy=False)
    api_key_header = fields.Char(default="X-Api-Key")
    auth_api_key = fields.Char(groups="base.group_system", copy=False)
    oauth_token_url = fields.Char(string="OAuth2 token URL")
    oauth_client_id = fields.Char(string="OAuth2 client id", groups="base.group_system", copy=False)
    oauth_client_secret = fields.Char(
        string="OAuth2 client secret", groups="base.group_system", copy=False
    )
    oauth_scope = fields.Char(string="OAuth2 scope")
    # ---- inbound: how the external system calls Odoo
    signing_secret = fields.Char(groups="base.group_system", copy=False)
    previous_signing_secret = fields.Char(
        groups="base.group_system",
        copy=False,
        help="Still accepted during a secret rotation; clear it once senders moved on.",
    )
    has_previous_secret = fields.Boolean(compute="_compute_has_previous_secret")
    timestamp_tolerance = fields.Integer(
        default=300, help="Seconds a webhook-timestamp may differ from the server clock (1-300)."
    )
    allowed_networks = fields.Char(
        help="Optional comma-separated networks (CIDR) allowed to post, e.g. 203.0.113.0/24."
    )
    rate_limit_per_minute = fields.Integer(
        default=0, help="Requests per minute and Odoo worker; 0 means no limit."
    )
    max_body_kb = fields.Integer(string="Max body (KiB)", default=10240)
    signature_scheme = fields.Selection(
        [
            ("standard_webhooks", "Standard Webhooks v1"),
            ("hmac_sha256", "HMAC-SHA256 of the body in a header"),
        ],
        default="standard_webhooks",
        required=True,
        tracking=True,
    )
    signature_header = fields.Char(default="X-Signature", help="Header holding the HMAC.")
    signature_encoding = fields.Selection(
        [("hex", "Hexadecimal"), ("base64", "Base64")], default="hex", required=True
    )
    inbound_format = fields.Selection(
        [("canonical", "Canonical events (contract v1)"), ("mapped", "Sender's own JSON, mapped")],
        default="canonical",
        required=True,
        tracking=True,
        help="Mapped: each payload is turned into a canonical event with the paths and "
        "status table below, then validated and processed like any canonical event.",
    )
    map_event_id_path = fields.Char("Event id path", default="id")
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
    webhook_url = fields.Char(compute="_compute_webhook_url")
    # ---- processing
    channel_name = fields.Char(compute="_compute_channel_name", store=True)
    channel_capacity = fields.Integer(
        default=1,
        help="Jobs of this endpoint run at most this many at a time "
        "(the queue_job runner reads it at start).",
    )
    max_attempts = fields.Integer(default=5)
    retry_base_seconds = fields.Integer(default=30)
    unknown_ref_wait_minutes = fields.Integer(
        default=60,
        help="How long an event for an unknown shipment waits for the transfer "
        "to appear before it becomes a dead letter.",
    )
    waiting_alert_minutes = fields.Integer(
        default=240,
        help="An event waiting for the dispatch longer than this raises an exception activity.",
    )
    retention_days = fields.Integer(
        default=90,
        help="Applied, superseded and discarded events older than this are purged "
        "(raw payloads can hold personal data). Dead letters are kept until resolved.",
    )
    responsible_user_id = fields.Many2one("res.users", string="Responsible", tracking=True)
    responsible_group_id = fields.Many2one(
        "res.groups", help="Exception activities go to its first user when no responsible is set."
    )
    event_ids = fields.One2many("logistics.event", "endpoint_id")
    event_count = fields.Integer(compute="_compute_counts")
    dead_count = fields.Integer(compute="_compute_counts")

    _sql_constraints = [
        ("code_unique", "unique(code)", "The endpoint code must be unique."),
        (
            "tolerance_range",
            "CHECK(timestamp_tolerance BETWEEN 1 AND 300)",
            "The timestamp tolerance must be between 1 and 300 seconds.",
        ),
        ("attempts_positive", "CHECK(max_attempts >= 1)", "Max attempts must be at least 1."),
        ("capacity_positive", "CHECK(channel_capacity >= 1)", "Capacity must be at least 1."),
    ]

    @api.depends("code")
    def _compute_channel_name(self):
        for endpoint in self:
            endpoint.channel_name = f"{CHANNEL_ROOT}.{endpoint.code}" if endpoint.code else False

    def _compute_has_previous_secret(self):
        for endpoint, secret in zip(
            self, self.sudo().mapped("previous_signing_secret"), strict=False
        ):
            endpoint.has_previous_secret = bool(secret)

    @api.depends("code")
    def _compute_webhook_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for endpoint in self:
            endpoint.webhook_url = (
                f"{base}/logistics_sync/v1/events/{endpoint.code}" if endpoint.code else False
            )

    def _compute_counts(self):
        groups = self.env["logistics.event"]._read_group(
            [("endpoint_id", "in", self.ids)], ["endpoint_id", "state"], ["__count"]
        )
        totals, dead = {}, {}
        for endpoint, state, count in groups:
            totals[endpoint.id] = totals.get(endpoint.id, 0) + count
            if state == "dead":
                dead[endpoint.id] = count
        for endpoint in self:
            endpoint.event_count = totals.get(endpoint.id, 0)
            endpoint.dead_count = dead.get(endpoint.id, 0)

    @api.constrains("code")
    def _check_code(self):
        allowed = set("abcdefghijklmnopqrstuvwxyz0123456789-_")
        for endpoint in self:
            if not endpoint.code or not set(endpoint.code) <= allowed or len(endpoint.code) > 64:
                raise ValidationError(
                    self.env._(
                        "Endpoint code %(code)r: use 1 to 64 lowercase letters, digits, '-' or '_'.",
                        code=endpoint.code,
                    )
                )

    @api.constrains("allowed_networks")
    def _check_allowed_networks(self):
        for endpoint in self:
            try:
                endpoint._allowed_networks()
            except ValueError as exc:
                raise ValidationError(
                    self.env._("Allowed networks: %(error)s", error=str(exc))
                ) from None

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("signing_secret"):
                vals["signing_secret"] = signature.generate_secret()
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        if OUTBOUND_FIELDS.intersection(vals) and not (
            self.env.su or self.env.user.has_group("base.group_system")
        ):
            # The outbound credentials are readable by system administrators only;
            # whoever may change where they are sent could otherwise read them.
            raise AccessError(
                self.env._(
                    "Only system administrators can change where an endpoint's "
                    "credentials are sent (%(fields)s).",
                    fields=", ".join(sorted(OUTBOUND_FIELDS.intersection(vals))),
                )
            )
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
        endpoints = self.sudo().with_context(active_test=True).search_read([], ["code"])
        return {endpoint["code"]: endpoint["id"] for endpoint in endpoints}

    @api.model
    @tools.ormcache("endpoint_id")
    def _webhook_snapshot_by_id(self, endpoint_id):
        return self.sudo().browse(endpoint_id)._snapshot()

    def _snapshot(self):
        self.ensure_one()
        endpoint = self.sudo()
        values = endpoint.read(["signing_secret", "previous_signing_secret"])[0]
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
            tolerance=endpoint.timestamp_tolerance,
            networks=tuple(endpoint._allowed_networks()),
            rate_limit=endpoint.rate_limit_per_minute,
            max_bytes=endpoint.max_body_kb * 1024,
            signature_scheme=endpoint.signature_scheme,
            signature_header=endpoint.signature_header or "",
            signature_encoding=endpoint.signature_encoding,
            inbound_format=endpoint.inbound_format,
            paths=tuple(endpoint._mapping_paths().items()),
            status_map=tuple(
                (line.source_code, line.milestone) for line in endpoint.status_map_ids
            ),
        )

    # ------------------------------------------------------------------ helpers
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

    @api.model
    def _runner_channels(self):
        """The queue_job runner ``channels`` setting for all active endpoints."""
        parts = ["root:4", f"{CHANNEL_ROOT}:2"]
        for endpoint in self.sudo().search([]):
            parts.append(f"{endpoint.channel_name}:{endpoint.channel_capacity}")
        return ",".join(parts)

    # ------------------------------------------------------------------ actions
    def action_rotate_secret(self):
        """Open the wizard that generates a new signing secret and shows it once."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "logistics.endpoint.secret",
            "view_mode": "form",
            "target": "new",
            "context": {"default_endpoint_id": self.id},
        }

    def action_clear_previous_secret(self):
        self.ensure_one()
        self.sudo().previous_signing_secret = False
        self.message_post(body=self.env._("Previous signing secret removed."))

    def action_view_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync_base.logistics_event_action"
        )
        action["domain"] = [("endpoint_id", "=", self.id)]
        action["context"] = {"default_endpoint_id": self.id}
        return action

    def action_try_mapping(self):
        self.ensure_one()
        return self.env["logistics.mapping.try"].create({"endpoint_id": self.id})._action_open()

    def action_view_dead_letters(self):
        action = self.action_view_events()
        action["domain"] = [("endpoint_id", "=", self.id), ("state", "=", "dead")]
        return action

    # ------------------------------------------------------------------- jobs
    def _enqueue_processing(self, hook=None):
        """Make sure a job will apply this endpoint's received events.

        A request may rely on a job that is still ``pending`` only if that job
        cannot start before the request commits: the request takes a share lock
        on the job row, which the job runner's ``UPDATE ... state = 'enqueued'``
        waits for.  So the job starts after the commit and its transaction sees
        the new events.  A job that is enqueued, started, or locked by the runner
        at this moment does not count: then a new job is queued.  Under load most
        requests find a pending job and skip creating one (the expensive part).
        """
        for endpoint in self:
            channel, code = (
                (hook.channel_name, hook.code) if hook else (endpoint.channel_name, endpoint.code)
            )
            # Only a short webhook request (``hook`` given) may hold the share lock:
            # the single-threaded runner waits on it.  Jobs and crons just queue.
            if not (hook and endpoint._lock_pending_job(channel)):
                endpoint.with_delay(
                    channel=channel,
                    description=f"Logistics Sync: process events of {code}",
                )._job_process_pending()

    def _lock_pending_job(self, channel):
        self.ensure_one()
        cr = self.env.cr
        self.env["queue.job"].flush_model(["state", "channel"])
        # One round trip: a savepoint (left open, the commit releases it) and the lock.
        try:
            cr.execute(
                SQL(
                    "SAVEPOINT logistics_pending_job;"
                    " SELECT id FROM queue_job WHERE state = 'pending' AND channel = %s"
                    " AND (eta IS NULL OR eta <= (now() AT TIME ZONE 'UTC'))"
                    " AND model_name = %s AND method_name = '_job_process_pending'"
                    " LIMIT 1 FOR SHARE SKIP LOCKED",
                    channel,
                    self._name,
                ),
                log_exceptions=False,
            )
            return bool(cr.fetchone())
        except psycopg2.errors.SerializationFailure:
            # the runner enqueued it after our snapshot: it may already be running
            cr.execute("ROLLBACK TO SAVEPOINT logistics_pending_job")
            return False

    @api.model
    def _cron_process_stale(self, older_than_seconds=60):
        """Safety net: endpoints whose received events were not picked up get a job."""
        stale = self.env["logistics.event"]._read_group(
            [
                ("state", "=", "received"),
                (
                    "received_at",
                    "<",
                    fields.Datetime.subtract(fields.Datetime.now(), seconds=older_than_seconds),
                ),
            ],
            ["endpoint_id"],
        )
        endpoints = self.browse([endpoint.id for (endpoint,) in stale])
        endpoints._enqueue_processing()
        self.env["ir.cron"]._notify_progress(done=len(endpoints), remaining=0)
        return endpoints

    def _job_process_pending(self, limit=500):
        """Apply this endpoint's received events, oldest first, in one transaction.

        Many events per job: queue_job dispatches every job through an HTTP request,
        so one job per event would cap processing at the HTTP rate.
        """
        self.ensure_one()
        try:
            events = self.env["logistics.event"]._claim_received(self, limit)
            events._process()
        except SnapshotConflict:
            # another job of this endpoint changed these rows after our snapshot:
            # a new job (new transaction) takes over at once
            self.env.invalidate_all()
            self._enqueue_processing()
            return "re-queued: another job of the endpoint was working on the same rows"
        if len(events) == limit:
            self._enqueue_processing()
        return f"{len(events)} events processed"


class LogisticsStatusMap(models.Model):
    _name = "logistics.status.map"
    _description = "Logistics Sync Status Mapping"
    _order = "endpoint_id, sequence, id"

    endpoint_id = fields.Many2one(
        "logistics.endpoint", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    source_code = fields.Char(string="Sender's status", required=True)
    milestone = fields.Selection(milestones.SELECTION, required=True)
    description = fields.Char()

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    _sql_constraints = [
        (
            "code_unique",
            "unique(endpoint_id, source_code)",
            "Each status code of the sender maps to one milestone.",
        )
    ]
