from . import (
    test_access,
    test_dead_letters,
    test_history,
    test_lib,
    test_mapping,
    test_processing,
    test_security,
    test_webhook,
)
