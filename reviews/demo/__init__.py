"""The demo organisation: a believable company, generated deterministically with the ORM.

It creates incidents and their reviews, so it lives in reviews, the lowest app that may
import both; it needs no dev tool (no factories, nothing from tests).

The data is built to tell stories a reviewer can act on:
- checkout-api surprised people a lot a year ago; follow-ups landed and it calms down;
- search-indexer gets worse in the last two quarters (more incidents, more difficulties);
- four systems have no owner, and incidents touching them come with ownership gaps;
- near-miss reporting grows over time as the culture improves;
- storefront-web deploys five times as often each half-year: its incidents rise, its failure
  rate per change falls (deployments as the exposure); legacy-cron records no deployment.

Public: `generate(seed=SEED)` fills an empty database, `settle_record_times()` gives the
auto-set timestamps values from the story, and `ANCHOR`, the date the data ends at (which
`load_demo` moves to today). The commands `generate_demo` (writes fixtures/demo.json) and
`load_demo` (loads it) are in reviews/management/commands/.

Modules: `data` (the cast and the words), `record` (incidents, signals, near misses),
`review` (reviews, participants, timeline, follow-ups), `changes` (deployments and the
causes of incidents), `generator` (the order of it all).
"""

from reviews.demo.data import ANCHOR, SEED
from reviews.demo.generator import generate, settle_record_times

__all__ = ["ANCHOR", "SEED", "generate", "settle_record_times"]
