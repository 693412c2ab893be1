"""The benchmarks' shared parts: the data generator, the raw-SQL baselines, timing helpers.

The management commands bench_dashboard (dashboards) and bench_api (api) are thin: they
parse options, call these and print the report.

Public:
- `generate(size, seed)` replaces the benchmark data with `size` incidents (and as many near
  misses); `refuse_foreign_data()` raises CommandError when the database holds anything
  else; `ADMIN` is the superuser the pages are requested as, `PREFIX` starts every name the
  generator writes (module `generator`, with the rows of a batch in `rows`); `settle()`
  vacuums and analyzes, as a running database's autovacuum would;
- `RawSql(period)`: the dashboards' aggregates written by hand (module `raw_sql`);
- `count_queries`, `timed`, `p95` (module `timing`).
"""

from dashboards.benchmarks.generator import ADMIN, generate, refuse_foreign_data, settle
from dashboards.benchmarks.raw_sql import RawSql
from dashboards.benchmarks.rows import PREFIX
from dashboards.benchmarks.timing import count_queries, p95, timed

__all__ = [
    "ADMIN",
    "PREFIX",
    "RawSql",
    "count_queries",
    "generate",
    "p95",
    "refuse_foreign_data",
    "settle",
    "timed",
]
