from . import (
    test_access,
    test_accrual,
    test_audit,
    test_credit,
    test_event,
    test_guard,
    test_import,
    test_lib,
    test_migration,
    test_settlement,
    test_settlement_books,
)
