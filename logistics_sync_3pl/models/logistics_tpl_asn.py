# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Advance ship notices: a done delivery to a customer flagged *Requires ASN* is
announced to the customer's endpoint (``schemas/asn_v1.json``), once, by a queue
job on that endpoint's channel (base's ``run_job``, circuit and retries)."""

import json

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..adapters import PermanentTplError
from ..lib import sscc
from odoo.addons.logistics_sync_base.jobs import Retry, run_job
from odoo.addons.queue_job.exception import RetryableJobError


def _rfc3339(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


class LogisticsTplAsn(models.Model):
    _name = "logistics.tpl.asn"
    _description = "Logistics Sync advance ship notice"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="ASN", required=True, readonly=True)
    picking_id = fields.Many2one(
        "stock.picking", string="Delivery", required=True, readonly=True, ondelete="cascade"
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    endpoint_id = fields.Many2one(
        "logistics.endpoint", string="Sent to", required=True, readonly=True, ondelete="restrict"
    )
    company_id = fields.Many2one(related="picking_id.company_id", store=True, index=True)
    state = fields.Selection(
        [("queued", "Queued"), ("sent", "Sent"), ("failed", "Failed")],
        default="queued",
        required=True,
        readonly=True,
    )
    payload = fields.Text(string="Notice", readonly=True)
    last_error = fields.Text(string="Last error", readonly=True)
    attempts = fields.Integer(readonly=True)
    sent_at = fields.Datetime(string="Sent", readonly=True)

    _sql_constraints = [("picking_unique", "unique(picking_id)", "A delivery has one ASN.")]

    @api.model
    def _tpl_create_for(self, pickings):
        """One notice per done delivery to a customer requiring one (sudo: whoever
        validates, a 3PL confirmation job or an Inventory / User, announces)."""
        vals_list = []
        for picking in pickings.sudo():
            customer = picking.partner_id.commercial_partner_id
            if (
                picking.picking_type_code != "outgoing"
                or picking.state != "done"
                or not customer.tpl_requires_asn
                or not customer.tpl_asn_endpoint_id
            ):
                continue
            vals_list.append(
                {
                    "name": picking.name,
                    "picking_id": picking.id,
                    "partner_id": customer.id,
                    "endpoint_id": customer.tpl_asn_endpoint_id.id,
                    "payload": json.dumps(self._tpl_notice(picking), sort_keys=True),
                }
            )
        notices = self.sudo().create(vals_list)
        notices._tpl_enqueue()
        return notices

    @api.model
    def _tpl_notice(self, picking):
        # sudo: the release and its packages are pipeline records, read for the
        # notice whoever validated (as in _tpl_create_for)
        packages = picking.sudo().tpl_release_id.package_ids
        boxes = [
            {"sscc": p.sscc, "weight_kg": p.weight or None, "tracking_ref": p.tracking_ref or None}
            for p in packages
        ]
        if not boxes:
            boxes = [
                {
                    "sscc": self._tpl_new_sscc(picking.company_id),
                    "weight_kg": picking.shipping_weight or None,
                    "tracking_ref": picking.carrier_tracking_ref or None,
                }
            ]
        default_sscc = boxes[0]["sscc"]
        lines = []
        for line in picking.move_line_ids.filtered(lambda ml: ml.quantity > 0):
            package = line.result_package_id.name
            lines.append(
                {
                    "sku": line.product_id.default_code or "",
                    "product": line.product_id.display_name,
                    "quantity": line.quantity,
                    "unit": line.product_uom_id.name,
                    "lot": line.lot_id.name or None,
                    "sscc": package if package and sscc.is_valid(package) else default_sscc,
                }
            )
        sale = picking.sale_id if "sale_id" in picking._fields else None
        return {
            "schema_version": 1,
            "asn_id": picking.name,
            "shipped_at": _rfc3339(picking.date_done),
            "ship_to": self._tpl_ship_to(picking.partner_id),
            "references": {
                "order": (sale.name if sale else picking.origin) or None,
                "customer_reference": (sale.client_order_ref if sale else None) or None,
            },
            "carrier": (picking.carrier_id.name if picking.carrier_id else None)
            or (packages[:1].carrier or None),
            "tracking_ref": picking.carrier_tracking_ref or None,
            "lines": lines,
            "packages": boxes,
        }

    @api.model
    def _tpl_ship_to(self, partner):
        """The delivery address of a notice: a partner's name and address, the state
        included (a carrier or customer cannot label a US address without it)."""
        party = self.env["logistics.tpl.release"]._party(partner)
        keys = ("street", "street2", "city", "state", "zip", "country")
        return {"name": party.get("name") or ""} | {k: party[k] for k in keys if party.get(k)}

    @api.model
    def _tpl_new_sscc(self, company):
        prefix = company.tpl_gs1_prefix
        if not prefix:
            raise ValidationError(
                self.env._(
                    "Company %(company)s has no GS1 company prefix: no SSCC for the ASN.",
                    company=company.name,
                )
            )
        # sudo: sequences are for administrators; the SSCC counter is drawn for any
        # user whose validation announces a delivery
        serial = self.env["ir.sequence"].sudo().next_by_code("logistics_sync_3pl.sscc")
        return sscc.build(prefix, int(serial) % 10 ** (16 - len(prefix)))

    def _tpl_enqueue(self):
        for notice in self:
            endpoint = notice.endpoint_id
            notice.with_delay(
                channel=endpoint.channel_name,
                max_retries=endpoint.max_attempts,
                identity_key=f"logistics_sync-3pl-asn-{notice.id}",
                description=f"Logistics Sync: ASN {notice.name} ({endpoint.code})",
            )._job_tpl_asn_send()

    def _job_tpl_asn_send(self):
        self.ensure_one()

        def on_error(exc):
            if not isinstance(exc, RetryableJobError):
                return None

            def record(env):
                notice = env[self._name].browse(self.id)
                notice.write({"attempts": notice.attempts + 1, "last_error": str(exc)[:2000]})
                return Retry(str(exc), exc.seconds, exc.ignore_retry)

            return record

        return run_job(self.env, self._tpl_asn_send, on_error)

    def _tpl_asn_send(self):
        if self.state == "sent":
            return "sent already"
        endpoint = self.endpoint_id
        client = endpoint._tpl_client()
        key = f"{self.env['logistics.tpl.release']._tpl_key_prefix()}-asn-{self.name}"
        try:
            with endpoint._outbound_call(attempt=self.attempts + 1):
                client.send_asn(json.loads(self.payload), key)
        except PermanentTplError as exc:
            self.write({"state": "failed", "last_error": exc.message})
            # sudo: the job's user may not write the transfer; the activity is for
            # the endpoint's responsible
            self.picking_id.sudo().activity_schedule(
                "logistics_sync_base.mail_activity_logistics_exception",
                summary=self.env._("ASN refused: %(ref)s", ref=self.name),
                note=exc.message,
                user_id=endpoint._responsible_users()[:1].id,
            )
            return exc.message
        self.write({"state": "sent", "sent_at": fields.Datetime.now(), "last_error": False})
        self.picking_id.message_post(
            body=self.env._("Advance ship notice sent to %(to)s.", to=endpoint.name)
        )
        return "sent"
