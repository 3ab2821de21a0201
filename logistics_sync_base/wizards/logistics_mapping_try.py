# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from odoo import fields, models

from ..lib import canonical


class LogisticsMappingTry(models.TransientModel):
    _name = "logistics.mapping.try"
    _description = "Try an endpoint's inbound mapping on a sample payload"

    endpoint_id = fields.Many2one("logistics.endpoint", required=True, ondelete="cascade")
    sample = fields.Text(
        string="Sample payload", help="Paste a webhook body exactly as the sender posts it."
    )
    result = fields.Text(readonly=True)
    ok = fields.Boolean(readonly=True)

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

    def _outcome(self):
        try:
            data = json.loads(self.sample or "")
        except ValueError as exc:
            return {"ok": False, "result": self.env._("Not JSON: %(error)s", error=exc)}
        events, errors = self.endpoint_id._to_canonical(data)
        if not errors:
            errors = canonical.validate_events(events)
        if errors:
            lines = [
                f"#{error.get('index', 0)} {error.get('field') or '(payload)'}: {error['message']}"
                for error in errors
            ]
            return {
                "ok": False,
                "result": self.env._("Would be refused (422):")
                + "\n"
                + "\n".join(lines)
                + "\n\n"
                + json.dumps(events, indent=2, ensure_ascii=False, default=str),
            }
        return {
            "ok": True,
            "result": self.env._("Would be accepted as:")
            + "\n"
            + json.dumps(events, indent=2, ensure_ascii=False),
        }
