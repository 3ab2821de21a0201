from odoo.tools import config

from . import models, wizards
from .adapters import karrio_adapter

# karrio takes about 2 s to import: a server imports it with the addon, so that the
# prefork workers inherit it (not in a test run or an install, which need it not)
if not (config.get("test_enable") or config.get("stop_after_init")):
    karrio_adapter.preload()
