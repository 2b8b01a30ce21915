"""Transparency reports: the figures of real searches, the policy in force with its approvers,
the chain's verification (and its first bad event), who may have one, and the audit event each
report is; the page, its PDF and the API."""

from __future__ import annotations

import re
import zlib
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from audit.checkpoints import audit_checkpoint_write
from audit.models import AuditEvent
from audit.services import audit_record
from audit.verification import MAC_MISMATCH
from oversight import errors
from oversight.report_pdf import StaticFilesOnly, report_pdf
from oversight.report_render import report_document_html
from oversight.services import oversight_grant_create
from oversight.transparency import ACTION, Period, transparency_report_build
from policy.models import RevisionScope
from policy.revisions.services import revision_draft_create, revision_draft_update
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tests.conftest import Tenant
from tests.oversight.conftest import Oversight
from tests.oversight.test_statistics import _searches_made, _truth
from tests.policy.test_revisions import second_officer, through_four_eyes
from tests.portal.conftest import sign_in, staff_create

REPORT_API = "/api/v1/oversight/agencies/{}/transparency-report"


def pdf_info(pdf: bytes, key: str) -> str:
    """Return a text entry of the PDF's document information dictionary (the one naming
    WeasyPrint as its producer; outline entries have titles too)."""
    for start in re.finditer(rb"stream\r?\n", pdf):
        try:
            chunk = zlib.decompressobj().decompress(pdf[start.end() : start.end() + 1_000_000])
        except zlib.error:
            continue
        info = re.search(rb"<</Producer \(WeasyPrint[^)]*\)(.*?)>>", chunk, re.S)
        if info is None:
            continue
        found = re.search(
            rb"/" + key.encode() + rb" (?:<feff([0-9a-f]*)>|\(([^)]*)\))", info.group(1)
        )
        if found and found.group(1) is not None:
            return bytes.fromhex(found.group(1).decode()).decode("utf-16-be")
        if found:
            return found.group(2).decode("latin-1")
    raise AssertionError(f"no /{key} in the PDF's document information")


def _this_year() -> Period:
    return Period.of_days(None, None)


def _grant(oversight: Oversight, tenant: Tenant, auditor: Any = None) -> Any:
    now = timezone.now()
    return oversight_grant_create(
        granted_by=oversight.national_admin,
        auditor=auditor or oversight.auditor,
        agency=tenant.agency,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=1),
        reason="Annual transparency report",
    )


def _reports(agency_id: str) -> list[AuditEvent]:
    with agency_transaction(agency_id):
        return list(AuditEvent.objects.filter(agency_id=agency_id, action=ACTION).order_by("seq"))


def test_the_report_counts_the_agencys_searches_and_verifies_its_chain(
    db: None, tenant_a: Tenant
) -> None:
    _searches_made(tenant_a)
    officer = tenant_a.users["compliance_officer"]
    report = transparency_report_build(
        user=officer, agency_id=tenant_a.agency.id, period=_this_year()
    )
    truth = _truth(tenant_a.agency.id)
    stats = report.statistics
    assert truth["searches"] >= 2 and truth["denials"] >= 1
    assert (stats.searches, stats.decisions, stats.denials, stats.exigent) == (
        truth["searches"],
        truth["decisions"],
        truth["denials"],
        truth["exigent"],
    )
    assert stats.by_reason.get("user_role_not_permitted", 0) >= 1
    assert stats.by_outcome.get("denied", 0) >= 1
    assert report.agency_name == tenant_a.agency.name
    # The policy in force: the installed baseline at least, numbered, with its dates.
    baseline = [r for r in report.revisions if r.scope == RevisionScope.BASELINE]
    assert baseline and all(r.number >= 1 for r in baseline)
    assert baseline[-1].in_force_until is None
    # The chain, recomputed before the report was recorded: intact, and the period inside it.
    assert report.chain.ok and report.chain.first_bad_seq is None
    assert report.chain.period_events > 0
    assert report.chain.period_last_seq == report.chain.through_seq
    assert report.chain.events == report.chain.through_seq - (report.chain.from_checkpoint_seq or 0)
    event = _reports(tenant_a.agency.id)[-1]
    assert event.object_id == report.id
    assert event.seq == report.chain.through_seq + 1
    assert event.data["searches"] == truth["searches"]
    assert event.data["chain_ok"] is True
    # A period before any search has none of them.
    empty = transparency_report_build(
        user=officer,
        agency_id=tenant_a.agency.id,
        period=Period.checked(
            timezone.now() - timedelta(days=800), timezone.now() - timedelta(days=799)
        ),
    )
    assert empty.statistics.searches == 0


def test_a_period_must_be_a_period(db: None, tenant_a: Tenant) -> None:
    now = timezone.now()
    for since, until in (
        (now, now),
        (now, now - timedelta(days=1)),
        (now - timedelta(days=1200), now),
    ):
        with pytest.raises(ApiError) as refused:
            Period.checked(since, until)
        assert refused.value.error_code == errors.PERIOD_INVALID
    response = tenant_a.client("compliance_officer").get(
        REPORT_API.format(tenant_a.agency.id), {"since": "2026-05-01", "until": "2026-04-01"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == errors.PERIOD_INVALID


def _quiet_overlay(tenant: Tenant, owner: Any, colleague: Any, note: str) -> Any:
    """Put in force, through four eyes, an overlay of the agency that denies nothing more."""
    draft = revision_draft_create(user=owner, scope=RevisionScope.OVERLAY, agency=tenant.agency)
    agency_id = tenant.agency.id
    prefix = f"fr/overlays/{agency_id}/"
    quiet = {
        f"{prefix}overlay.rego": f"# {note}\npackage fr.overlays.{agency_id}\n\ndeny := set()\n",
        f"{prefix}overlay_test.rego": f"package fr.overlays.{agency_id}_test\n\n"
        f"test_nothing if count(data.fr.overlays.{agency_id}.deny) == 0\n",
    }
    draft = revision_draft_update(
        user=owner, revision=draft, modules=quiet, data={}, change_note=note
    )
    assert draft.checks["passed"] is True, draft.checks["findings"]
    return through_four_eyes(draft, owner, colleague)


def test_the_overlays_in_force_are_listed_with_their_approvers(
    db: None, oversight: Oversight, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    owner = tenant_b.users["compliance_officer"]
    colleague = second_officer(tenant_b)
    first = _quiet_overlay(tenant_b, owner, colleague, "Local directive 7")
    second = _quiet_overlay(tenant_b, owner, colleague, "Local directive 8")
    report = transparency_report_build(
        user=owner, agency_id=tenant_b.agency.id, period=_this_year()
    )
    overlays = {r.id: r for r in report.revisions if r.scope == RevisionScope.OVERLAY}
    assert {str(first.id), str(second.id)} <= set(overlays)
    shown = overlays[str(second.id)]
    assert (shown.agency_id, shown.number) == (tenant_b.agency.id, second.number)
    assert (shown.author, shown.approved_by, shown.activated_by) == (
        owner.username,
        colleague.username,
        colleague.username,
    )
    assert shown.in_force_until is None
    assert overlays[str(first.id)].in_force_until == shown.in_force_from
    assert all(r.agency_id in (None, tenant_b.agency.id) for r in report.revisions)
    assert colleague.username in report_document_html(report, _request())
    # An auditor of the agency sees the same revisions, the superseded one included, named the
    # same; another agency's report lists none of them.
    _grant(oversight, tenant_b)
    audited = transparency_report_build(
        user=oversight.auditor, agency_id=tenant_b.agency.id, period=_this_year()
    )
    assert audited.revisions == report.revisions
    elsewhere = transparency_report_build(
        user=tenant_a.users["compliance_officer"], agency_id=tenant_a.agency.id, period=_this_year()
    )
    assert not {str(first.id), str(second.id)} & {r.id for r in elsewhere.revisions}


def _request() -> Any:
    from django.test import RequestFactory

    return RequestFactory().get("/")


def test_a_forged_event_is_reported_as_the_first_bad_one(db: None, tenant_b: Tenant) -> None:
    agency_id = tenant_b.agency.id
    with agency_transaction(agency_id), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (agency_id, uid, seq, occurred_at, actor, action, "
            "object_type, object_id, data, mac, prev_hash, hash) VALUES "
            "(%s, gen_random_uuid(), 0, now(), 'someone', 'candidate.reviewed', 'candidate', "
            "'1', '{}'::jsonb, '', '', '') RETURNING seq",
            [agency_id],
        )
        (forged,) = cursor.fetchone() or (None,)
    report = transparency_report_build(
        user=tenant_b.users["supervisor"], agency_id=agency_id, period=_this_year()
    )
    assert (report.chain.ok, report.chain.first_bad_seq, report.chain.problem) == (
        False,
        forged,
        MAC_MISMATCH,
    )
    assert report.chain.period_affected
    html = report_document_html(report, _request())
    assert 'data-chain="failed"' in html
    assert f"number {forged}" in html
    assert _reports(agency_id)[-1].data["first_bad_seq"] == forged


def test_the_report_recomputes_its_period_from_the_checkpoint_before_it(
    db: None, tenant_b: Tenant
) -> None:
    """Events before the period's checkpoint are not read; a forgery in the period is found."""
    agency_id = tenant_b.agency.id
    audit_record(agency_id=agency_id, action="test.before", object_type="thing")
    checkpoint = audit_checkpoint_write(agency_id=agency_id)
    assert checkpoint is not None and checkpoint.seq > 1
    since = timezone.now()
    for n in range(3):
        audit_record(
            agency_id=agency_id, action="test.during", object_type="thing", object_id=str(n)
        )
    period = Period.checked(since, since + timedelta(days=1))
    supervisor = tenant_b.users["supervisor"]
    report = transparency_report_build(user=supervisor, agency_id=agency_id, period=period)
    chain = report.chain
    assert chain.ok and chain.first_bad_seq is None
    assert (chain.from_checkpoint_seq, chain.first_seq) == (checkpoint.seq, checkpoint.seq + 1)
    assert chain.from_checkpoint_signed_at == checkpoint.signed_at
    # Only the three events after the checkpoint were read, not the chain's earlier ones.
    assert chain.events == 3 == chain.through_seq - checkpoint.seq
    assert (chain.period_events, chain.period_first_seq) == (3, checkpoint.seq + 1)
    body = report.as_json()["audit_chain"]
    assert body["from_checkpoint"]["seq"] == checkpoint.seq
    assert (body["first_seq"], body["through_seq"]) == (checkpoint.seq + 1, chain.through_seq)
    recorded = _reports(agency_id)[-1].data
    assert (recorded["chain_from_seq"], recorded["chain_events"]) == (checkpoint.seq, 3)
    html = report_document_html(report, _request())
    assert f"checkpoint number {checkpoint.seq}" in html
    assert "manage.py audit_verify" in html, "the page says who checks the earlier events"
    # A forged event inside the period is still the first bad one.
    with agency_transaction(agency_id), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (agency_id, uid, seq, occurred_at, actor, action, "
            "object_type, object_id, data, mac, prev_hash, hash) VALUES "
            "(%s, gen_random_uuid(), 0, now() + interval '1 minute', 'someone', "
            "'candidate.reviewed', 'candidate', '1', '{}'::jsonb, '', '', '') RETURNING seq",
            [agency_id],
        )
        (forged,) = cursor.fetchone() or (None,)
    tampered = transparency_report_build(user=supervisor, agency_id=agency_id, period=period)
    assert (tampered.chain.ok, tampered.chain.first_bad_seq, tampered.chain.problem) == (
        False,
        forged,
        MAC_MISMATCH,
    )
    assert tampered.chain.from_checkpoint_seq == checkpoint.seq
    assert tampered.chain.period_affected


def test_only_readers_of_the_agencys_statistics_get_its_report(
    db: None, oversight: Oversight, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    agency_id = tenant_a.agency.id
    before = len(_reports(agency_id))
    # An auditor without a grant, an investigator, and leadership of another agency: 404.
    for user in (
        oversight.auditor,
        tenant_a.users["investigator"],
        tenant_b.users["compliance_officer"],
    ):
        with pytest.raises(ApiError) as refused:
            transparency_report_build(user=user, agency_id=agency_id, period=_this_year())
        assert (refused.value.status_code, refused.value.error_code) == (
            404,
            errors.AGENCY_NOT_IN_SCOPE,
        )
    assert oversight.client("auditor").get(REPORT_API.format(agency_id)).status_code == 404
    response = tenant_a.client("investigator").get(REPORT_API.format(agency_id))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == errors.AGENCY_NOT_IN_SCOPE
    assert len(_reports(agency_id)) == before
    # Granted, the auditor gets it; the event names the grant and the body.
    grant = _grant(oversight, tenant_a)
    response = oversight.client("auditor").get(REPORT_API.format(agency_id))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["agency"] == {"id": agency_id, "name": tenant_a.agency.name}
    assert body["reader_body"] == oversight.body.id
    assert body["statistics"]["searches"] == _truth(agency_id)["searches"]
    assert body["audit_chain"]["ok"] is True
    assert any(r["scope"] == "baseline" for r in body["policy_revisions"])
    events = _reports(agency_id)
    assert len(events) == before + 1
    assert events[-1].data["grant"] == str(grant.id)
    assert events[-1].data["body"] == oversight.body.id
    assert events[-1].data["format"] == "json"
    assert events[-1].actor == oversight.auditor.username
    # Nothing in the body's own chain, and another agency stays out of scope.
    assert _reports(oversight.body.id) == []
    other = oversight.client("auditor").get(REPORT_API.format(tenant_b.agency.id))
    assert other.status_code == 404


def test_the_page_and_its_pdf(db: None, tenant_a: Tenant) -> None:
    _searches_made(tenant_a)
    staff = staff_create(tenant_a, role="supervisor")
    client = Client()
    sign_in(client, staff)
    before = len(_reports(tenant_a.agency.id))
    page = client.get("/oversight/transparency")
    assert page.status_code == 200
    html = page.content.decode()
    truth = _truth(tenant_a.agency.id)
    assert tenant_a.agency.name in html
    assert f'data-figure="searches">{truth["searches"]}<' in html
    assert f'data-figure="denials">{truth["denials"]}<' in html
    assert "/static/oversight/transparency.css" in html
    link = re.search(r'href="(/oversight/transparency\.pdf\?[^"]+)"', html)
    assert link is not None
    response = client.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert tenant_a.agency.id in response["Content-Disposition"]
    pdf = response.content
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert tenant_a.agency.name in pdf_info(pdf, "Title")
    assert pdf_info(pdf, "Subject") == (
        f"{tenant_a.agency.name}: {truth['searches']} searches, {truth['denials']} denials"
    )
    formats = [e.data["format"] for e in _reports(tenant_a.agency.id)[before:]]
    assert formats == ["html", "pdf"]
    # The PDF prints the same document: its figures, and only the project's own files loaded.
    report = transparency_report_build(
        user=staff.user, agency_id=tenant_a.agency.id, period=_this_year(), output="pdf"
    )
    document = report_document_html(report, _request())
    assert tenant_a.agency.name in document
    assert f'data-figure="searches">{truth["searches"]}<' in document
    fetcher = StaticFilesOnly()
    printed, pages = report_pdf(document, fetcher=fetcher)
    assert printed.startswith(b"%PDF-") and pages >= 1
    assert any(u.endswith("/static/oversight/transparency.css") for u in fetcher.served)
    assert fetcher.refused == []


def test_the_pdf_fetches_nothing_but_the_projects_static_files(db: None) -> None:
    outside = [
        "https://example.com/logo.png",
        "http://report.probity.invalid/static/portal/portal.css",
        "file:///etc/passwd",
        "data:text/css,body{color:red}",
        "https://report.probity.invalid/static/../config/settings.py",
        "https://report.probity.invalid/media/photo.jpg",
        "https://report.probity.invalid/static/oversight/absent.css",
    ]
    links = "".join(f'<link rel="stylesheet" href="{u}"><img src="{u}" alt="">' for u in outside)
    html = (
        f"<html><head>{links}"
        '<link rel="stylesheet" href="/static/oversight/transparency.css"></head>'
        "<body><p>x</p></body></html>"
    )
    fetcher = StaticFilesOnly()
    pdf, pages = report_pdf(html, fetcher=fetcher)
    assert pdf.startswith(b"%PDF-") and pages == 1
    assert set(fetcher.refused) == set(outside)
    assert fetcher.served == ["https://report.probity.invalid/static/oversight/transparency.css"]


def test_the_api_pdf_is_a_download(db: None, tenant_a: Tenant) -> None:
    response = tenant_a.client("compliance_officer").get(
        REPORT_API.format(tenant_a.agency.id) + "/pdf", {"since": "2026-01-01"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="probity-transparency-{tenant_a.agency.id}-2026-01-01-'
        f'{timezone.now().strftime("%Y-%m-%d")}.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    assert _reports(tenant_a.agency.id)[-1].data["format"] == "pdf"


def test_the_portal_pages_are_not_found_for_an_investigator_or_an_ungranted_auditor(
    db: None, oversight: Oversight, tenant_a: Tenant
) -> None:
    before = len(_reports(tenant_a.agency.id))
    investigator = staff_create(tenant_a, role="investigator")
    auditor = staff_create(
        Tenant(agency=oversight.body, users={}, tokens={}, gallery=None), role="auditor"
    )
    for staff in (investigator, auditor):
        client = Client()
        sign_in(client, staff)
        # The link follows the role (like Statistics); the page follows the scope.
        shown = "/oversight/transparency" in client.get("/").content.decode()
        assert shown is (staff is auditor)
        for path in ("/oversight/transparency", "/oversight/transparency.pdf"):
            assert client.get(path, {"agency": tenant_a.agency.id}).status_code == 404
    assert len(_reports(tenant_a.agency.id)) == before
