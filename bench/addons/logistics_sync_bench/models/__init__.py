from . import logistics_sync_bench_row
