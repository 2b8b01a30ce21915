"""The filters above the portal's lists, as the API's list selectors take them.

The filtering itself is ``matching.list_selectors``'s (the API's lists); these forms only read
the query string in the reader's language and hand over a ``ListFilters``. The choices are the
API's: the search states, the policy's purposes, the kinds of follow-up.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from matching.list_selectors import ListFilters
from matching.models import FollowUpKind, SearchStatus
from policy.vocabulary import PURPOSES_PERMITTED, PURPOSES_PROHIBITED
from portal.admin_forms import described
from portal.labels import FOLLOW_UP_KIND_LABELS, PURPOSE_LABELS, STATUS_LABELS

ANY = ("", pgettext_lazy("a list filter", "Any"))


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class ListFilterForm(forms.Form):
    """A case number and a date range; subclasses add the list's own fields."""

    case_number = forms.CharField(label=_("Case number"), required=False, max_length=100)
    created_from = forms.DateField(label=_("From"), required=False, widget=_date_input())
    created_to = forms.DateField(label=_("To (included)"), required=False, widget=_date_input())
    passed_on: tuple[str, ...] = ("case_number",)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("created_from"), cleaned.get("created_to")
        if start and end and end < start:
            self.add_error("created_to", _("The end of the range is before its start."))
        return cleaned

    def list_filters(self) -> ListFilters:
        """Return the valid filters as the list selectors take them (empty ones left out)."""
        data = self.cleaned_data
        found: dict[str, Any] = {
            name: data[name].strip() if isinstance(data[name], str) else data[name]
            for name in self.passed_on
            if data.get(name) not in (None, "")
        }
        if data.get("created_from"):
            found["created_after"] = _day_start(data["created_from"])
        if data.get("created_to"):
            found["created_before"] = _day_start(data["created_to"] + timedelta(days=1))
        filters: ListFilters = ListFilters(**found)  # type: ignore[typeddict-item]
        return filters

    def is_filtered(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in self.fields)

    def query(self) -> str:
        """Return the filters as a query string, for the pager's links."""
        if not self.is_bound:
            return ""
        return urlencode([(n, self.data[n]) for n in self.fields if self.data.get(n)])

    def errors_described(self) -> None:
        described(self)


class SearchFilterForm(ListFilterForm):
    """My searches: state, purpose, case and dates."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[ANY, *((s, STATUS_LABELS[s]) for s in SearchStatus.values)],
    )
    purpose = forms.ChoiceField(
        label=_("Purpose"),
        required=False,
        choices=[ANY, *((p, PURPOSE_LABELS[p]) for p in PURPOSES_PERMITTED + PURPOSES_PROHIBITED)],
    )
    field_order = ["status", "purpose", "case_number", "created_from", "created_to"]
    passed_on: tuple[str, ...] = ("status", "purpose", "case_number")


class AgencySearchFilterForm(SearchFilterForm):
    """The agency's searches: also who requested them."""

    requested_by = forms.RegexField(
        label=_("Requested by (username)"),
        required=False,
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        error_messages={"invalid": _("Letters, digits and @ . + - _ only.")},
    )
    field_order = [
        "status",
        "purpose",
        "case_number",
        "requested_by",
        "created_from",
        "created_to",
    ]
    passed_on: tuple[str, ...] = ("status", "purpose", "case_number", "requested_by")


FOLLOW_UP_STATES = [
    ("open", pgettext_lazy("follow-ups", "Open")),
    ("completed", pgettext_lazy("follow-ups", "Completed")),
    ("all", pgettext_lazy("follow-ups", "All")),
]


class FollowUpFilterForm(ListFilterForm):
    """Follow-ups: open (the default), completed or all; their kind, case and dates raised."""

    status = forms.ChoiceField(label=_("Show"), required=False, choices=FOLLOW_UP_STATES)
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[ANY, *((k, FOLLOW_UP_KIND_LABELS[k]) for k in FollowUpKind.values)],
    )
    field_order = ["status", "kind", "case_number", "created_from", "created_to"]
    passed_on: tuple[str, ...] = ("status", "kind", "case_number")


def filter_form(form_class: type[ListFilterForm], query: QueryDict) -> ListFilterForm:
    """Return the list's filter form, bound to the query string (unbound without one)."""
    given = {k: v for k, v in query.items() if k != "page"}
    return form_class(given) if given else form_class()
