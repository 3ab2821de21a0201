# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""``odoo.addons.<addon>`` imports for code that runs without Odoo (standard library only).

The simulators (their own processes) and the Odoo-free tests (``tests/standalone.py``)
import the addons' plain Python modules (``lib/``, ``adapters/``, ``simulator/``), which
import each other as OCA addons do: ``from odoo.addons.logistics_sync_base.lib import
urlsafety`` across addons, relative imports inside one.  ``register`` makes those names
importable in a process where Odoo is not loaded: ``odoo`` and ``odoo.addons`` become
empty packages, ``odoo.addons`` searching the folder holding the addons, and each addon
a package whose ``__init__`` (models, controllers: Odoo imports) never runs.  Odoo
itself is never imported.  In a process where Odoo is loaded, the folder is added to
``odoo.addons`` (Odoo's own import then serves the names).

Callers load this file by its path (it must work before any package is registered)::

    spec = importlib.util.spec_from_file_location("lsync_odoo_free", ".../odoo_free.py")
"""

import importlib.machinery
import importlib.util
import sys
from pathlib import Path

ADDONS = Path(__file__).resolve().parent.parent  # the folder holding the addons


def _bare_package(name, locations):
    """Register package ``name`` searching ``locations``, without an ``__init__``."""
    if name not in sys.modules:
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = [str(path) for path in locations]
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        parent, _dot, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, module)
    return sys.modules[name]


def odoo_loaded():
    """Is the real Odoo imported in this process (not a namespace of addon wheels)?"""
    return hasattr(sys.modules.get("odoo"), "release")


def register(addons_dir=ADDONS):
    """Make ``odoo.addons.<addon>`` importable for every addon in ``addons_dir``."""
    addons_dir = Path(addons_dir).resolve()
    if odoo_loaded():
        import odoo.addons  # noqa: PLC0415 (only here: Odoo is already loaded)

        if str(addons_dir) not in odoo.addons.__path__:
            odoo.addons.__path__.append(str(addons_dir))
        return
    _bare_package("odoo", [])
    # after the addons: the OCA addons installed as wheels (site-packages/odoo/addons)
    wheels = [
        Path(entry, "odoo", "addons")
        for entry in sys.path
        if entry
        and Path(entry, "odoo", "addons").is_dir()
        and not Path(entry, "odoo", "__init__.py").exists()
    ]
    package = _bare_package("odoo.addons", [addons_dir, *wheels])
    if str(addons_dir) not in list(package.__path__):  # registered before, elsewhere
        package.__path__.insert(0, str(addons_dir))
    for manifest in sorted(addons_dir.glob("*/__manifest__.py")):
        _bare_package(f"odoo.addons.{manifest.parent.name}", [manifest.parent])
