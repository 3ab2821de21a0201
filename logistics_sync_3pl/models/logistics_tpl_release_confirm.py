# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A 3PL's confirmation (shipping or receipt) applied to its document's transfer.

Every check runs before the first write (``lib.confirmation.plan``, the lots,
the document's state): a confirmation is applied whole or refused whole, as a
dead letter with its reason (``PermanentEventError``).  Applied, the transfer
is validated with exactly the confirmed quantities, lots and packages: what was
not confirmed becomes a backorder (a document of its own), or is cancelled when
the 3PL says ``cancel_remaining``.  Damaged quantities of a receipt are
received, then scrapped to the endpoint's damage location.

A confirmation for a confirmed document with other content is a correction (a
full replacement): when it only adds quantities and the transfer's backorder is
still open, the difference is taken from the backorder; otherwise it is an
exception for a user (dead letter and activity), never a second validation.
"""

import json
from collections import defaultdict

from markupsafe import Markup

from odoo import fields, models

from ..lib import confirmation, documents
from odoo.addons.logistics_sync_base.lib.canonical import parse_rfc3339
from odoo.addons.logistics_sync_base.lib.errors import PermanentEventError


def content_of(data):
    """The part of a confirmation that is applied (what a correction compares)."""
    return {
        "lines": [
            {
                key: row.get(key)
                for key in ("sku", "line_id", "quantity", "damaged_quantity", "lot", "package")
                if row.get(key) not in (None, 0) or key in ("sku", "quantity")
            }
            | ({"expiry_date": row["expiry_date"]} if row.get("expiry_date") else {})
            for row in data["lines"]
        ],
        "packages": data.get("packages") or [],
        "cancel_remaining": bool(data.get("cancel_remaining")),
    }


def _totals(lines):
    totals = defaultdict(lambda: [0.0, 0.0])
    for row in lines:
        key = (row["sku"], row.get("lot") or None, row.get("package") or None)
        totals[key][0] += row["quantity"]
        totals[key][1] += row.get("damaged_quantity") or 0.0
    return totals


class LogisticsTplRelease(models.Model):
    _inherit = "logistics.tpl.release"  # pylint: disable=consider-merging-classes-inherited

    def _tpl_confirm(self, event, data, now):
        """Apply ``event`` (its typed payload ``data``); returns ``"applied"``,
        ``"superseded"`` (the same confirmation again) or ``"exception"``."""
        self.ensure_one()
        picking = self.picking_id
        if self.state == "cancelled" or picking.state == "cancel":
            raise PermanentEventError(
                self.env._("Document %(ref)s is cancelled: nothing applied.", ref=self.name)
            )
        if not self.sent_version and self.pending_op != "send":
            # (a request in flight may have been stored by the 3PL before its answer
            # reached Odoo: the 3PL confirming it is the proof)
            raise PermanentEventError(
                self.env._("Document %(ref)s was never sent to the 3PL.", ref=self.name)
            )
        version = data.get("document_version")
        if version and version < self.sent_version:
            raise PermanentEventError(
                self.env._(
                    "Confirmation of %(ref)s against version %(v)s, but version %(sent)s was "
                    "sent since: nothing applied.",
                    ref=self.name,
                    v=version,
                    sent=self.sent_version,
                )
            )
        content = content_of(data)
        digest = documents.fingerprint(content)
        if self.state == "confirmed" or picking.state == "done":
            if digest == self.confirmation_hash:
                return "superseded"
            return self._tpl_correction(event, content, digest, now)
        when = parse_rfc3339(data.get("shipped_at") or data.get("received_at"))
        self._tpl_apply(content, when.replace(tzinfo=None) if when else now)
        self._tpl_confirmed(event, content, digest, now)
        return "applied"

    def _tpl_confirmed(self, event, content, digest, now):
        self.write(
            {
                "state": "confirmed",
                "confirmation_event_id": event.id,
                "confirmation_payload": json.dumps(content, sort_keys=True),
                "confirmation_hash": digest,
                "confirmed_at": now,
                "exception": False,
                "exception_reason": False,
            }
        )

    # ------------------------------------------------------------ applying
    def _tpl_apply(self, content, when):
        """Validate the transfer with exactly ``content``'s quantities (all checks first)."""
        picking = self.picking_id
        moves = picking.move_ids.filtered(lambda m: m.state not in ("done", "cancel")).sorted("id")
        lines = [
            {
                "line_id": move.id,
                "sku": move.product_id.default_code or "",
                "quantity": move.product_uom_qty,
                "tracking": move.product_id.tracking or "none",
            }
            for move in moves
        ]
        try:
            allocations = confirmation.plan(lines, content["lines"], content["packages"])
        except confirmation.ConfirmationError as exc:
            raise PermanentEventError(
                self.env._(
                    "Confirmation of %(ref)s refused, nothing applied: %(reasons)s",
                    ref=self.name,
                    reasons=str(exc),
                )
            ) from None
        incoming = picking.picking_type_code == "incoming"
        by_id = {move.id: move for move in moves}
        lots = self._tpl_lots(allocations, by_id, create=False)
        missing = sorted({(a["line_id"], a["lot"]) for a in allocations if a["lot"]} - set(lots))
        if missing and not incoming and self.endpoint_id.tpl_unknown_lots == "refuse":
            raise PermanentEventError(
                self.env._(
                    "Confirmation of %(ref)s refused, nothing applied: lots or serial numbers "
                    "Odoo does not know: %(lots)s",
                    ref=self.name,
                    lots=", ".join(
                        f"{by_id[line_id].product_id.default_code} {lot}"
                        for line_id, lot in missing
                    ),
                )
            )
        if not content["cancel_remaining"] and not any(
            a["quantity"] + a["damaged"] > 0 for a in allocations
        ):
            raise PermanentEventError(
                self.env._(
                    "Confirmation of %(ref)s confirms nothing: send cancel_remaining true to "
                    "cancel the document.",
                    ref=self.name,
                )
            )
        # every check passed: from here on, writes only
        lots = self._tpl_lots(allocations, by_id, create=True)
        packages = self._tpl_packages(content["packages"], incoming)
        moves.move_line_ids.unlink()
        vals_list = []
        for alloc in allocations:
            move = by_id[alloc["line_id"]]
            quantity = alloc["quantity"] + alloc["damaged"]
            if quantity <= 0:
                continue
            vals_list.append(
                {
                    "move_id": move.id,
                    "picking_id": picking.id,
                    "product_id": move.product_id.id,
                    "product_uom_id": move.product_uom.id,
                    "location_id": move.location_id.id,
                    "location_dest_id": move.location_dest_id.id,
                    "quantity": quantity,
                    "lot_id": lots.get((move.id, alloc["lot"])) if alloc["lot"] else False,
                    "result_package_id": packages.get(alloc["package"], False),
                    "picked": True,
                }
            )
        self.env["stock.move.line"].create(vals_list)
        moves.picked = True
        picking.with_context(
            cancel_backorder=content["cancel_remaining"], tpl_no_touch=True
        )._action_done()
        done_moves = moves.filtered(lambda m: m.state == "done")
        done_moves.write({"date": when})
        done_moves.move_line_ids.write({"date": when})
        picking.with_context(tpl_no_touch=True).write({"date_done": when})
        self._tpl_scrap_damaged(allocations, by_id, lots)
        self._tpl_note(content, allocations, backorder=picking.backorder_ids - self.picking_id)

    def _tpl_lots(self, allocations, by_id, create):
        """(move id, lot name) -> lot id; ``create``: the missing ones are created."""
        wanted = {(a["line_id"], a["lot"]): a.get("expiry_date") for a in allocations if a["lot"]}
        if not wanted:
            return {}
        Lot = self.env["stock.lot"]
        products = {by_id[line_id].product_id.id for line_id, _lot in wanted}
        found = {
            (lot.product_id.id, lot.name): lot
            for lot in Lot.search(
                [
                    ("product_id", "in", list(products)),
                    ("name", "in", [lot for _line_id, lot in wanted]),
                    ("company_id", "in", (self.company_id.id, False)),
                ]
            )
        }
        # expiry dates a supplier's notice announced for the lots it did not give
        announced = {
            (line.product_id.id, line.lot_name): line.expiry_date
            for line in self.picking_id.sudo().tpl_inbound_asn_line_ids
            if line.lot_name and line.expiry_date
        }
        result = {}
        for (line_id, name), given in wanted.items():
            product = by_id[line_id].product_id
            expiry = given or announced.get((product.id, name))
            lot = found.get((product.id, name))
            if not lot and create:
                values = {"name": name, "product_id": product.id, "company_id": self.company_id.id}
                if expiry and "expiration_date" in Lot._fields:
                    values["expiration_date"] = fields.Datetime.to_datetime(expiry)
                lot = found[(product.id, name)] = Lot.create(values)
            if lot:
                result[(line_id, name)] = lot.id
        return result

    def _tpl_packages(self, packages, incoming):
        """The 3PL's packages: recorded on the document; outgoing ones become
        Odoo packages (named by their SSCC) the shipped goods are put in."""
        result = {}
        Package = self.env["stock.quant.package"]
        for package in packages:
            values = {"release_id": self.id, "sscc": package["sscc"]}
            values.update(
                weight=package.get("weight_kg") or 0.0,
                tracking_ref=package.get("tracking_ref") or False,
                carrier=package.get("carrier") or False,
            )
            if not incoming:
                quant_package = Package.create(
                    {"name": package["sscc"], "shipping_weight": values["weight"]}
                )
                values["package_id"] = quant_package.id
                result[package["sscc"]] = quant_package.id
            self.env["logistics.tpl.package"].create(values)
        tracking = [p["tracking_ref"] for p in packages if p.get("tracking_ref")]
        if tracking:
            self.picking_id.with_context(tpl_no_touch=True).write(
                {"carrier_tracking_ref": ", ".join(dict.fromkeys(tracking))[:500]}
            )
        return result

    def _tpl_scrap_damaged(self, allocations, by_id, lots):
        damaged = [a for a in allocations if a["damaged"] > 0]
        if not damaged:
            return
        target = self.endpoint_id._tpl_damage_location()
        Scrap = self.env["stock.scrap"]
        for alloc in damaged:
            move = by_id[alloc["line_id"]]
            scrap = Scrap.create(
                {
                    "product_id": move.product_id.id,
                    "product_uom_id": move.product_uom.id,
                    "scrap_qty": alloc["damaged"],
                    "location_id": move.location_dest_id.id,
                    "scrap_location_id": target.id,
                    "lot_id": lots.get((move.id, alloc["lot"])) if alloc["lot"] else False,
                    "picking_id": self.picking_id.id,
                    "company_id": self.company_id.id,
                    "origin": self.name,
                }
            )
            scrap.do_scrap()

    def _tpl_note(self, content, allocations, correction=False, backorder=None):
        done = sum(a["quantity"] for a in allocations)
        damaged = sum(a["damaged"] for a in allocations)
        if backorder:
            rest = self.env._(
                "the rest stays open as backorder %(names)s",
                names=", ".join(backorder.mapped("name")),
            )
        elif content["cancel_remaining"]:
            rest = self.env._("the rest cancelled")
        else:
            rest = self.env._("nothing left open")
        note = self.env._(
            "%(what)s of %(ref)s applied: %(done)s units confirmed%(damaged)s, %(rest)s.",
            what=self.env._("Correction") if correction else self.env._("3PL confirmation"),
            ref=self.name,
            done=f"{done:g}",
            damaged=self.env._(", %(n)s damaged", n=f"{damaged:g}") if damaged else "",
            rest=rest,
        )
        self.picking_id.message_post(
            body=Markup("%s") % note, author_id=self.env.ref("base.partner_root").id
        )

    # ------------------------------------------------------------ corrections
    def _tpl_correction(self, event, content, digest, now):
        """A different confirmation for a confirmed document (a full replacement)."""
        old = json.loads(self.confirmation_payload or '{"lines": []}')
        before, after = _totals(old["lines"]), _totals(content["lines"])
        delta, reasons = [], []
        for key in sorted(set(before) | set(after), key=lambda k: tuple(str(p) for p in k)):
            (q0, d0), (q1, d1) = before.get(key, (0.0, 0.0)), after.get(key, (0.0, 0.0))
            if q1 < q0 or d1 < d0:
                reasons.append(
                    self.env._(
                        "%(sku)s%(lot)s: %(old)s confirmed before, %(new)s now",
                        sku=key[0],
                        lot=f" {key[1]}" if key[1] else "",
                        old=f"{q0 + d0:g}",
                        new=f"{q1 + d1:g}",
                    )
                )
            elif q1 > q0 or d1 > d0:
                row = {"sku": key[0], "quantity": q1 - q0, "damaged_quantity": d1 - d0}
                row["lot"] = key[1]  # taken from the backorder, in no package
                delta.append(row)
        backorder = self.picking_id.backorder_ids.filtered(
            lambda p: p.state not in ("done", "cancel")
        )[:1]
        target = backorder.sudo().tpl_release_id
        if not reasons and (not backorder or not target):
            reasons.append(self.env._("the transfer has no open backorder to take more from"))
        if not reasons and {p["sscc"] for p in content["packages"]} - {
            p["sscc"] for p in old.get("packages", [])
        }:
            reasons.append(self.env._("new packages after the shipment was confirmed"))
        if not reasons:
            delta_content = {
                "lines": delta,
                "packages": [],
                "cancel_remaining": content["cancel_remaining"],
            }
            try:
                with self.env.cr.savepoint():
                    target._tpl_apply(delta_content, now)
            except PermanentEventError as exc:
                reasons.append(str(exc))
            else:
                target._tpl_confirmed(
                    event, delta_content, documents.fingerprint(delta_content), now
                )
                self.write({"confirmation_payload": json.dumps(content, sort_keys=True)})
                self.write({"confirmation_hash": digest})
                self.picking_id.message_post(
                    body=self.env._(
                        "Correction of %(ref)s applied as a difference on backorder %(bo)s.",
                        ref=self.name,
                        bo=backorder.name,
                    )
                )
                return "applied"
        reason = self.env._(
            "Correction of %(ref)s not applied (the document was confirmed already; nothing "
            "is validated twice): %(reasons)s",
            ref=self.name,
            reasons="; ".join(reasons),
        )
        self.write({"exception": True, "exception_reason": reason[:250]})
        self.picking_id.message_post(body=reason)
        self._tpl_alert(self.env._("3PL correction to review: %(ref)s", ref=self.name), reason)
        event._set_processing(
            {
                "state": "dead",
                "last_error": reason,
                "error_class": "odoo.addons.logistics_sync_3pl.correction",
                "picking_id": self.picking_id.id,
                "processed_at": now,
                "attempts": event.attempts + 1,
            }
        )
        return "exception"
