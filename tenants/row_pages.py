"""One page of rows for a portal list, with what its pager needs (from Django's paginator)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.paginator import Page

Row = TypeVar("Row")


@dataclass(frozen=True)
class RowsPage(Generic[Row]):
    """The rows of one page, its number, how many pages and rows there are in all."""

    rows: list[Row]
    number: int
    num_pages: int
    total: int

    @classmethod
    def of(cls, found: Page[Any], rows: list[Row]) -> RowsPage[Row]:
        """Return the page ``found`` (the paginator's) holding ``rows`` (its objects, mapped)."""
        return cls(
            rows=rows,
            number=found.number,
            num_pages=found.paginator.num_pages,
            total=found.paginator.count,
        )

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages
