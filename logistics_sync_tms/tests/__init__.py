from . import (
    test_access,
    test_answers,
    test_job_failed,
    test_release,
    test_request_document,
    test_sale_order,
    test_sale_release,
)
