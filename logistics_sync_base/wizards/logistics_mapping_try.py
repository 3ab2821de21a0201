# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from odoo import fields, models

from ..lib import mapping


class LogisticsMappingTry(models.TransientModel):
    _name = "logistics.mapping.try"
    _description = "Try an endpoint's inbound mapping on a sample payload"

    endpoint_id = fields.Many2one("logistics.endpoint", required=True, ondelete="cascade")
    sample = fields.Text(
        string="Sample payload", help="Paste a webhook body exactly as the sender posts it."
    )
    result = fields.Text(readonly=True)
    ok = fields.Boolean(string="Fits the mapping", readonly=True)

    def action_try(self):
        self.ensure_one()
        self.write(self._outcome())
        return self._action_open()

    def _action_open(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Try the mapping"),
        }

    def _canonical_events(self, data):
        """``(events, errors)`` the webhook would compute for ``data`` (nothing stored)."""
        endpoint = self.endpoint_id
        if endpoint.inbound_format != "mapped":
            return ([data] if isinstance(data, dict) else data), []
        try:
            compiled = endpoint._mapping()
        except ValueError as exc:
            return [], [{"index": 0, "path": "$", "message": str(exc)}]
        events, errors, _originals = mapping.map_body(compiled, data)
        return events, errors

    def _outcome(self):
        try:
            data = json.loads(self.sample or "")
        except ValueError as exc:
            return {"ok": False, "result": self.env._("Not JSON: %(error)s", error=exc)}
        events, errors = self._canonical_events(data)
        if not errors:
            errors = self.env["logistics.event"]._validate_payloads(events)
        rendered = json.dumps(events, indent=2, ensure_ascii=False, default=str)
        if errors:
            lines = [
                f"#{error.get('index', 0)} "
                f"{error.get('path') or error.get('field') or '(payload)'}: {error['message']}"
                for error in errors
            ]
            return {
                "ok": False,
                "result": self.env._("Would be refused (422), nothing stored:")
                + "\n"
                + "\n".join(lines)
                + "\n\n"
                + rendered,
            }
        return {
            "ok": True,
            "result": self.env._(
                "Would be accepted as %(count)s canonical event(s):", count=len(events)
            )
            + "\n"
            + rendered,
        }
