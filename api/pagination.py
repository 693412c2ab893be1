"""Pagination and ordering with a stable order: a page never repeats or skips a row.

Ordering by a non-unique column (two incidents started the same minute) lets the database
return ties in any order, so the same row can appear on two pages. Every ordering therefore
ends with the primary key.
"""

from __future__ import annotations

import re

from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

_UNIQUE_KEYS = {"pk", "-pk", "id", "-id"}


_WHOLE_NUMBER = re.compile(r"[0-9]+")


def _whole_number(raw: str, *, high: int | None = None) -> int | None:
    if not _WHOLE_NUMBER.fullmatch(raw):
        return None
    value = int(raw)
    return value if value >= 1 and (high is None or value <= high) else None


class _Counted:
    """A queryset whose count is already known, for Django's Paginator (which asks the object
    list for `count()` and slices it for the page)."""

    def __init__(self, queryset, count: int):
        self._queryset, self._count = queryset, count
        # What the Paginator reads to warn about an unordered list.
        self.ordered, self.model = queryset.ordered, queryset.model

    def count(self) -> int:
        return self._count

    def __getitem__(self, index):
        return self._queryset[index]


class PageNumberPagination(pagination.PageNumberPagination):
    """`page` and `page_size`, refused (400, naming what is allowed) rather than replaced:
    DRF reads a page size of -1, 0 or `null` as "the default", and a larger one as the maximum,
    so a client never learns it asked for something else."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def check_query_params(self, request) -> None:
        """400 for a page or page size out of range; also called for the unpaginated CSV."""
        errors = {}
        page_size = request.query_params.get(self.page_size_query_param)
        if page_size is not None and _whole_number(page_size, high=self.max_page_size) is None:
            errors[self.page_size_query_param] = [
                f"Must be a whole number from 1 to {self.max_page_size}."
            ]
        page = request.query_params.get(self.page_query_param)
        if page is not None and page not in self.last_page_strings and not _whole_number(page):
            errors[self.page_query_param] = [
                f"Must be a whole number from 1, or `{self.last_page_strings[0]}`."
            ]
        if errors:
            raise ValidationError(errors)

    def get_page_size(self, request):
        page_size = request.query_params.get(self.page_size_query_param)
        return self.page_size if page_size is None else int(page_size)

    def paginate_queryset(self, queryset, request, view=None, *, count: int | None = None):
        """`count`, when the view knows it exactly by a cheaper query than counting
        `queryset`, is used rather than `queryset.count()`."""
        self.check_query_params(request)
        if count is not None:
            queryset = _Counted(queryset, count)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters


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
