"""Pagination and ordering with a stable order: a page never repeats or skips a row.

Ordering by a non-unique column (two incidents started the same minute) lets the database
return ties in any order, so the same row can appear on two pages. Every ordering therefore
ends with the primary key.
"""

from __future__ import annotations

from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

_UNIQUE_KEYS = {"pk", "-pk", "id", "-id"}


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class StableOrderingFilter(OrderingFilter):
    """`?ordering=-started_at,title`; unknown fields are refused (400), not silently ignored."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        allowed = [
            name for name, _label in self.get_valid_fields(queryset, view, {"request": request})
        ]
        unknown = [term for term in fields if term.lstrip("-") not in allowed]
        if unknown:
            raise ValidationError(
                {
                    self.ordering_param: [
                        f"Cannot order by {', '.join(unknown)}; choose from {', '.join(allowed)} "
                        "(prefix with - for descending)."
                    ]
                }
            )
        return fields

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or queryset.query.order_by)
        if not ordering:
            ordering = list(queryset.model._meta.ordering)
        if not _UNIQUE_KEYS & set(ordering):
            descending = bool(ordering) and str(ordering[0]).startswith("-")
            ordering.append("-pk" if descending else "pk")
        return ordering
