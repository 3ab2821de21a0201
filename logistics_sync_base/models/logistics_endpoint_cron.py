# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""One endpoint never breaks a scheduled task for the others.

A cron that works endpoint by endpoint runs each one through ``_cron_each``: in a
savepoint of its own, so a failure rolls back that endpoint's part only; the error
is kept on the endpoint (``cron_errors``, shown on its form, and a chatter note when
it appears or changes) until the same task succeeds there again.  A concurrency
error (serialization failure, deadlock, lock timeout) is no fault of the endpoint:
it is skipped until the next run, without a note.
"""

import logging

from odoo import api, fields, models

from ..lib.dberrors import transient_db_error

_logger = logging.getLogger(__name__)


class LogisticsEndpoint(models.Model):
    _inherit = "logistics.endpoint"

    cron_errors = fields.Json(
        readonly=True,
        copy=False,
        help="Scheduled tasks that failed for this endpoint at their last run: "
        "{task: {label, error, since}}.",
    )
    cron_error = fields.Text(
        string="Scheduled task errors",
        compute="_compute_cron_error",
        help="Scheduled tasks that failed for this endpoint at their last run (the other "
        "endpoints were processed); cleared when the task works again.",
    )

    @api.depends("cron_errors")
    def _compute_cron_error(self):
        for endpoint in self:
            errors = endpoint.cron_errors or {}
            endpoint.cron_error = (
                "\n".join(
                    self.env._(
                        "%(task)s (failing since %(since)s): %(error)s",
                        task=entry.get("label") or task,
                        since=entry.get("since") or "?",
                        error=entry.get("error") or "",
                    )
                    for task, entry in sorted(errors.items())
                )
                or False
            )

    def _cron_each(self, task, label, func):
        """``func(endpoint)`` for each of these endpoints, each in a savepoint: one
        that raises is rolled back and its error stored on it (``task``: a technical
        key, ``label``: what a user reads); the others go on.  Returns the endpoints
        that worked."""
        done = self.browse()
        for endpoint in self:
            try:
                with self.env.cr.savepoint():
                    func(endpoint)
            except Exception as exc:  # noqa: BLE001 - one endpoint never stops the others
                if not transient_db_error(exc):
                    _logger.warning(
                        "Scheduled task %s failed for endpoint %s: %s",
                        task,
                        endpoint.code,
                        exc.__class__.__name__,
                        exc_info=True,
                    )
                    endpoint._cron_failed(task, label, exc)
                    continue
                # another transaction had its rows (serialization, deadlock, lock
                # timeout; lib/dberrors.py): nothing wrong with the endpoint, the next
                # run does it
                _logger.info(
                    "Scheduled task %s skipped endpoint %s for now: %s",
                    task,
                    endpoint.code,
                    exc.__class__.__name__,
                )
            else:
                done |= endpoint
                if task in (endpoint.cron_errors or {}):
                    endpoint._cron_recovered(task)
        return done

    def _cron_failed(self, task, label, exc):
        self.ensure_one()
        # the first line: a database error's DETAIL (the row) changes at each run
        error = ((str(exc).strip() or exc.__class__.__name__).splitlines()[0])[:1000]
        errors = dict(self.cron_errors or {})
        previous = errors.get(task) or {}
        if previous.get("error") == error:
            return  # said already: the same failure again changes nothing
        errors[task] = {
            "label": label,
            "error": error,
            "since": previous.get("since") or fields.Datetime.to_string(fields.Datetime.now()),
        }
        # sudo: the pipeline's own bookkeeping, whoever runs the task
        endpoint = self.sudo()
        endpoint.cron_errors = errors
        endpoint.message_post(
            body=self.env._(
                "Scheduled task %(task)s failed for this endpoint (the others were "
                "processed): %(error)s",
                task=label,
                error=error,
            )
        )

    def _cron_recovered(self, task):
        self.ensure_one()
        errors = dict(self.cron_errors or {})
        entry = errors.pop(task, None) or {}
        # sudo: the cron's own bookkeeping on the endpoint, whoever runs the cron
        endpoint = self.sudo()
        endpoint.cron_errors = errors or False
        endpoint.message_post(
            body=self.env._(
                "Scheduled task %(task)s works again for this endpoint.",
                task=entry.get("label") or task,
            )
        )
