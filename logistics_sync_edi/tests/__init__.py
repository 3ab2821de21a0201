from . import test_x12_inbound, test_x12_outbound
