"""Cursor pagination for the API's lists: stable under inserts, ordered by a choice of fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Model, QuerySet
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from tenants import errors
from tenants.errors import ApiError

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
NEWEST_FIRST = ("-created_at", "created_at")
PAGING = [
    OpenApiParameter("cursor", str, description="Opaque cursor from `next` or `previous`."),
    OpenApiParameter("page_size", int, description="Rows per page, 1 to 200 (default 50)."),
]


def ordering_parameter(choices: tuple[str, ...]) -> OpenApiParameter:
    """Document the ``ordering`` query parameter of a list."""
    return OpenApiParameter(
        "ordering", str, enum=list(choices), description=f"Sort order (default {choices[0]})."
    )


class OrderedCursorPagination(CursorPagination):
    """Pages of ``page_size`` rows (≤ 200), ordered by one of ``choices`` (``-`` = newest first).

    A cursor is opaque and carries the position and the ordering it was made with.
    """

    page_size = PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE
    page_size_query_param = "page_size"

    def __init__(self, *, choices: Sequence[str], default: str) -> None:
        self.choices = tuple(choices)
        self.ordering = default

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> tuple[str, ...]:
        value = request.query_params.get("ordering", self.ordering)
        if value not in self.choices:
            raise ApiError(
                errors.INVALID_REQUEST,
                "Some fields are missing or invalid.",
                fields={"ordering": [f"One of: {', '.join(self.choices)}."]},
            )
        return (value,)

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ApiError(
                errors.INVALID_REQUEST,
                "Some fields are missing or invalid.",
                fields={"page_size": [f"An integer from 1 to {self.max_page_size}."]},
            )
        return int(raw)

    def decode_cursor(self, request: Request) -> Cursor | None:
        """Decode the cursor; a malformed or forged one is a 400, never a query on bad input."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = None
            valid = False
        else:
            valid = cursor is None or cursor.position is None or _is_datetime(str(cursor.position))
        if not valid:
            raise ApiError(
                errors.INVALID_REQUEST,
                "Some fields are missing or invalid.",
                fields={"cursor": ["Not a cursor this list gave out."]},
            )
        return cursor

    def page_rows(self, queryset: QuerySet[Any], request: Request) -> list[Model]:
        """Return this request's page of ``queryset`` (run it inside the agency's transaction)."""
        return list(self.paginate_queryset(queryset, request) or [])

    def response(self, results: Any) -> Response:
        return self.get_paginated_response(results)


def _is_datetime(value: str) -> bool:
    """Every ordering of these lists is by a timestamp, so a cursor's position must be one."""
    try:
        return parse_datetime(value) is not None
    except ValueError:
        return False


def page_serializer(name: str, item: serializers.Serializer[Any]) -> serializers.Serializer[Any]:
    """Return the documented shape of one page of ``item`` (a ``many=True`` serializer)."""
    return inline_serializer(
        name=name,
        fields={
            "next": serializers.URLField(allow_null=True, help_text="The next page, or null."),
            "previous": serializers.URLField(allow_null=True, help_text="The previous page."),
            "results": item,
        },
    )
