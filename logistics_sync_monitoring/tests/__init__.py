from . import (
    test_alerts,
    test_completeness,
    test_dashboard,
    test_i18n,
    test_kpi,
    test_metrics,
    test_overview,
    test_role_tours,
    test_tour,
    test_watched,
)
