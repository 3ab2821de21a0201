# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import TransactionCase, tagged

from .common import LogisticsCommon


@tagged("post_install", "-at_install")
class TestSettings(LogisticsCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_logistics()

    def test_settings_form_shows_the_runner_channels(self):
        """The settings form is a new record filled by onchange: the channels line
        must be computed there too, not only on a saved record."""
        spec = {"company_id": {}, "logistics_sync_runner_channels": {}}
        values = self.env["res.config.settings"].onchange({}, [], spec)["value"]
        channels = values["logistics_sync_runner_channels"]
        # only the root's capacity: every endpoint gets a channel of its own from the
        # runner (jobrunner.py), with room for the busiest endpoint and the others
        self.assertEqual(channels, self.env["logistics.endpoint"]._runner_channels())
        self.assertRegex(channels, r"^root:\d+$")
