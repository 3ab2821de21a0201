from . import push_presets, rate_shopping
