from . import (
    logistics_sync_bench_row,
    logistics_sync_bench_row_pipeline,
    logistics_sync_bench_tms,
    logistics_sync_bench_tpl,
)
