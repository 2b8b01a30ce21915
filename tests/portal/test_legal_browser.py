"""A gallery subject's legal record and a lead's outcome in a real Chromium.

An agency admin enrolls a subject, then erases it by recording a legal event and reads the
deletion certificate; a compliance officer's legal hold stops a purge (in French); a file of
legal events is imported whole or not at all; a requester records what became of a confirmed
lead; another agency's subject, certificate and import page are not found. Screenshots go where
the other browser tests put theirs (see ``tests/portal/test_browser.py``).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import PHOTOS, Tenant, wait_for
from tests.portal.conftest import Staff, staff_create
from tests.portal.test_browser import Portal, _scratch_gallery

pytestmark = [pytest.mark.browser, pytest.mark.worker]


@pytest.fixture
def staff_committed(committed: None) -> Any:
    """Create committed staff (the server's threads must see them)."""
    return staff_create


def _enrolled(gallery: Any, ref: str) -> Any:
    """Enroll one photo for ``ref`` in ``gallery`` at once; return the subject."""
    from matching.enrollment import UploadItem, enrollment_batch_create, enrollment_batch_process
    from matching.models import Subject
    from tenants.context import agency_transaction

    item = UploadItem(
        subject_ref=ref,
        filename="booking.jpg",
        content=(PHOTOS / "obama.jpg").read_bytes(),
        display_name="B. Obama",
    )
    batch = enrollment_batch_create(gallery=gallery, items=[item], enqueue=False)
    enrollment_batch_process(agency_id=gallery.agency_id, batch_id=batch.id)
    with agency_transaction(gallery.agency_id):
        return Subject.objects.select_related("gallery").get(gallery=gallery, ref=ref)


def _search_awaiting_review(requester: Staff, gallery: str) -> Any:
    """Submit an allowed search of ``gallery`` and wait for the worker to list candidates."""
    from matching.models import Search
    from matching.searches import SearchRequest, search_submit
    from tenants.context import agency_transaction

    search = search_submit(
        user=requester.user,
        mfa_verified=True,
        request=SearchRequest(
            gallery=gallery,
            purpose="criminal_investigation",
            case_number="2026-424242",
            justification="Armed robbery suspect captured on store CCTV; no other leads.",
            offence={"code": "CC 344", "category": "robbery", "indictable": True},
            probe={
                "source": "cctv",
                "collected_in": "CA-ON",
                "collected_municipality": "Toronto",
                "subject_believed_minor": False,
                "captured_at": "2026-11-20T14:30:00-05:00",
            },
        ),
        probe_bytes=(PHOTOS / "obama3.jpg").read_bytes(),
        probe_content_type="image/jpeg",
    )
    agency_id = requester.user.agency_id

    def ready() -> Any:
        with agency_transaction(agency_id):
            found = Search.objects.get(id=search.id)
            return found if found.status == "awaiting_review" else None

    return wait_for(ready, timeout=90)


def _confirm_password(portal: Portal, staff: Staff) -> None:
    portal.page.wait_for_url("**/accounts/reauthenticate/**")
    portal.page.fill("input[name=password]", staff.password)
    portal.page.click("main form button[type=submit]")


def test_an_admin_enrolls_then_erases_a_subject_through_a_legal_event(
    chromium: Any, portal_url: str, tenant_a: Tenant, staff_committed: Any
) -> None:
    admin = staff_committed(tenant_a, "agency_admin")
    investigator = staff_committed(tenant_a)
    scratch = _scratch_gallery(tenant_a)
    ref = f"erase-{uuid.uuid4().hex[:6]}"
    portal = Portal(chromium, portal_url)
    portal.sign_in(admin)
    page = portal.page
    portal.goto("/agency/galleries")
    page.click(f"a[href='/agency/galleries/{scratch.slug}']")
    page.fill("#id_ref", ref)
    page.fill("#id_display_name", "Barack Obama")
    page.set_input_files("#id_images", [str(PHOTOS / "obama2.jpg")])
    page.click("form.enroll-form button[type=submit]")
    page.wait_for_url("**/agency/batches/*")
    page.wait_for_selector("[data-status=done]", timeout=90_000)
    assert page.locator("[data-result=enrolled]").count() == 1

    # An investigator's search finds the subject: its enrolled photo is served to them.
    search = _search_awaiting_review(investigator, scratch.slug)
    photo_url = f"{portal_url}/searches/{search.id}/candidates/1/photo"
    searcher = Portal(chromium, portal_url)
    searcher.sign_in(investigator)
    assert searcher.page.request.get(photo_url).status == 200

    page.click(f"a[href='/agency/galleries/{scratch.slug}']")
    page.click(f"tr[data-subject='{ref}'] a")
    page.wait_for_url("**/subjects/*")
    assert page.locator("[data-photos]").inner_text() == "1"
    page.select_option("#id_kind", "acquittal")
    page.fill("#id_event_date", timezone.localdate().isoformat())
    page.fill("#id_reference", "ONCJ 2026-0042")
    page.fill("#id_note", "Acquitted on all counts; no appeal filed.")
    portal.check("en-admin-subject")
    page.click("form.legal-event-form button[type=submit]")
    # Recording an event is a sensitive change: the password first, then the request resumes.
    _confirm_password(portal, admin)
    page.wait_for_url("**/agency/certificates/*")
    assert f"{ref} is purged" in page.locator(".messages").inner_text()
    certificate = page.locator("section.certificate")
    text = certificate.inner_text()
    assert ref in text and "ONCJ 2026-0042" in text and "Acquittal" in text
    assert "Identification of Criminals Act" in text
    assert page.locator("[data-rule]").get_attribute("data-rule") == "R-ACQUITTAL"
    assert page.locator("[data-deleted=photos]").inner_text() == "1"
    assert page.locator("[data-deleted=faces]").inner_text() == "1"
    assert page.locator("[data-deleted-by]").inner_text() == admin.user.username
    assert page.locator("ul.digests li").count() == 1
    portal.check("en-admin-certificate")

    page.click(f"a[href='/agency/galleries/{scratch.slug}']")
    assert page.locator(f"tr[data-subject='{ref}']").count() == 0
    assert "No subject enrolled yet." in page.locator("main").inner_text()
    # The photo the investigator was shown is gone.
    assert searcher.page.request.get(photo_url).status == 404
    assert searcher.page.request.get(f"{photo_url}?part=face").status == 404
    for tab in (portal, searcher):
        tab.close()


def test_a_legal_hold_blocks_the_purge_in_french(
    chromium: Any, portal_url: str, tenant_a: Tenant, staff_committed: Any
) -> None:
    from matching.gallery_purge import subjects_purge_due

    officer = staff_committed(tenant_a, "compliance_officer")
    admin = staff_committed(tenant_a, "agency_admin")
    ref = f"hold-{uuid.uuid4().hex[:6]}"
    subject = _enrolled(_scratch_gallery(tenant_a), ref)
    subject_path = f"/agency/galleries/{subject.gallery.slug}/subjects/{subject.pk}"

    french = Portal(chromium, portal_url, locale="fr-CA")
    french.sign_in(officer)
    french.goto(subject_path)
    assert french.page.locator("h1").inner_text() == f"Personne {ref}"
    french.page.fill("#id_reason", "Appel interjeté par la Couronne; conserver jusqu'à l'arrêt.")
    french.page.click("form.hold-form button[type=submit]")
    _confirm_password(french, officer)
    french.page.wait_for_selector("[data-subject-state=held]")
    banner = french.page.locator("[data-subject-state=held]").inner_text()
    assert "Suspension légale" in banner and "Appel interjeté par la Couronne" in banner
    assert french.page.locator("tr[data-hold=active]").count() == 1
    french.check("fr-admin-subject-held")

    english = Portal(chromium, portal_url)
    english.sign_in(admin)
    english.goto(subject_path)
    page = english.page
    assert "While the hold is in force" in page.locator("main").inner_text()
    page.select_option("#id_kind", "charges_stayed")
    page.fill("#id_event_date", timezone.localdate().isoformat())
    page.fill("#id_reference", "ONCJ 2026-0077")
    page.click("form.legal-event-form button[type=submit]")
    _confirm_password(english, admin)
    page.wait_for_selector(".messages li.warning")
    assert "is on legal hold: nothing was purged" in page.locator(".messages").inner_text()
    assert page.locator("[data-subject-state=held]").is_visible()
    assert page.locator("[data-photos]").inner_text() == "1"
    assert page.locator("tr[data-kind=charges_stayed]").count() == 1
    english.check("en-admin-subject-held")

    # The officer lifts the hold; the periodic purge then purges the subject.
    french.goto(subject_path)
    french.page.fill("#id_reason", "La Couronne renonce à reprendre les procédures.")
    french.page.click("form.lift-form button[type=submit]")
    french.page.wait_for_selector("tr[data-hold=lifted]")
    assert "est levée" in french.page.locator(".messages").inner_text()
    assert subjects_purge_due(agency_id=tenant_a.agency.id) >= 1
    french.goto(subject_path)
    assert french.page.locator("[data-subject-state=purged]").is_visible()
    french.page.click("[data-subject-state=purged] a")
    french.page.wait_for_url("**/agency/certificates/*")
    assert french.page.locator("h1").inner_text() == "Certificat de suppression"
    assert french.page.locator("[data-deleted-by]").inner_text() == "system"
    assert "Arrêt des procédures" in french.page.locator("section.certificate").inner_text()
    french.check("fr-admin-certificate")
    for tab in (french, english):
        tab.close()


def test_a_file_of_legal_events_is_imported_whole_or_not_at_all(
    chromium: Any, portal_url: str, tenant_a: Tenant, staff_committed: Any, tmp_path: Path
) -> None:
    admin = staff_committed(tenant_a, "agency_admin")
    gallery = _scratch_gallery(tenant_a)
    refs = [f"csv-{uuid.uuid4().hex[:6]}" for _ in range(2)]
    for ref in refs:
        _enrolled(gallery, ref)
    header = "subject_ref,kind,event_date,reference,note\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        header
        + f"{refs[0]},acquittal,2026-02-01,ONCJ-1,\n"
        + f"{refs[1]},pardon,2026-02-01,ONCJ-2,\n"
        + "nobody-here,charges_withdrawn,2026-02-30,ONCJ-3,\n"
    )
    good = tmp_path / "good.csv"
    good.write_text(
        header
        + f"{refs[0]},acquittal,2026-02-01,ONCJ-1,Acquitted\n"
        + f"{refs[1]},charges_withdrawn,2026-02-01,ONCJ-2,\n"
    )
    portal = Portal(chromium, portal_url)
    portal.sign_in(admin)
    page = portal.page
    portal.goto(f"/agency/galleries/{gallery.slug}")
    page.click(f"a[href='/agency/galleries/{gallery.slug}/legal-events/import']")
    # A page whose form sends a file asks to confirm who one is before it is shown.
    _confirm_password(portal, admin)
    page.wait_for_url("**/legal-events/import")
    page.set_input_files("#id_file", str(bad))
    page.click("form.import-form button[type=submit]")
    page.wait_for_selector("[data-applied=false]")
    assert "Nothing was written." in page.locator(".import-report").inner_text()
    assert page.locator("tr[data-status=error]").count() == 2
    assert page.locator("tr[data-row='2'][data-status=valid]").count() == 1
    assert "Choose one of the kinds of event." in page.locator("tr[data-row='3']").inner_text()
    assert "YYYY-MM-DD" in page.locator("tr[data-row='4']").inner_text()
    portal.check("en-admin-legal-import-errors")
    portal.goto(f"/agency/galleries/{gallery.slug}")
    assert page.locator("table.subjects tbody tr").count() == 2  # nothing was written

    page.click(f"a[href='/agency/galleries/{gallery.slug}/legal-events/import']")
    page.wait_for_url("**/legal-events/import")
    page.set_input_files("#id_file", str(good))
    page.click("form.import-form button[type=submit]")
    page.wait_for_selector("[data-applied=true]")
    assert page.locator("tr[data-status=purged]").count() == 2
    assert page.locator("[data-count=purged]").inner_text().endswith("2")
    portal.check("en-admin-legal-import")
    page.locator("tr[data-row='2'] a").click()
    page.wait_for_url("**/agency/certificates/*")
    assert refs[0] in page.locator("section.certificate").inner_text()
    portal.goto(f"/agency/galleries/{gallery.slug}")
    assert page.locator("table.subjects").count() == 0
    portal.close()


def test_the_requester_records_a_leads_outcome_after_a_confirmed_disposition(
    chromium: Any, portal_url: str, tenant_a: Tenant, staff_committed: Any
) -> None:
    from matching.reviews import candidate_review

    investigator = staff_committed(tenant_a)
    supervisor = staff_committed(tenant_a, "supervisor")
    search = _search_awaiting_review(investigator, "booking")
    candidate_path = f"/searches/{search.id}/candidates/1"
    portal = Portal(chromium, portal_url)
    portal.sign_in(investigator)
    page = portal.page
    portal.goto(candidate_path)
    assert page.locator("section.outcomes").count() == 0  # not a lead before its review
    for reviewer in (investigator, supervisor):
        candidate_review(
            user=reviewer.user,
            search_id=search.id,
            rank=1,
            disposition="possible_match",
            note="Same ear shape and hairline.",
            mfa_verified=True,
        )
    portal.goto(candidate_path)
    assert page.locator("[data-disposition]").get_attribute("data-disposition") == (
        "possible_match"
    )
    assert "No outcome recorded yet." in page.locator("section.outcomes").inner_text()
    page.check("input[name=outcome][value=confirmed]")
    page.fill("#id_note", "Fingerprints on the counter matched the booking record.")
    page.click("form.outcome-form button[type=submit]")
    page.wait_for_selector("[data-outcome=confirmed]")
    assert "The lead's outcome is recorded." in page.locator(".messages").inner_text()
    entry = page.locator("[data-outcome-entry=confirmed]")
    assert investigator.user.username in entry.inner_text()
    assert "Fingerprints on the counter" in entry.inner_text()
    page.check("input[name=outcome][value=charged]")
    page.fill("#id_note", "Charged with robbery, CC 344.")
    page.click("form.outcome-form button[type=submit]")
    page.wait_for_selector("[data-outcome=charged]")
    assert page.locator("ol.outcome-history li").count() == 2
    assert "was: Identity confirmed" in page.locator("ol.outcome-history li").first.inner_text()
    portal.check("en-candidate-lead-outcome")
    portal.close()


def test_another_agencys_subject_and_legal_event_urls_answer_not_found(
    chromium: Any, portal_url: str, tenant_a: Tenant, tenant_b: Tenant, staff_committed: Any
) -> None:
    from matching.legal_events import EventInput, legal_event_record

    gallery = _scratch_gallery(tenant_a)
    subject = _enrolled(gallery, f"far-{uuid.uuid4().hex[:6]}")
    kept = _enrolled(gallery, f"kept-{uuid.uuid4().hex[:6]}")
    officer_a = staff_committed(tenant_a, "compliance_officer")
    recorded = legal_event_record(
        user=officer_a.user,
        data=EventInput(
            subject_ref=subject.ref,
            gallery=gallery.slug,
            kind="charges_withdrawn",
            event_date=timezone.localdate(),
            reference="ONCJ-FAR",
        ),
    )
    assert recorded.certificate is not None
    foreign = staff_committed(tenant_b, "agency_admin")
    portal = Portal(chromium, portal_url)
    portal.sign_in(foreign)
    base = f"/agency/galleries/{gallery.slug}"
    for path in (
        base,
        f"{base}/subjects/{kept.pk}",
        f"{base}/subjects/{subject.pk}",
        f"/agency/galleries/booking/subjects/{kept.pk}",  # B's gallery of the same slug
        f"{base}/legal-events/import",
        f"/agency/certificates/{recorded.certificate.id}",
    ):
        assert portal.goto(path).status == 404, path
    portal.close()
