"""Authority records in a real Chromium: an investigator enters a warrant with its PDF, a
supervisor other than its author verifies it, the new-search form offers it for its case and the
search is allowed; once revoked it is offered no more. Another agency's record is not found; the
pages read in French. Screenshots as ``tests/portal/test_browser.py`` takes them."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.authorizations.test_records import PDF
from tests.conftest import PHOTOS, Tenant
from tests.portal.conftest import Staff, staff_create
from tests.portal.test_browser import Portal

pytestmark = [pytest.mark.browser, pytest.mark.worker]


@pytest.fixture
def staff_committed(committed: None) -> Any:
    """Create committed staff (the server's threads must see them)."""
    return staff_create


def _local(delta: timedelta) -> str:
    return (timezone.localtime() + delta).strftime("%Y-%m-%dT%H:%M")


def _confirm_if_asked(portal: Portal, staff: Staff) -> None:
    """Confirm who one is when allauth asks (it may, even right after signing in)."""
    page = portal.page
    page.wait_for_load_state()
    if "/accounts/reauthenticate/" in page.url:
        page.fill("input[name=password]", staff.password)
        page.click("main form button[type=submit]")
        page.wait_for_load_state()


def _enter_warrant(portal: Portal, case: str, document: Path, *, shot: str | None) -> str:
    """Enter a production order of ``case`` through the form; return the record's page path."""
    page = portal.page
    page.click("nav a[href='/authorities']")
    page.click("a.button[href^='/authorities/new/warrants']")
    page.wait_for_url("**/authorities/new/warrants**")
    page.select_option("#id_kind", "production_order")
    page.fill("#id_number", "PO-2026-0042")
    page.fill("#id_case_number", case)
    page.fill("#id_authorized_case_number", case)
    page.fill("#id_issuing_court", "Ontario Court of Justice, Toronto")
    page.select_option("#id_issuing_jurisdiction", "CA-ON")
    page.fill("#id_issued_at", _local(-timedelta(days=1)))
    page.fill("#id_expires_at", _local(timedelta(days=20)))
    page.check("input[name=authorized_purposes][value=criminal_investigation]")
    page.set_input_files("#id_document", str(document))
    portal.check(shot)
    page.click("form.record-form button[type=submit]")
    page.wait_for_url("**/authorities/warrants/*-*")
    return str(page.url).removeprefix(portal.base)


def _fill_search(portal: Portal, case: str) -> None:
    """Fill the new-search form for an allowable robbery search of ``case``."""
    page = portal.page
    page.click("nav a[href='/searches/new']")
    page.wait_for_url("**/searches/new")
    page.select_option("#id_gallery", "booking")
    page.select_option("#id_purpose", "criminal_investigation")
    page.select_option("#id_offence_category", "robbery")
    page.fill("#id_offence_code", "CC 344")
    page.fill("#id_justification", "Armed robbery suspect captured on store CCTV; no other leads.")
    page.set_input_files("#id_probe", str(PHOTOS / "obama3.jpg"))
    page.select_option("#id_probe_source", "cctv")
    page.fill("#id_probe_captured_at", "2026-11-20T14:30")
    page.select_option("#id_probe_collected_in", "CA-ON")
    page.fill("#id_probe_collected_municipality", "Toronto")
    page.check("input[name=probe_subject_believed_minor][value=false]")
    # htmx follows the case number as it is typed: the picker is the case's.
    page.locator("#id_case_number").press_sequentially(case)
    page.wait_for_selector(f".authority-help[data-case='{case}']")


def _offered(portal: Portal) -> list[str]:
    return [
        v
        for v in portal.page.locator("#id_warrant_id option").evaluate_all(
            "options => options.map(o => o.value)"
        )
        if v
    ]


def test_a_warrant_entered_verified_picked_then_revoked(
    chromium: Any,
    portal_url: str,
    tenant_a: Tenant,
    tenant_b: Tenant,
    staff_committed: Any,
    tmp_path: Path,
) -> None:
    from authorizations.models import Warrant
    from authorizations.services import Document, record_enter
    from tests.portal.test_record_pages import warrant_of

    investigator = staff_committed(tenant_a)
    first = staff_committed(tenant_a, "supervisor")
    second = staff_committed(tenant_a, "supervisor")
    case = f"2026-{uuid.uuid4().hex[:6].upper()}"
    document = tmp_path / "order.pdf"
    document.write_bytes(PDF)

    officer = Portal(chromium, portal_url)
    officer.sign_in(investigator)
    record = _enter_warrant(officer, case, document, shot="en-record-new")
    assert officer.page.locator("[data-state]").first.get_attribute("data-state") == "pending"
    assert officer.page.locator(".record-verify").count() == 0
    link = officer.page.locator("a.document-link").get_attribute("href")
    opened = officer.context.request.get(officer.base + (link or ""))
    assert opened.status == 200 and opened.body() == PDF
    assert opened.headers["cache-control"] == "no-store"

    # The supervisor who entered a record cannot verify it; another verifies this one.
    boss = Portal(chromium, portal_url)
    boss.sign_in(first)
    own = warrant_of(first.user, case=case, number="PO-OWN")
    boss.goto(f"/authorities/warrants/{own.id}")
    boss.page.click("form.record-verify button[type=submit]")
    _confirm_if_asked(boss, first)
    assert "another supervisor verifies it" in boss.page.locator(".alert.error").inner_text()
    assert boss.page.locator("[data-state]").first.get_attribute("data-state") == "pending"
    boss.check("en-record-self-verification")
    peer = Portal(chromium, portal_url)
    peer.sign_in(second)
    peer.goto(record)
    peer.page.click("form.record-verify button[type=submit]")
    _confirm_if_asked(peer, second)
    peer.page.wait_for_selector("[data-state=verified]")
    peer.check("en-record")
    peer.goto(f"/authorities?case_number={case}")
    assert peer.page.locator("table.records tbody tr").count() == 2
    peer.check("en-records")

    # The investigator picks it for the case and the policy allows the search.
    _fill_search(officer, case)
    record_id = record.rsplit("/", 1)[-1]
    assert _offered(officer) == [record_id]
    label = officer.page.locator(f"#id_warrant_id option[value='{record_id}']").inner_text()
    assert label.startswith("Production order PO-2026-0042, issued by Ontario Court of Justice")
    officer.page.select_option("#id_warrant_id", record_id)
    officer.check("en-new-search-picker")
    href = officer.page.locator("a.record-new").get_attribute("href")
    assert href == f"/authorities/new/warrants?case_number={case}"
    officer.page.click("form.search-form button[type=submit]")
    officer.page.wait_for_url("**/searches/*-*")
    status = officer.page.locator("[data-status]").get_attribute("data-status")
    assert status in ("queued", "running", "awaiting_review"), status

    # Revoked, it is offered no more.
    peer.goto(record)
    peer.page.fill("#id_reason", "Order set aside on review.")
    peer.page.click("form.record-revoke button[type=submit]")
    _confirm_if_asked(peer, second)
    peer.page.wait_for_selector("[data-state=revoked]")
    assert "Order set aside on review." in peer.page.locator(".record-facts").inner_text()
    _fill_search(officer, case)
    assert _offered(officer) == []

    # Another agency's record is not found, whatever the page.
    foreign = record_enter(
        user=staff_create(tenant_b).user,
        record=Warrant(
            case_number=case,
            kind="production_order",
            number="PO-QC-1",
            issuing_court="Cour du Québec",
            issuing_jurisdiction="CA-QC",
            issued_at=timezone.now() - timedelta(days=1),
            expires_at=timezone.now() + timedelta(days=10),
            authorized_purposes=["criminal_investigation"],
            authorized_case_number=case,
        ),
        document=Document(name="ordonnance.pdf", content=PDF),
    )
    for path in ("", "/document"):
        assert peer.goto(f"/authorities/warrants/{foreign.id}{path}").status == 404
    for tab in (officer, boss, peer):
        tab.close()


def test_the_record_pages_and_the_picker_read_in_french(
    chromium: Any, portal_url: str, tenant_a: Tenant, staff_committed: Any
) -> None:
    from tests.portal.test_record_pages import warrant_of

    investigator = staff_committed(tenant_a)
    supervisor = staff_committed(tenant_a, "supervisor")
    case = f"2026-{uuid.uuid4().hex[:6].upper()}"
    warrant = warrant_of(investigator.user, case=case, verifier=supervisor.user, number="OC-77")
    warrant_of(investigator.user, case=case, number="OC-78")
    french = Portal(chromium, portal_url, locale="fr-CA")
    french.sign_in(investigator)
    page = french.page
    page.click("nav a[href='/authorities']")
    assert page.locator("h1").inner_text() == "Autorisations"
    page.fill("#id_case_filter", case)
    page.click("form.record-filter button[type=submit]")
    page.wait_for_url(f"**/authorities?case_number={case}")
    states = page.locator("table.records tbody").inner_text()
    assert "Vérifiée" in states and "En attente de vérification" in states
    french.check("fr-records")
    page.click(f"tr[data-record='{warrant.id}'] a")
    assert "Ordonnance de communication OC-77" in page.locator("h1").inner_text()
    assert "Tribunal qui l'a délivrée" in page.locator(".record-facts").inner_text()
    french.check("fr-record")
    _fill_search(french, case)
    assert _offered(french) == [str(warrant.id)]
    label = page.locator(f"#id_warrant_id option[value='{warrant.id}']").inner_text()
    assert label.startswith("Ordonnance de communication OC-77, délivrée par")
    page.select_option("#id_warrant_id", str(warrant.id))
    french.check("fr-new-search-picker")
    page.click("a.record-new")
    page.wait_for_url("**/authorities/new/warrants?case_number=*")
    assert page.locator("#id_case_number").input_value() == case
    assert page.locator("h1").inner_text() == "Saisir une autorisation"
    french.close()
