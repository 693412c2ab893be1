"""Links from a dashboard number to the list of the records it counts.

The parameter names and meanings are the filter contract of incidents/filters.py (and the
follow-up list's), so the list counts exactly what the dashboard counted.
"""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

from dashboards.periods import DashboardFilters, Period


def list_url(
    view_name: str,
    *,
    period: Period | None,
    filters: DashboardFilters | None,
    **params: object,
) -> str | None:
    """`view_name`'s URL with start/end, team/system/severity and `params` as the query.

    A param given as "" or None removes that parameter. None when the page does not exist.
    """
    base = _path(view_name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    if base is None:
        return None
    query: dict[str, str] = {}
    if period is not None:
        query.update(period.query_params())
    if filters is not None:
        query.update(filters.query_params())
    for name, value in params.items():
        if value in ("", None):
            query.pop(name, None)
        else:
            query[name] = str(value)
    return f"{base}?{urlencode(query)}" if query else base


@functools.lru_cache(maxsize=64)
def _path(view_name: str, urlconf: str | None, prefix: str) -> str | None:
    """reverse() once per list page: a systems table asks for the same few paths 300 times."""
    try:
        return reverse(view_name, urlconf=urlconf)
    except NoReverseMatch:
        return None
