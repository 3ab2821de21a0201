from . import rate_shopping
