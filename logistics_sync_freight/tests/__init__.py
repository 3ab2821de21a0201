from . import test_access, test_audit, test_event, test_import, test_lib, test_settlement, test_tms
