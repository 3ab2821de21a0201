# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from . import (
    test_asn,
    test_confirmation,
    test_inbound_asn,
    test_reconcile,
    test_release,
    test_webhook,
)
