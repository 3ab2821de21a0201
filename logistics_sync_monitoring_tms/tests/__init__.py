from . import test_monitoring_tms
