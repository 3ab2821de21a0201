# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""An X12 partner (a carrier sending 214s) set up as an admin does on its EDI tab,
transfers the test files name, and helpers reading what we answered."""

from pathlib import Path

from ..lib import x12, x12ack
from odoo.addons.logistics_sync_base.tests.common import LogisticsCommon

DATA = Path(__file__).resolve().parent / "data"


class EdiCommon(LogisticsCommon):
    @classmethod
    def _setup_edi(cls):
        cls._setup_logistics()
        cls.partner = cls.env["logistics.endpoint"].create(
            {
                "name": "Roadway carrier (X12)",
                "code": "rdwy-x12",
                "kind": "carrier",
                "responsible_user_id": cls.responsible.id,
                "edi_isa_qualifier_partner": "02",
                "edi_isa_id_partner": "RDWY",
                "edi_isa_qualifier_own": "01",
                "edi_isa_id_own": "123456789",
                "edi_gs_code_own": "123456789",
                "edi_gs_code_partner": "RDWY",
                "edi_usage": "T",
                "edi_timezone": "America/New_York",
            }
        )
        cls.partner.action_edi_load_standard_codes()
        cls.pickings = [cls._make_picking(name=f"EDI/OUT/0000{n}") for n in (1, 2, 3)]
        cls.Exchange = cls.env["logistics.edi.exchange"]

    @staticmethod
    def _file(name):
        return (DATA / name).read_bytes()

    def _receive(self, name, endpoint=None):
        return self.Exchange._edi_receive(endpoint or self.partner, self._file(name), name)

    def _events(self, exchange):
        return self.env["logistics.event"].search(
            [
                ("endpoint_id", "=", exchange.endpoint_id.id),
                ("external_id", "=like", f"x12/{exchange.interchange_control}/%"),
            ],
            order="external_id",
        )

    def _segments(self, exchange):
        """The segments (lists) of an exchange's interchange, envelope included."""
        (interchange,) = x12.parse(exchange.attachment_id.raw)
        return interchange, [s.elements for ts in interchange.sets for s in ts.segments]

    def _acks(self, exchange):
        """What the 997 of an exchange says, per group (x12ack.read_997)."""
        interchange, _segments = self._segments(exchange)
        return [group for ts in interchange.sets for group in x12ack.read_997(ts)]

    def _errors(self, exchange):
        return [
            (e.level, e.position, e.segment_id or False, e.element, e.code or False)
            for e in exchange.error_ids
        ]
