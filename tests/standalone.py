# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Import the addons' plain Python modules in tests that run without Odoo.

``import logistics_sync_base`` would run the addon's ``__init__`` (models,
controllers: Odoo imports).  ``logistics_sync_base/odoo_free.py`` registers
``odoo.addons.<addon>`` instead, packages whose ``__init__`` never runs, so modules
such as ``odoo.addons.logistics_sync_carrier.adapters.rest`` import under the names
Odoo gives them, with their ``odoo.addons.`` imports across addons and their relative
ones inside an addon.  The simulators' entry scripts do the same.
"""

import importlib
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _odoo_free():
    spec = importlib.util.spec_from_file_location(
        "lsync_odoo_free", ROOT / "logistics_sync_base" / "odoo_free.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def addon_module(dotted):
    """``addon_module("logistics_sync_base.lib.urlsafety")``: the module, Odoo-free."""
    _odoo_free().register(ROOT)
    return importlib.import_module(f"odoo.addons.{dotted}")


def docs_script(name):
    """``docs_script("edi_examples")``: the script ``docs/<name>.py`` as a module."""
    spec = importlib.util.spec_from_file_location(
        f"lsync_docs_{name}", ROOT / "docs" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
