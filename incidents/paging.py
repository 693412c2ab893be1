"""Filter, then paginate: what every list page does, here and in the apps above.

A bad filter value shows no rows rather than quietly ignoring the filter: a list that claims
to be filtered must never show more than was asked for.
"""

from __future__ import annotations

from django.core.paginator import Paginator

PAGE_SIZE = 50


def filtered_page(request, filterset_class, queryset, *, data=None):
    """The filter form and the requested page of what it keeps (`data`: the filter values,
    when not the request's own)."""
    # The request too: a filter on what the user may see (a deployment's incidents) needs it.
    filterset = filterset_class(
        request.GET if data is None else data, queryset=queryset, request=request
    )
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return filterset, page
