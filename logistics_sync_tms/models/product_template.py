# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# ADR / IMDG / IATA hazard classes and divisions
HAZARD_CLASSES = [
    ("1", "1 - Explosives"),
    ("2.1", "2.1 - Flammable gases"),
    ("2.2", "2.2 - Non-flammable, non-toxic gases"),
    ("2.3", "2.3 - Toxic gases"),
    ("3", "3 - Flammable liquids"),
    ("4.1", "4.1 - Flammable solids"),
    ("4.2", "4.2 - Substances liable to spontaneous combustion"),
    ("4.3", "4.3 - Substances emitting flammable gases with water"),
    ("5.1", "5.1 - Oxidising substances"),
    ("5.2", "5.2 - Organic peroxides"),
    ("6.1", "6.1 - Toxic substances"),
    ("6.2", "6.2 - Infectious substances"),
    ("7", "7 - Radioactive material"),
    ("8", "8 - Corrosive substances"),
    ("9", "9 - Miscellaneous dangerous goods"),
]
PACKING_GROUPS = [
    ("I", "I - High danger"),
    ("II", "II - Medium danger"),
    ("III", "III - Low danger"),
]
UN_NUMBER = re.compile(r"^[0-9]{4}$")


class ProductTemplate(models.Model):
    _inherit = "product.template"

    logistics_un_number = fields.Char(
        string="UN number",
        size=4,
        help="Dangerous goods: the four digits of the UN list (e.g. 1263 for paint), "
        "without the letters UN. Sent to the TMS on every release line of this "
        "product, with its hazard class and packing group. Empty: not dangerous goods.",
    )
    logistics_hazard_class = fields.Selection(
        HAZARD_CLASSES,
        string="Hazard class",
        help="The class (and division) of the dangerous goods regulations (ADR, IMDG, "
        "IATA). Required with a UN number.",
    )
    logistics_packing_group = fields.Selection(
        PACKING_GROUPS,
        string="Packing group",
        help="The degree of danger (I high, II medium, III low); empty for the goods "
        "that have none (most gases, radioactive material).",
    )

    @api.constrains("logistics_un_number", "logistics_hazard_class", "logistics_packing_group")
    def _check_logistics_dangerous_goods(self):
        for template in self:
            number = template.logistics_un_number
            if number and not UN_NUMBER.match(number):
                raise ValidationError(
                    self.env._(
                        "%(product)s: the UN number is four digits (e.g. 1263), not %(number)s.",
                        product=template.display_name,
                        number=number,
                    )
                )
            if number and not template.logistics_hazard_class:
                raise ValidationError(
                    self.env._(
                        "%(product)s: dangerous goods (UN %(number)s) need their hazard class.",
                        product=template.display_name,
                        number=number,
                    )
                )
            if not number and (template.logistics_hazard_class or template.logistics_packing_group):
                raise ValidationError(
                    self.env._(
                        "%(product)s: a hazard class or packing group needs the UN number.",
                        product=template.display_name,
                    )
                )

    def write(self, vals):
        res = super().write(vals)
        if "weight" in vals or "volume" in vals:
            self.product_variant_ids._tms_release_blocked()
        return res
