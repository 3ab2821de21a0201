from . import (
    test_access,
    test_dead_letters,
    test_endpoint_secret,
    test_history,
    test_lib,
    test_mapping,
    test_mapping_lib,
    test_presets,
    test_processing,
    test_security,
    test_signature_schemes,
    test_webhook,
)
