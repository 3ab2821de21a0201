# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Every string a user may see is in its addon's translation template (i18n/<addon>.pot),
and the French translation of the monitoring addon is loaded and used."""

import warnings
from pathlib import Path

import polib

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

ADDONS = (
    "logistics_sync_base",
    "logistics_sync_carrier",
    "logistics_sync_tms",
    "logistics_sync_freight",
    "logistics_sync_monitoring",
    "logistics_sync_notify",
    "logistics_sync_notify_sms",
    "logistics_sync_monitoring_tms",
    "logistics_sync_monitoring_freight",
    "logistics_sync_freight_tms",
)


@tagged("post_install", "-at_install")
class TestTranslationTemplates(TransactionCase):
    def test_every_string_of_the_code_is_in_its_pot(self):
        """The check setup/test runs: a new or changed string fails here until
        ``setup/i18n`` regenerates the template."""
        installed = self.env["ir.module.module"].search(
            [("name", "in", ADDONS), ("state", "=", "installed")]
        )
        self.assertTrue(installed)
        for module in installed.mapped("name"):
            pot = Path(get_module_path(module), "i18n", f"{module}.pot")
            self.assertTrue(pot.exists(), f"{module}: no i18n/{module}.pot; run setup/i18n")
            known = {entry.msgid for entry in polib.pofile(str(pot))}
            with warnings.catch_warnings():
                # babel's extractor imports pkg_resources, which warns (a warning in the
                # test log is a failure); not ours to fix
                warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)
                terms = {row[4] for row in TranslationModuleReader(self.env.cr, [module])}
            missing = sorted(terms - known)
            self.assertFalse(
                missing,
                f"{module}: {len(missing)} strings missing from i18n/{module}.pot "
                f"(run setup/i18n {module}), e.g. {missing[:5]}",
            )

    def test_french_overview(self):
        """fr.po is installed with French and translates the overview's labels."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search(
            [("name", "=", "logistics_sync_monitoring")]
        )._update_translations(["fr_FR"])
        fields_fr = (
            self.env["logistics.endpoint"]
            .with_context(lang="fr_FR")
            .fields_get(["mon_dead_count", "mon_trend"], ["string"])
        )
        self.assertEqual(fields_fr["mon_dead_count"]["string"], "Lettres mortes")
        self.assertEqual(fields_fr["mon_trend"]["string"], "Événements reçus (7 jours)")
        action = self.env.ref("logistics_sync_monitoring.logistics_endpoint_overview_action")
        self.assertEqual(action.with_context(lang="fr_FR").name, "Vue d'ensemble de la synchro")
