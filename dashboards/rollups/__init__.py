"""Monthly rollups of the dashboards' counts (see dashboards/models.py and docs/rollups.md).

`incidents.derived.live_only()` turns them off."""
