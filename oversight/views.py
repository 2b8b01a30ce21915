"""The portal's oversight pages: statistics with charts, transparency reports, signed exports,
grants in force.

Views translate between HTTP and the services and selectors; the scope is always resolved from
the signed-in person (an oversight auditor's grants, or leadership's own agency).
"""

from __future__ import annotations

import csv
import uuid
from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import urlencode

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views import View

from oversight.exports import (
    audit_export_downloaded,
    audit_export_get,
    audit_export_list,
    audit_export_request,
    export_zip_path,
)
from oversight.models import ExportStatus
from oversight.reads import oversight_grants_in_force, oversight_grants_visible
from oversight.report_render import report_context, report_pdf_response
from oversight.statistics import Statistics, statistics_agencies, statistics_compute
from oversight.transparency import Period, TransparencyReport, transparency_report_build
from portal.mixins import StaffMixin
from tenants.errors import ApiError
from tenants.models import AgencyKind

CHART_TITLES = {
    "by_month": _("Searches by month"),
    "by_purpose": _("Searches by purpose"),
    "by_outcome": _("Searches by outcome"),
    "by_reason": _("Denials by reason"),
    "by_agency": _("Searches by agency"),
    "candidates_per_search": _("Candidates per completed search"),
    "similarity": _("Similarity of the candidates returned"),
    "dispositions": _("Candidates' final dispositions after review"),
    "lead_outcomes": _("What became of the possible matches"),
}


def _day(value: str | None, *, end: bool = False) -> datetime | None:
    """Parse a YYYY-MM-DD filter; the end day counts whole (up to its midnight)."""
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    if end:
        return datetime.combine(day.date(), time.max, tzinfo=UTC)
    return day


class _Filters:
    def __init__(self, request: HttpRequest, allowed: list[str]) -> None:
        self.agencies = [a for a in request.GET.getlist("agency") if a in allowed] or allowed
        self.since_text = request.GET.get("since", "")
        self.until_text = request.GET.get("until", "")
        self.since = _day(self.since_text)
        self.until = _day(self.until_text, end=True)


def _charts(stats: Statistics) -> list[dict[str, Any]]:
    return [
        {
            "id": f"chart-{name}",
            "title": str(CHART_TITLES[name]),
            "labels": list(counts),
            "values": list(counts.values()),
            "rows": list(counts.items()),
        }
        for name, counts in stats.series().items()
    ]


class StatisticsView(StaffMixin, View):
    """Charts with their numbers beside them, for the agencies in the person's scope."""

    def get(self, request: HttpRequest) -> HttpResponse:
        allowed = statistics_agencies(user=self.user)
        if not allowed:
            raise Http404
        filters = _Filters(request, allowed)
        stats = statistics_compute(
            user=self.user, agencies=filters.agencies, since=filters.since, until=filters.until
        )
        charts = _charts(stats)
        return render(
            request,
            "oversight/statistics.html",
            {
                "stats": stats,
                "charts": charts,
                "filters": filters,
                "allowed": allowed,
                "chart_data": {
                    c["id"]: {"labels": c["labels"], "values": c["values"], "title": c["title"]}
                    for c in charts
                },
                "query": request.GET.urlencode(),
            },
        )


class StatisticsCsvView(StaffMixin, View):
    """The same figures as CSV: dimension, key, value."""

    def get(self, request: HttpRequest) -> HttpResponse:
        allowed = statistics_agencies(user=self.user)
        if not allowed:
            raise Http404
        filters = _Filters(request, allowed)
        stats = statistics_compute(
            user=self.user, agencies=filters.agencies, since=filters.since, until=filters.until
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="probity-statistics.csv"'
        writer = csv.writer(response)
        writer.writerow(["dimension", "key", "value"])
        writer.writerow(["scope", "agencies", " ".join(stats.agencies)])
        writer.writerow(["scope", "since", filters.since_text])
        writer.writerow(["scope", "until", filters.until_text])
        writer.writerows(stats.rows())
        return response


class _ReportChoice:
    """The agency and days a transparency report is asked for (default: first agency, this
    year to today)."""

    def __init__(self, request: HttpRequest, allowed: list[str]) -> None:
        self.agency = request.GET.get("agency") or allowed[0]
        if self.agency not in allowed:
            raise Http404
        self.since_text = request.GET.get("since", "")
        self.until_text = request.GET.get("until", "")

    def build(self, user: Any, output: str) -> TransparencyReport:
        period = Period.of_days(_day(self.since_text), _day(self.until_text))
        return transparency_report_build(
            user=user, agency_id=self.agency, period=period, output=output
        )


class TransparencyView(StaffMixin, View):
    """An agency's transparency report for a period, printable as it is (or as a PDF)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        allowed = statistics_agencies(user=self.user)
        if not allowed:
            raise Http404
        choice = _ReportChoice(request, allowed)
        context: dict[str, Any] = {"allowed": allowed, "agency": choice.agency}
        status = 200
        try:
            report = choice.build(self.user, "html")
        except ApiError as refused:
            if refused.status_code == 404:
                raise Http404 from None
            context["error"], status = refused.message, refused.status_code
        else:
            context.update(report_context(report))
        query = {"agency": choice.agency, "since": choice.since_text, "until": choice.until_text}
        if "report" in context:
            query["since"] = context["report"].period.since.strftime("%Y-%m-%d")
            query["until"] = context["report"].period.last_day.strftime("%Y-%m-%d")
        context.update(since_text=query["since"], until_text=query["until"], query=urlencode(query))
        return render(request, "oversight/transparency.html", context, status=status)


class TransparencyPdfView(StaffMixin, View):
    """The same report printed to PDF by WeasyPrint, as a download."""

    def get(self, request: HttpRequest) -> HttpResponse:
        allowed = statistics_agencies(user=self.user)
        if not allowed:
            raise Http404
        choice = _ReportChoice(request, allowed)
        try:
            report = choice.build(self.user, "pdf")
        except ApiError as refused:
            if refused.status_code == 404:
                raise Http404 from None
            return HttpResponse(
                refused.message, status=refused.status_code, content_type="text/plain"
            )
        return report_pdf_response(report, request)


def _export_row(export: Any) -> dict[str, Any]:
    total = export.events_total or 0
    percent = (
        100
        if export.status == ExportStatus.DONE
        else (int(100 * export.events_written / total) if total else 0)
    )
    return {
        "export": export,
        "percent": percent,
        "live": export.status in (ExportStatus.QUEUED, ExportStatus.RUNNING),
    }


class ExportsView(StaffMixin, View):
    """Request a signed export of the agencies in scope; watch its progress; download it."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request)

    def page(self, request: HttpRequest, error: str = "", status: int = 200) -> HttpResponse:
        allowed = statistics_agencies(user=self.user)
        if not allowed:
            raise Http404
        grants = (
            oversight_grants_in_force(auditor=self.user)
            if self.agency.kind == AgencyKind.OVERSIGHT
            else []
        )
        rows = [_export_row(e) for e in audit_export_list(user=self.user)]
        return render(
            request,
            "oversight/exports.html",
            {
                "allowed": allowed,
                "rows": rows,
                "grants": grants,
                "error": error,
            },
            status=status,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        agencies = request.POST.getlist("agency")
        types = [t.strip() for t in request.POST.get("event_types", "").split(",") if t.strip()]
        try:
            audit_export_request(
                user=self.user,
                agencies=agencies,
                since=_day(request.POST.get("since")),
                until=_day(request.POST.get("until"), end=True),
                event_types=types,
            )
        except ApiError as refused:
            return self.page(request, error=refused.message, status=refused.status_code)
        return redirect("oversight:exports")


class ExportProgressView(StaffMixin, View):
    """One export's row, polled by the exports page until it is done."""

    def get(self, request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
        try:
            export = audit_export_get(user=self.user, export_id=export_id)
        except ApiError:
            raise Http404 from None
        return render(request, "oversight/_export_row.html", {"item": _export_row(export)})


class ExportDownloadView(StaffMixin, View):
    """The signed export as a .zip; the download is recorded."""

    def get(self, request: HttpRequest, export_id: uuid.UUID) -> FileResponse:
        try:
            export = audit_export_get(user=self.user, export_id=export_id)
        except ApiError:
            raise Http404 from None
        if export.status != ExportStatus.DONE:
            raise Http404
        audit_export_downloaded(user=self.user, export=export)
        path = export_zip_path(export)
        return FileResponse(
            path.open("rb"), as_attachment=True, filename=path.name, content_type="application/zip"
        )


class GrantsView(StaffMixin, View):
    """Who may read this agency's records, or whose records this body may read, and until when."""

    def get(self, request: HttpRequest) -> HttpResponse:
        grants = oversight_grants_visible(user=self.user)
        return render(request, "oversight/grants.html", {"grants": grants})
