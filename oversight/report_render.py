"""The transparency report as HTML (the portal page's content, the PDF's document) and as PDF.

The page and the PDF show the same partial template with the same context, so what is printed
is what was on screen.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from audit import verification
from oversight.transparency import TransparencyReport

TABLE_TITLES = {
    "by_month": _("Searches by month"),
    "by_purpose": _("Searches by purpose"),
    "by_outcome": _("Searches by outcome"),
    "by_reason": _("Denials by reason"),
    "candidates_per_search": _("Candidates per completed search"),
    "review_outcomes": _("Candidate review outcomes"),
    "similarity": _("Similarity of the candidates returned"),
    "dispositions": _("Candidates' final dispositions after review"),
    "lead_outcomes": _("What became of the possible matches"),
}

PROBLEMS = {
    verification.SEQUENCE_GAP: _("a gap in the numbering"),
    verification.PREV_HASH_MISMATCH: _("it does not link to the event before it"),
    verification.HASH_MISMATCH: _("its hash does not match its content"),
    verification.MAC_MISMATCH: _("its MAC does not match: the service did not write it"),
    verification.CHECKPOINT_BAD_SIGNATURE: _("a checkpoint's signature is invalid"),
    verification.CHECKPOINT_MISMATCH: _("the chain differs from a signed checkpoint"),
    verification.TRUNCATED: _("the chain ends before a signed checkpoint"),
}


def report_context(report: TransparencyReport) -> dict[str, Any]:
    """Return what the report's partial template shows."""
    stats = report.statistics
    series = {**stats.series(), "review_outcomes": report.review_outcomes}
    return {
        "report": report,
        "stats": stats,
        "denial_percent": round(100 * stats.denial_rate, 1),
        "tables": [
            {
                "id": f"report-{name}",
                "name": name,
                "title": title,
                "rows": list(series[name].items()),
            }
            for name, title in TABLE_TITLES.items()
        ],
        "problem_text": PROBLEMS.get(report.chain.problem, report.chain.problem),
    }


def report_filename(report: TransparencyReport) -> str:
    """Return the PDF's file name: agency and period."""
    since = report.period.since.strftime("%Y-%m-%d")
    until = report.period.last_day.strftime("%Y-%m-%d")
    return f"probity-transparency-{report.agency_id}-{since}-{until}.pdf"


def report_document_html(report: TransparencyReport, request: HttpRequest) -> str:
    """Return the report as a standalone HTML document (what the PDF prints)."""
    return render_to_string(
        "oversight/transparency_document.html", report_context(report), request=request
    )


def report_pdf_response(report: TransparencyReport, request: HttpRequest) -> HttpResponse:
    """Return the report printed to PDF, as a download."""
    from oversight.report_pdf import report_pdf  # WeasyPrint loads only when a PDF is asked for

    pdf, _pages = report_pdf(report_document_html(report, request))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report_filename(report)}"'
    response["Cache-Control"] = "no-store"
    return response
