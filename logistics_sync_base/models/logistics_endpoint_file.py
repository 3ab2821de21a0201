# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""File channels: an endpoint that receives and sends files (a local folder or SFTP).

Inbound: ``_cron_file_pickup`` lists every endpoint's inbound path and queues one
``_job_file_receive`` per complete file on the endpoint's channel; the job downloads
it, records a ``logistics.file`` and hands it to ``_file_handle`` (each addon
overrides it for its own ``file_format``), then a second job moves the file on the
server to ``processed/`` or ``failed/`` once the first one has committed (a file is
never lost, nor handed on twice). Outbound: ``_file_send`` records the file and
queues its atomic upload (a hidden temporary name, then a rename into place).
The transports live in ``adapters/file_transport.py``; the jobs in
``logistics_file_jobs.py``.
"""

import logging
import time

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..adapters import file_transport
from ..lib import files
from ..lib.urlsafety import UnsafeURLError, approved_addresses

_logger = logging.getLogger(__name__)

FILE_CONFIG_FIELDS = frozenset(
    {
        "file_transport",
        "file_inbound_path",
        "file_outbound_path",
        "sftp_host",
        "sftp_port",
        "sftp_username",
        "sftp_host_key",
    }
)
PROCESSED, FAILED = "processed", "failed"


def _sftp_url(host, port):
    host = host.strip()
    return f"https://[{host}]:{port}/" if ":" in host else f"https://{host}:{port}/"


class LogisticsEndpoint(models.Model):
    _inherit = "logistics.endpoint"  # pylint: disable=consider-merging-classes-inherited

    file_transport = fields.Selection(
        [("none", "None"), ("folder", "Local folder"), ("sftp", "SFTP")],
        string="File transport",
        required=True,
        default="none",
        help="Where this endpoint's files are exchanged: a folder of the Odoo server, or "
        "an SFTP server. None: no files.",
    )
    file_format = fields.Selection(
        [("none", "None")],
        string="File format",
        required=True,
        default="none",
        help="What the received files hold: decides which addon handles them.",
    )
    file_inbound_path = fields.Char(
        string="Inbound path",
        help="The folder files are picked up from (absolute for a local folder; on the "
        "SFTP server, relative to the login folder or absolute). Handled files move to "
        "its processed/ and failed/ subfolders. Empty: nothing is picked up.",
    )
    file_outbound_path = fields.Char(
        string="Outbound path",
        help="The folder files are uploaded to (written under a hidden temporary name, "
        "then renamed into place). Empty: nothing can be sent.",
    )
    sftp_host = fields.Char(
        string="SFTP host",
        help="Checked like every outbound host: a private or loopback address is refused "
        "unless the developer setting allows loopback.",
    )
    sftp_port = fields.Integer(string="SFTP port", default=22)
    sftp_username = fields.Char(string="SFTP user")
    sftp_host_key = fields.Char(
        string="SFTP host key",
        help="The server's public host key ('ssh-ed25519 AAAA...', as in known_hosts) or "
        "its fingerprint ('SHA256:...'): any other key is refused. Ask the server's "
        "administrator, or use Test connection, which names the key the server offers.",
    )
    sftp_password = fields.Char(string="SFTP password", groups="base.group_system", copy=False)
    sftp_private_key = fields.Text(
        string="SFTP private key",
        groups="base.group_system",
        copy=False,
        help="An unencrypted Ed25519, ECDSA or RSA private key (OpenSSH or PEM format); "
        "used instead of the password when set.",
    )
    file_max_bytes = fields.Integer(
        string="Largest file (bytes)",
        default=50_000_000,
        help="A received file larger than this is refused and moved to failed/.",
    )
    file_min_age_seconds = fields.Integer(
        string="Untouched for (s)",
        default=60,
        help="A file is picked up only once it has not changed for this many seconds "
        "(it may still be being written). Hidden and temporary names (.part, .tmp) are "
        "never picked up: a sender may also upload under such a name and rename it.",
    )
    file_ids = fields.One2many("logistics.file", "endpoint_id", string="Files")
    file_count = fields.Integer(string="File count", compute="_compute_file_count")

    _sql_constraints = [
        ("file_max_bytes_positive", "CHECK(file_max_bytes > 0)", "The largest file must be > 0."),
        ("file_min_age_positive", "CHECK(file_min_age_seconds >= 0)", "The age must be >= 0."),
    ]

    def _compute_file_count(self):
        counts = dict(
            self.env["logistics.file"]._read_group(
                [("endpoint_id", "in", self.ids)], ["endpoint_id"], ["__count"]
            )
        )
        for endpoint in self:
            endpoint.file_count = counts.get(endpoint, 0)

    def write(self, vals):
        if FILE_CONFIG_FIELDS.intersection(vals) and not (
            self.env.su or self.env.user.has_group("base.group_system")
        ):
            # paths are folders of the server, hosts receive the secrets: whoever may
            # change them could read files or credentials they may not see
            raise AccessError(
                self.env._(
                    "Only system administrators can change where an endpoint's files "
                    "are exchanged (%(fields)s).",
                    fields=", ".join(sorted(FILE_CONFIG_FIELDS.intersection(vals))),
                )
            )
        return super().write(vals)

    @api.constrains(
        "file_transport",
        "file_inbound_path",
        "file_outbound_path",
        "sftp_host",
        "sftp_port",
        "sftp_host_key",
    )
    def _check_file_channel(self):
        for endpoint in self:
            if endpoint.file_transport == "folder":
                for path in (endpoint.file_inbound_path, endpoint.file_outbound_path):
                    if path and not path.startswith("/"):
                        raise ValidationError(
                            self.env._(
                                "Endpoint %(name)s: the folder %(path)s must be an absolute path.",
                                name=endpoint.name,
                                path=path,
                            )
                        )
            if endpoint.file_transport == "sftp":
                if not endpoint.sftp_host or not 0 < endpoint.sftp_port < 65536:
                    raise ValidationError(
                        self.env._(
                            "Endpoint %(name)s: SFTP needs a host and a port from 1 to 65535.",
                            name=endpoint.name,
                        )
                    )
                endpoint._sftp_addresses()
            if endpoint.sftp_host_key:
                try:
                    files.parse_pinned_key(endpoint.sftp_host_key)
                except ValueError as exc:
                    raise ValidationError(
                        self.env._("Endpoint %(name)s: %(reason)s", name=endpoint.name, reason=exc)
                    ) from None

    def _sftp_addresses(self):
        """The addresses the SFTP host may be reached at (base's outbound host check:
        public addresses; loopback only with the developer setting)."""
        self.ensure_one()
        host = (self.sftp_host or "").strip()
        if not host or any(c in host for c in "/@?#[] \\"):
            raise ValidationError(
                self.env._(
                    "Endpoint %(name)s: %(host)r is not an SFTP host name.",
                    name=self.name,
                    host=host,
                )
            )
        try:
            return approved_addresses(
                _sftp_url(host, self.sftp_port or 22),
                allow_http_loopback=self._allow_http_loopback(),
            )
        except UnsafeURLError as exc:
            raise ValidationError(
                self.env._(
                    "Endpoint %(name)s: the SFTP host is refused: %(reason)s",
                    name=self.name,
                    reason=str(exc).replace("https://", "sftp://"),
                )
            ) from None

    # ------------------------------------------------------------ transport
    def _file_transport(self):
        """A transport for this endpoint (a context manager: ``with ... as t:``).
        Raises ``PermanentFileError`` when the endpoint exchanges no files."""
        self.ensure_one()
        # sudo: the secrets are read here only, to open the connection; never shown
        endpoint = self.sudo()
        if endpoint.file_transport == "folder":
            return file_transport.FolderTransport()
        if endpoint.file_transport == "sftp":
            try:
                addresses = endpoint._sftp_addresses()
            except ValidationError as exc:
                raise file_transport.PermanentFileError(str(exc)) from None
            return file_transport.SftpTransport(
                addresses[0],
                endpoint.sftp_port,
                endpoint.sftp_username,
                endpoint.sftp_host_key,
                password=endpoint.sftp_password,
                private_key=endpoint.sftp_private_key,
                host=endpoint.sftp_host,
            )
        raise file_transport.PermanentFileError(
            f"endpoint {endpoint.code} exchanges no files (no file transport)"
        )

    def action_file_test_connection(self):
        """Connect (host key, login), list the inbound and outbound paths; a
        notification says what worked or why not."""
        self.ensure_one()
        if not self.env.user.has_group("base.group_system"):
            raise AccessError(self.env._("Only system administrators can test a file channel."))
        try:
            with self._file_transport() as transport:
                what = transport.check([self.file_inbound_path, self.file_outbound_path])
        except file_transport.FileRefused as exc:
            raise UserError(str(exc)) from None
        except (file_transport.TransientFileError, file_transport.PermanentFileError) as exc:
            raise UserError(self.env._("Connection test failed: %(error)s", error=exc)) from None
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Connection works"),
                "message": self.env._(
                    "%(what)s: connected, the inbound and outbound paths can be listed.",
                    what=what,
                ),
                "sticky": False,
            },
        }

    def action_view_files(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "logistics_sync_base.logistics_file_action"
        )
        action["domain"] = [("endpoint_id", "=", self.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------- hooks
    def _file_handle(self, file):
        """Hand a received file on: each addon overrides this for its own
        ``file_format`` and calls ``super()`` otherwise. Returns the record the file
        produced (or None). A bad file: raise ``UserError``/``ValidationError``/
        ``ValueError`` (the file fails with that message, nothing the handler wrote
        is kept), or keep a record of the refusal and call ``file._file_fail(msg)``."""
        self.ensure_one()
        raise UserError(
            self.env._(
                "Endpoint %(name)s has no handler for files of format %(format)s: "
                "file %(file)s is not processed.",
                name=self.name,
                format=self.file_format,
                file=file.name,
            )
        )

    def _file_send(self, filename, data, record=None):
        """Send ``data`` (bytes) as ``filename`` to this endpoint's outbound path.

        Returns the ``logistics.file`` (out, pending); its upload is queued on the
        endpoint's channel (temporary name, then rename; retried the queue_job way).
        ``record``: what the file came from. Bad input (no transport or outbound
        path, a name with a folder or a temporary name, no bytes): ``UserError``,
        nothing stored. Works for any user who caused the file (the record is the
        pipeline's bookkeeping)."""
        self.ensure_one()
        # sudo: the pipeline's bookkeeping, whoever caused the file
        endpoint = self.sudo()
        if endpoint.file_transport == "none" or not endpoint.file_outbound_path:
            raise UserError(
                self.env._(
                    "Endpoint %(name)s cannot send files: set its file transport and outbound "
                    "path.",
                    name=endpoint.name,
                )
            )
        try:
            files.check_name(filename)
        except ValueError as exc:
            raise UserError(self.env._("File not sent: %(reason)s", reason=exc)) from None
        if not isinstance(data, bytes) or not data:
            raise UserError(
                self.env._("File %(name)s not sent: no content (bytes expected).", name=filename)
            )
        file = (
            self.env["logistics.file"]
            .sudo()
            .create(
                {
                    "endpoint_id": endpoint.id,
                    "direction": "out",
                    "name": filename,
                    "state": "pending",
                    "sha256": files.sha256(data),
                    "size": len(data),
                    "remote_path": filename,
                }
            )
        )
        file._file_attach(data)
        file._file_produced(record)
        file._file_queue_upload()
        return file.with_env(self.env)

    # ------------------------------------------------------------- inbound
    @api.model
    def _cron_file_pickup(self):
        """Queue one receive job per complete file waiting in an endpoint's inbound
        path (endpoint by endpoint: one unreachable server never stops the others).
        Returns the number of jobs queued."""
        # sudo: the transports are system settings; the cron reads them, users never do
        endpoints = self.sudo().search(
            [("file_transport", "!=", "none"), ("file_inbound_path", "!=", False)]
        )
        queued = 0

        def pickup(endpoint):
            nonlocal queued
            queued += endpoint._file_pickup()

        endpoints._cron_each("file_pickup", self.env._("Pick up received files"), pickup)
        self.env["ir.cron"]._notify_progress(done=queued, remaining=0)
        return queued

    def _file_pickup(self):
        """Queue a receive job for each complete file of this endpoint's inbox that
        no job is already taking, and no earlier job received already (its move is
        pending). Returns how many were queued."""
        self.ensure_one()
        with self._file_transport() as transport:
            entries = transport.list(self.file_inbound_path)
        names = files.ready_names(entries, self.file_min_age_seconds, time.time())
        if not names:
            return 0
        keys = {name: self._file_job_key(name) for name in names}
        busy = set(
            self.env["queue.job"]
            .sudo()
            .search(
                [
                    ("identity_key", "in", list(keys.values())),
                    ("state", "in", ("wait_dependencies", "pending", "enqueued", "started")),
                ]
            )
            .mapped("identity_key")
        )
        waiting_move = set(
            self.env["logistics.file"]
            .sudo()
            .search(
                [
                    ("endpoint_id", "=", self.id),
                    ("direction", "=", "in"),
                    ("moved", "=", False),
                    ("remote_path", "in", names),
                ]
            )
            .mapped("remote_path")
        )
        queued = 0
        for name in names:
            if keys[name] in busy or name in waiting_move:
                continue
            self.with_delay(
                channel=self.channel_name,
                identity_key=keys[name],
                description=f"Logistics Sync: receive file {name} of {self.code}",
            )._job_file_receive(name)
            queued += 1
        return queued

    def _file_job_key(self, name):
        return f"logistics_sync-file-in-{self.id}-{name}"

    def _file_process(self, file, data):
        """Record ``data`` on ``file`` (a duplicate when the endpoint received the same
        content before), hand it to ``_file_handle``, and queue its move to
        processed/ or failed/. Bad input fails the file, nothing else kept."""
        self.ensure_one()
        # sudo: the pipeline's bookkeeping on its own records
        sudo_file = file.sudo()
        earlier = (
            self.env["logistics.file"]
            .sudo()
            .search(
                [
                    ("endpoint_id", "=", self.id),
                    ("direction", "=", "in"),
                    ("sha256", "=", sudo_file.sha256),
                    ("state", "!=", "duplicate"),
                    ("id", "!=", file.id),
                ],
                order="id",
                limit=1,
            )
        )
        if earlier and sudo_file.state == "received":
            sudo_file.write(
                {
                    "state": "duplicate",
                    "duplicate_of_id": earlier.id,
                    "date_done": fields.Datetime.now(),
                }
            )
        else:
            sudo_file.write({"state": "received", "error": False})
            try:
                with self.env.cr.savepoint():
                    produced = self._file_handle(file)
            except (UserError, ValidationError, ValueError) as exc:
                file._file_fail(str(exc.args[0] if exc.args else exc))
            else:
                file._file_produced(produced)
                if sudo_file.state == "received":
                    sudo_file.write(
                        {"state": "processed", "error": False, "date_done": fields.Datetime.now()}
                    )
        sudo_file.moved = False
        file._file_queue_move()
        return file
