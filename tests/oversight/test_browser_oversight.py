"""An auditor in a real Chromium: statistics with charts, the transparency report on screen, in
print and as a PDF, an export watched to the end, downloaded, accepted by the standalone
verifier, refused once a byte changes.
"""

from __future__ import annotations

import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import Tenant
from tests.oversight.conftest import Oversight
from tests.oversight.exporting import public_key_file, standalone
from tests.portal.conftest import Staff, staff_create
from tests.portal.test_browser import Portal
from verifier import probity_verify as v

pytestmark = [pytest.mark.browser, pytest.mark.worker]


@pytest.fixture
def auditor(committed: None, oversight: Oversight, tenant_a: Tenant) -> Staff:
    """A committed auditor of the oversight body, granted agency A for a month."""
    from oversight.services import oversight_grant_create

    staff = staff_create(
        Tenant(agency=oversight.body, users={}, tokens={}, gallery=None), role="auditor"
    )
    now = timezone.now()
    oversight_grant_create(
        granted_by=oversight.national_admin,
        auditor=staff.user,
        agency=tenant_a.agency,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=30),
        reason="Annual audit",
    )
    # A search of agency A that the policy denies (its auditor may not search), so the
    # statistics have a denial to show.
    from tests.conftest import photo, search_fields
    from tests.matching.test_bad_input import upload

    denied = tenant_a.client("auditor").post(
        "/api/v1/searches",
        {**search_fields(), "probe": upload(photo("obama.jpg"), "p.jpg")},
        format="multipart",
    )
    assert denied.json()["status"] == "denied"
    return staff


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _transparency_report_seen(portal: Portal, tenant: Tenant, tmp_path: Path) -> None:
    """The report page: the agency's figures, the policy in force, the verified chain; printed
    without the portal's chrome; downloaded as a PDF."""
    page = portal.page
    page.click("nav a[href='/oversight/transparency']")
    page.wait_for_url("**/oversight/transparency")
    assert page.locator("h1").inner_text() == "Transparency report"
    assert tenant.agency.name in page.locator("[data-field=agency]").inner_text()
    assert int(page.locator("[data-figure=denials]").inner_text()) >= 1
    assert page.locator("table[data-table=revisions] tbody tr[data-revision]").count() >= 1
    assert page.locator("[data-chain]").get_attribute("data-chain") == "ok"
    portal.check("oversight-transparency")
    page.emulate_media(media="print")
    try:
        assert not page.locator("header.bar").is_visible()
        assert not page.locator(".report-controls").is_visible()
        assert page.locator("[data-figure=searches]").is_visible()
        portal.check("oversight-transparency-print")
    finally:
        page.emulate_media(media="screen")
    with page.expect_download() as download_info:
        page.click("a[href^='/oversight/transparency.pdf']")
    download = download_info.value
    assert download.suggested_filename.startswith(f"probity-transparency-{tenant.agency.id}-")
    pdf = tmp_path / download.suggested_filename
    download.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_an_auditor_exports_downloads_and_verifies(
    chromium: Any,
    portal_url: str,
    auditor: Staff,
    tenant_a: Tenant,
    tmp_path: Path,
) -> None:
    portal = Portal(chromium, portal_url)
    try:
        portal.sign_in(auditor)
        page = portal.page
        page.click("nav a[href='/oversight/statistics']")
        page.wait_for_selector("canvas[data-chart='chart-by_month'][data-drawn='true']")
        assert int(page.locator("[data-figure=denials]").inner_text()) >= 1
        assert (
            "user_role_not_permitted" in page.locator("#chart-by_reason-title + div").inner_text()
        )
        assert tenant_a.agency.id in page.locator("form.filters").inner_text()
        portal.check("oversight-statistics")
        _transparency_report_seen(portal, tenant_a, tmp_path)
        page.click("nav a[href='/oversight/exports']")
        page.wait_for_url("**/oversight/exports")
        portal.check()
        page.click("form.export-form button[type=submit]")
        page.wait_for_url("**/oversight/exports")
        row = page.locator("table.exports tbody tr").first
        assert row.get_attribute("data-status") in ("queued", "running", "done")
        page.wait_for_selector("table.exports tbody tr[data-status=done]", timeout=120_000)
        assert "100" in (
            page.locator("table.exports tbody tr progress").first.get_attribute("value") or ""
        )
        portal.check("oversight-export-done")
        with page.expect_download() as download_info:
            page.click("table.exports tbody tr a.download")
        archive = tmp_path / "export.zip"
        download_info.value.save_as(archive)
    finally:
        portal.close()
    pristine = tmp_path / "pristine.zip"
    pristine.write_bytes(archive.read_bytes())
    key = public_key_file(tmp_path)
    code, out = standalone(archive, key)
    assert code == 0, out
    assert "export verified" in out
    # A changed byte in the downloaded file: the verifier refuses it.
    _flip_byte(archive, archive.stat().st_size // 2)
    code, out = standalone(archive, key)
    assert code == 1, out
    assert "FAIL" in out
    # The same inside the export's records: named as a file that does not match its manifest.
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(pristine) as zipped:
        zipped.extractall(unpacked)
    _flip_byte(unpacked / v.EVENTS_CSV, (unpacked / v.EVENTS_CSV).stat().st_size - 5)
    code, out = standalone(unpacked, key)
    assert code == 1
    assert v.FILE_MISMATCH in out or v.CSV_MISMATCH in out, out


def test_statistics_in_french(
    chromium: Any,
    portal_url: str,
    auditor: Staff,
) -> None:
    portal = Portal(chromium, portal_url, locale="fr-CA")
    try:
        portal.sign_in(auditor)
        portal.page.click("nav a[href='/oversight/statistics']")
        portal.page.wait_for_selector("canvas[data-drawn='true']")
        assert portal.page.locator("h1").inner_text() == "Statistiques"
        assert "Recherches par mois" in portal.page.content()
        portal.check("oversight-statistics-fr")
        portal.page.click("nav a[href='/oversight/transparency']")
        portal.page.wait_for_url("**/oversight/transparency")
        assert portal.page.locator("h1").inner_text() == "Rapport de transparence"
        content = portal.page.content()
        assert "Politique en vigueur pendant la période" in content
        assert "Vérification de la piste d'audit" in content
        assert "Télécharger le PDF" in content
        portal.check("oversight-transparency-fr")
    finally:
        portal.close()
