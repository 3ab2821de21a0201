from . import test_access, test_sale_order
