"""The lists in a real Chromium: my searches filtered, the agency's searches by requester, the
follow-ups with the overdue one marked and one completed, the records awaiting my verification,
a subject's name corrected; the follow-ups read in French with a filter applied. Screenshots as
``tests/portal/test_browser.py`` takes them."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from authorizations.models import RecordStatus
from matching.models import FollowUpKind, SearchStatus
from tests.access.test_role_matrix import a_warrant
from tests.conftest import Tenant
from tests.portal.test_browser import Portal
from tests.portal.test_list_pages import follow_up_of, search_of
from tests.portal.test_record_browser import _confirm_if_asked

pytestmark = [pytest.mark.browser, pytest.mark.worker]


@pytest.fixture
def staff_committed(committed: None) -> Any:
    """Create committed staff (the server's threads must see them)."""
    from tests.portal.conftest import staff_create

    return staff_create


def test_the_lists_filtered_in_english(
    chromium: Any, portal_url: str, tenant_a: Tenant, staff_committed: Any
) -> None:
    from tests.portal.test_legal_pages import enrolled

    officer = staff_committed(tenant_a)
    supervisor = staff_committed(tenant_a, "supervisor")
    tag = uuid.uuid4().hex[:6].upper()
    reviewed = search_of(tenant_a, officer.user, case=f"2026-{tag}", status=SearchStatus.REVIEWED)
    search_of(tenant_a, officer.user, case=f"2026-{tag}-B", status=SearchStatus.DENIED)
    search_of(tenant_a, officer.user, case=f"2026-{tag}", days_ago=3)
    late = follow_up_of(tenant_a, officer.user, case=f"2026-{tag}", due_in=-timedelta(hours=5))
    follow_up_of(
        tenant_a,
        officer.user,
        case=f"2026-{tag}",
        due_in=timedelta(days=3),
        kind=FollowUpKind.SUPERVISOR_NOTIFICATION,
    )
    pending = a_warrant(tenant_a, officer.user, RecordStatus.PENDING)

    mine = Portal(chromium, portal_url)
    mine.sign_in(officer)
    page = mine.page
    page.select_option("#id_status", "reviewed")
    page.click("form.list-filter button[type=submit]")
    page.wait_for_url("**/?*status=reviewed*")
    assert page.locator("table.searches tbody tr").count() == 1
    assert page.locator(f"tr[data-search='{reviewed.id}']").count() == 1
    mine.check("en-my-searches-filtered")
    mine.close()

    portal = Portal(chromium, portal_url)
    portal.sign_in(supervisor)
    page = portal.page
    page.click("nav a[href='/searches']")
    page.fill("#id_requested_by", officer.user.username)
    page.fill("#id_case_number", f"2026-{tag}")
    page.click("form.list-filter button[type=submit]")
    page.wait_for_url("**/searches?*requested_by=*")
    # Two searches of the case, and the two the follow-ups were raised on.
    assert page.locator("table.searches tbody tr").count() == 4
    assert officer.user.username in page.locator("table.searches tbody").inner_text()
    portal.check("en-agency-searches")

    page.click("nav a[href='/follow-ups']")
    page.fill("#id_case_number", f"2026-{tag}")
    page.click("form.list-filter button[type=submit]")
    page.wait_for_url("**/follow-ups?*case_number=*")
    assert page.locator("table.follow-ups tbody tr").count() == 2
    overdue = page.locator(f"tr[data-follow-up='{late.id}']")
    assert overdue.get_attribute("data-state") == "overdue"
    assert "Overdue" in overdue.inner_text()
    portal.check("en-follow-ups")
    overdue.locator("td:first-child a").click()
    page.wait_for_url(f"**/follow-ups/{late.id}")
    page.fill("#id_note", "Reviewed the exigent search with the officer; authority confirmed.")
    page.click("form.follow-up-form button[type=submit]")
    _confirm_if_asked(portal, supervisor)
    if page.locator("form.follow-up-form").count():
        page.fill("#id_note", "Reviewed the exigent search with the officer; authority confirmed.")
        page.click("form.follow-up-form button[type=submit]")
        page.wait_for_load_state()
    assert page.locator(f"[data-completed-by='{supervisor.user.username}']").count() == 1
    portal.check("en-follow-up-completed")

    page.click("nav a[href='/authorities']")
    page.check("input[name=awaiting][value=me]")
    page.click("form.record-filter button[type=submit]")
    page.wait_for_url("**/authorities?*awaiting=me*")
    assert page.locator(f"tr[data-record='{pending.id}']").count() == 1
    assert all(
        state == "pending"
        for state in page.locator("table.records tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.state)"
        )
    )
    portal.check("en-records-awaiting-me")
    portal.close()

    admin = staff_committed(tenant_a, "agency_admin")
    subject = enrolled(tenant_a)
    portal = Portal(chromium, portal_url)
    portal.sign_in(admin)
    page = portal.page
    portal.goto(f"/agency/galleries/{subject.gallery.slug}/subjects/{subject.pk}")
    page.fill("#id_display_name", "Ann Person-Smith")
    page.fill("#id_reason", "Misspelt at booking; corrected from the court file.")
    page.click("form.correction-form button[type=submit]")
    _confirm_if_asked(portal, admin)
    if "Ann Person-Smith" not in page.locator("dl.facts").inner_text():
        page.fill("#id_display_name", "Ann Person-Smith")
        page.fill("#id_reason", "Misspelt at booking; corrected from the court file.")
        page.click("form.correction-form button[type=submit]")
        page.wait_for_load_state()
    assert "Ann Person-Smith" in page.locator("dl.facts").inner_text()
    portal.check("en-admin-subject-corrected")
    portal.close()


def test_the_follow_ups_filtered_in_french(
    chromium: Any, portal_url: str, tenant_a: Tenant, staff_committed: Any
) -> None:
    officer = staff_committed(tenant_a)
    supervisor = staff_committed(tenant_a, "supervisor")
    case = f"2026-{uuid.uuid4().hex[:6].upper()}"
    follow_up_of(tenant_a, officer.user, case=case, due_in=-timedelta(days=1))
    follow_up_of(
        tenant_a,
        officer.user,
        case=case,
        due_in=timedelta(days=2),
        kind=FollowUpKind.SUPERVISOR_NOTIFICATION,
    )
    french = Portal(chromium, portal_url, locale="fr-CA")
    french.sign_in(supervisor)
    page = french.page
    page.click("nav a[href='/follow-ups']")
    assert page.locator("h1").inner_text() == "Suivis"
    page.select_option("#id_kind", "post_hoc_review")
    page.fill("#id_case_number", case)
    page.click("form.list-filter button[type=submit]")
    page.wait_for_url("**/follow-ups?*kind=post_hoc_review*")
    body = page.locator("table.follow-ups tbody")
    assert page.locator("table.follow-ups tbody tr").count() == 1
    assert "En retard" in body.inner_text()
    assert "Examen après coup d'une recherche en situation d'urgence" in body.inner_text()
    french.check("fr-follow-ups")
    page.click("nav a[href='/searches']")
    assert page.locator("h1").inner_text() == "Recherches du service"
    french.close()
