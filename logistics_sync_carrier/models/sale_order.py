# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from markupsafe import Markup, escape

from odoo import models
from odoo.exceptions import UserError

from ..lib import rate_shopping


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def action_logistics_shop_rates(self):
        """Ask the carriers of the destination's rate rule for a quote, choose one by
        the rule (a 0 or a failed quote never), set it as the order's delivery."""
        self.ensure_one()
        self.check_access("write")
        partner = self.partner_shipping_id
        rule = self.env["logistics.rate.rule"]._for_partner(partner, self.company_id)
        carriers = rule.carrier_ids or self.env["delivery.carrier"].search(
            [
                ("delivery_type", "=", "logistics_sync"),
                ("company_id", "in", (False, self.company_id.id)),
            ]
        )
        carriers = carriers.filtered(lambda c: c._is_available_for_order(self))
        if not carriers:
            raise UserError(self.env._("No Logistics Sync carrier delivers to this address."))
        quotes = []
        for carrier in carriers:
            result = carrier.rate_shipment(self)
            quotes.append(
                {
                    "carrier": carrier,
                    "success": bool(result.get("success")),
                    "price": float(result.get("price") or 0.0),
                    "transit_days": result.get("transit_days"),
                    "error": result.get("error_message") or "",
                }
            )
        strategy = rule.strategy or "cheapest"
        chosen = rate_shopping.choose(quotes, strategy, preferred=rule.preferred_carrier_id)
        lines = Markup("").join(
            Markup("<li>%s: %s</li>")
            % (
                q["carrier"].name,
                (f"{q['price']:.2f}" if q["success"] else escape(q["error"] or "no quote")),
            )
            for q in quotes
        )
        if not chosen:
            self.message_post(
                body=Markup("%s<ul>%s</ul>")
                % (self.env._("No usable carrier quote (none above 0):"), lines)
            )
            raise UserError(
                self.env._("No carrier gave a usable quote for this order; see the chatter.")
            )
        self.set_delivery_line(chosen["carrier"], chosen["price"])
        self.message_post(
            body=Markup("%s<ul>%s</ul>")
            % (
                self.env._(
                    "Carrier chosen by the %(strategy)s rule: %(carrier)s (%(price).2f).",
                    strategy=strategy,
                    carrier=chosen["carrier"].name,
                    price=chosen["price"],
                ),
                lines,
            )
        )
        return True
