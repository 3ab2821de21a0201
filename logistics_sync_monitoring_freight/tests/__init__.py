from . import test_monitoring_freight
