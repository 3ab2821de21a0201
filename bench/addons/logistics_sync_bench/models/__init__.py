from . import logistics_sync_bench_row, logistics_sync_bench_tms
