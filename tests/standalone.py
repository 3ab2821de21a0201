# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Import the addons' plain Python modules in tests that run without Odoo.

``import logistics_sync_base`` would run the addon's ``__init__`` (models,
controllers: Odoo imports).  Each addon folder is registered instead as a bare
package ``lsync_addons.<addon>`` whose ``__init__`` never runs, so modules such
as ``lsync_addons.logistics_sync_carrier.adapters.rest`` import with their
relative imports, the cross-addon ones included, as under ``odoo.addons``.
The simulators' entry scripts do the same.
"""

import importlib
import importlib.machinery
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROOT_PACKAGE = "lsync_addons"


def _bare_package(name, path):
    if name not in sys.modules:
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = [str(path)]
        sys.modules[name] = importlib.util.module_from_spec(spec)
    return sys.modules[name]


def addon_module(dotted):
    """``addon_module("logistics_sync_base.lib.urlsafety")``: the module, Odoo-free."""
    _bare_package(ROOT_PACKAGE, ROOT)
    for manifest in ROOT.glob("logistics_sync_*/__manifest__.py"):
        _bare_package(f"{ROOT_PACKAGE}.{manifest.parent.name}", manifest.parent)
    return importlib.import_module(f"{ROOT_PACKAGE}.{dotted}")
