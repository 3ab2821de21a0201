from odoo.tools import config

from . import models, wizards
from .adapters import karrio_adapter

# karrio takes about 2 s to import: a server process starts importing it at once,
# in a thread (not in a test run or an install, whose imports stay single-threaded)
if not (config.get("test_enable") or config.get("stop_after_init")):
    karrio_adapter.preload()
