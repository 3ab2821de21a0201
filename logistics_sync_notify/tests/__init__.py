from . import test_delay, test_digest, test_notify, test_optout, test_portal, test_templates
