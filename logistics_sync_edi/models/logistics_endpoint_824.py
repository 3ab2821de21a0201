# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class LogisticsEndpoint(models.Model):
    _inherit = "logistics.endpoint"  # pylint: disable=consider-merging-classes-inherited

    edi_send_824 = fields.Boolean(
        string="Send 824 application advice",
        help="When a set the partner sent is valid X12 (the 997 accepts it) but cannot be "
        "applied (an unknown shipment, a code missing from its code list, an old order "
        "version...), send the partner an 824 Application Advice rejecting that set, "
        "with our message and the segment at fault: one 824 per interchange received.",
    )
