# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The jobs of the file channels (logistics_endpoint_file.py), each through
``jobs.run_job``: a transport error is retried the queue_job way (nothing
recorded, the attempt's savepoint rolled back); a file that can never be taken is
recorded failed on a second connection and moved to failed/, so it is never queued
again; an upload that keeps failing ends failed, with a *Send again* button."""

import logging
import posixpath
import uuid

from odoo import fields, models

from ..adapters.file_transport import (
    FileGone,
    FileRefused,
    PermanentFileError,
    TransientFileError,
)
from ..jobs import Fail, Retry, run_job
from ..lib import files
from ..lib.retry import retry_delay

_logger = logging.getLogger(__name__)


class LogisticsEndpoint(models.Model):
    _inherit = "logistics.endpoint"  # pylint: disable=consider-merging-classes-inherited

    def _job_file_receive(self, name):
        """Download ``name`` from the inbound path, record it, hand it on, then queue
        its move (which runs once this job has committed)."""
        self.ensure_one()
        File = self.env["logistics.file"].sudo()  # the pipeline's bookkeeping
        domain = [("endpoint_id", "=", self.id), ("direction", "=", "in")]
        if File.search_count([*domain, ("moved", "=", False), ("remote_path", "=", name)]):
            return f"{name}: received already, its move to processed/ or failed/ is queued"
        got = {}

        def work():
            with self._file_transport() as transport:
                data = transport.download(self.file_inbound_path, name, self.file_max_bytes)
            got["data"] = data
            file = File.create(
                {
                    "endpoint_id": self.id,
                    "direction": "in",
                    "name": name,
                    "state": "received",
                    "sha256": files.sha256(data),
                    "size": len(data),
                    "remote_path": name,
                }
            )
            file._file_attach(data)
            self._file_process(file, data)
            return f"{name}: {file.state}"

        def on_error(exc):
            if isinstance(exc, FileGone):
                return lambda env: f"{name}: gone from the inbound path (taken by another job?)"
            if isinstance(exc, TransientFileError):
                return lambda env: Retry(str(exc), None)
            if isinstance(exc, PermanentFileError) and not isinstance(exc, FileRefused):
                # host key, login, permission: the endpoint's configuration, not the
                # file; it stays in the inbox and the next pick-up lists it again
                return lambda env: Fail(str(exc))
            # the file itself cannot be taken, or its handler broke unexpectedly:
            # recorded failed and moved aside, never queued again
            error = str(exc) if isinstance(exc, FileRefused) else f"{exc.__class__.__name__}: {exc}"
            if not isinstance(exc, FileRefused):
                _logger.warning("File %s of endpoint %s failed", name, self.code, exc_info=True)
            return lambda env: self.with_env(env)._file_record_refused(name, error, got.get("data"))

        return run_job(self.env, work, on_error)

    def _file_record_refused(self, name, error, data=None):
        file = self.env["logistics.file"].create(
            {
                "endpoint_id": self.id,
                "direction": "in",
                "name": name,
                "state": "failed",
                "error": error,
                "sha256": files.sha256(data) if data is not None else False,
                "size": len(data) if data is not None else 0,
                "remote_path": name,
                "date_done": fields.Datetime.now(),
            }
        )
        if data is not None:
            file._file_attach(data)
        file._file_queue_move()
        return f"{name}: failed, {error}"


class LogisticsFile(models.Model):
    _inherit = "logistics.file"

    def _job_move(self):
        """Move a received file on the server to processed/ or failed/ (named
        ``<id>-<name>``); an earlier attempt that moved it already is fine."""
        self.ensure_one()
        if self.direction != "in" or self.moved:
            return f"{self.name}: nothing to move"
        endpoint = self.endpoint_id
        subfolder = "failed" if self.state == "failed" else "processed"
        new_name = f"{self.id}-{self.name}"
        source = self.remote_path or self.name
        if posixpath.join(subfolder, new_name) == source:
            self.sudo().moved = True
            return f"{self.name}: in {subfolder}/ already"

        def work():
            with endpoint._file_transport() as transport:
                where = transport.move(endpoint.file_inbound_path, source, subfolder, new_name)
            # sudo: the pipeline's bookkeeping
            self.sudo().write({"moved": True, "remote_path": where})
            return f"{self.name}: moved to {where}"

        def on_error(exc):
            if isinstance(exc, TransientFileError):
                return lambda env: Retry(str(exc), None)
            if isinstance(exc, FileGone):
                message = self.env._("no longer on the server, not moved: %(error)s", error=exc)
            else:
                message = str(exc)
            return lambda env: self.with_env(env)._file_move_failed(message)

        return run_job(self.env, work, on_error)

    def _file_move_failed(self, message):
        self.write({"moved": True, "error": (self.error + "\n" if self.error else "") + message})
        return f"{self.name}: not moved, {message}"

    def _job_upload(self):
        """Upload an outbound file: a hidden temporary name, then a rename into place.
        A transport error retries (the endpoint's attempts and delays) until the
        endpoint's *Max attempts*, then the file fails."""
        self.ensure_one()
        if self.direction != "out" or self.state != "pending":
            return f"{self.name}: {self.state}, nothing to upload"
        endpoint = self.endpoint_id
        data = self._file_data()

        def work():
            with endpoint._file_transport() as transport:
                transport.upload(
                    endpoint.file_outbound_path,
                    self.name,
                    data,
                    f"{self.id}-{uuid.uuid4().hex[:8]}",
                )
            # sudo: the pipeline's bookkeeping
            self.sudo().write({"state": "sent", "error": False, "date_done": fields.Datetime.now()})
            return f"{self.name}: sent"

        def on_error(exc):
            if not isinstance(exc, TransientFileError | PermanentFileError):
                return None
            transient = isinstance(exc, TransientFileError)
            return lambda env: self.with_env(env)._file_upload_failed(str(exc), transient)

        return run_job(self.env, work, on_error)

    def _file_upload_failed(self, message, transient):
        attempts = self.attempts + 1
        endpoint = self.endpoint_id
        if transient and attempts < endpoint.max_attempts:
            self.write({"attempts": attempts, "error": message})
            # counted here (the endpoint's Max attempts), not by queue_job
            return Retry(message, retry_delay(attempts, base=endpoint.retry_base_seconds), True)
        self.write(
            {
                "attempts": attempts,
                "state": "failed",
                "error": message,
                "date_done": fields.Datetime.now(),
            }
        )
        _logger.info("File %s of endpoint %s not sent: %s", self.name, endpoint.code, message)
        return f"{self.name}: failed, {message}"
