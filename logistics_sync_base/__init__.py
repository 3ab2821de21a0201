from . import controllers, lib, models, wizards
from .hooks import post_load, pre_init_hook
