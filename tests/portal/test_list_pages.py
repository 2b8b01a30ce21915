"""The portal's lists: my searches, the agency's searches, follow-ups, records awaiting my
verification; their filters, who may see each, and another agency's rows never shown."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from authorizations.models import RecordStatus
from matching.models import FollowUp, FollowUpKind, Search, SearchStatus
from tenants.context import agency_transaction
from tests.access.test_role_matrix import a_search, a_warrant
from tests.conftest import Tenant
from tests.portal.conftest import Staff, sign_in, staff_create

pytestmark = pytest.mark.django_db


def signed(tenant: Tenant, role: str) -> tuple[Client, Staff]:
    staff = staff_create(tenant, role)
    client = Client()
    sign_in(client, staff)
    return client, staff


def confirm(client: Client, staff: Staff) -> None:
    response = client.post("/accounts/reauthenticate/", {"password": staff.password})
    assert response.status_code == 302


def search_of(
    tenant: Tenant,
    owner: Any,
    *,
    case: str,
    status: str = SearchStatus.AWAITING_REVIEW,
    purpose: str = "criminal_investigation",
    days_ago: int = 0,
) -> Search:
    search = a_search(tenant, owner, status, candidates=False)
    with agency_transaction(tenant.agency.id):
        Search.objects.filter(pk=search.pk).update(
            case_number=case,
            purpose=purpose,
            created_at=timezone.now() - timedelta(days=days_ago),
        )
    return search


def follow_up_of(
    tenant: Tenant,
    owner: Any,
    *,
    case: str,
    due_in: timedelta,
    kind: str = FollowUpKind.POST_HOC_REVIEW,
) -> FollowUp:
    search = search_of(tenant, owner, case=case)
    with agency_transaction(tenant.agency.id):
        return FollowUp.objects.create(
            agency=tenant.agency, search=search, kind=kind, due_at=timezone.now() + due_in
        )


def rows(page: str, attribute: str = "data-search") -> list[str]:
    return re.findall(rf'{attribute}="([0-9a-f-]{{36}})"', page)


def test_my_searches_filter_by_status_purpose_case_and_dates(tenant_a: Tenant) -> None:
    client, me = signed(tenant_a, "investigator")
    tag = uuid.uuid4().hex[:6]
    reviewed = search_of(tenant_a, me.user, case=f"A-{tag}", status=SearchStatus.REVIEWED)
    denied = search_of(
        tenant_a, me.user, case=f"B-{tag}", status=SearchStatus.DENIED, purpose="personal_use"
    )
    old = search_of(tenant_a, me.user, case=f"A-{tag}", days_ago=40)
    theirs = search_of(tenant_a, staff_create(tenant_a).user, case=f"A-{tag}")

    everything = rows(client.get("/").content.decode())
    assert {str(s.id) for s in (reviewed, denied, old)} <= set(everything)
    assert str(theirs.id) not in everything
    assert rows(client.get("/?status=reviewed").content.decode()) == [str(reviewed.id)]
    assert rows(client.get("/?purpose=personal_use").content.decode()) == [str(denied.id)]
    by_case = rows(client.get(f"/?case_number=A-{tag}").content.decode())
    assert by_case == [str(reviewed.id), str(old.id)]  # newest first; never a colleague's
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    recent = rows(client.get(f"/?case_number=A-{tag}&created_from={since}").content.decode())
    assert recent == [str(reviewed.id)]
    until = (timezone.localdate() - timedelta(days=39)).isoformat()
    older = rows(client.get(f"/?case_number=A-{tag}&created_to={until}").content.decode())
    assert older == [str(old.id)]
    nothing = client.get(f"/?case_number=none-{tag}").content.decode()
    assert "None of your searches matches these filters." in nothing


def test_a_bad_filter_is_refused_beside_its_field_and_shows_no_rows(tenant_a: Tenant) -> None:
    client, me = signed(tenant_a, "investigator")
    search_of(tenant_a, me.user, case="BAD-1")
    for query, field in (
        ("status=nonsense", "status"),
        ("purpose=nonsense", "purpose"),
        ("created_from=yesterday", "created_from"),
        ("created_from=2026-05-02&created_to=2026-05-01", "created_to"),
    ):
        response = client.get(f"/?{query}")
        assert response.status_code == 400, query
        page = response.content.decode()
        assert f'id="id_{field}_errors"' in page, query
        assert rows(page) == [], query


def test_the_pager_keeps_the_filters(tenant_a: Tenant) -> None:
    from portal.selectors import SEARCHES_PER_PAGE

    client, me = signed(tenant_a, "investigator")
    case = f"PAGE-{uuid.uuid4().hex[:6]}"
    made = [search_of(tenant_a, me.user, case=case) for _ in range(SEARCHES_PER_PAGE + 1)]
    first = client.get(f"/?case_number={case}").content.decode()
    assert len(rows(first)) == SEARCHES_PER_PAGE
    assert f'href="?case_number={case}&amp;page=2"' in first
    second = rows(client.get(f"/?case_number={case}&page=2").content.decode())
    assert second == [str(made[0].id)]


def test_agency_searches_for_supervisors_compliance_and_auditors_only(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    supervisor, _ = signed(tenant_a, "supervisor")
    tag = uuid.uuid4().hex[:6]
    alice, bob = staff_create(tenant_a).user, staff_create(tenant_a, "analyst").user
    by_alice = search_of(tenant_a, alice, case=f"AG-{tag}")
    by_bob = search_of(tenant_a, bob, case=f"AG-{tag}", status=SearchStatus.DENIED)
    foreign = search_of(tenant_b, tenant_b.users["investigator"], case=f"AG-{tag}")

    page = supervisor.get(f"/searches?case_number=AG-{tag}").content.decode()
    assert rows(page) == [str(by_bob.id), str(by_alice.id)]
    assert str(foreign.id) not in page
    assert f"<td>{alice.username}</td>" in page and 'href="/searches"' in page
    filtered = supervisor.get(f"/searches?requested_by={alice.username}").content.decode()
    assert rows(filtered) == [str(by_alice.id)]
    both = f"/searches?requested_by={bob.username}&status=denied&case_number=AG-{tag}"
    assert rows(supervisor.get(both).content.decode()) == [str(by_bob.id)]
    bad = supervisor.get("/searches?requested_by=not%20a%20name")
    assert bad.status_code == 400 and 'id="id_requested_by_errors"' in bad.content.decode()

    for role in ("compliance_officer", "auditor"):
        client, _ = signed(tenant_a, role)
        assert str(by_alice.id) in rows(
            client.get(f"/searches?case_number=AG-{tag}").content.decode()
        )
    for role in ("investigator", "analyst", "agency_admin"):
        client, _ = signed(tenant_a, role)
        assert client.get("/searches").status_code == 404, role
        assert 'href="/searches"' not in client.get("/").content.decode(), role


def test_follow_ups_show_due_dates_and_mark_the_overdue(tenant_a: Tenant, tenant_b: Tenant) -> None:
    supervisor, _ = signed(tenant_a, "supervisor")
    officer = staff_create(tenant_a).user
    tag = uuid.uuid4().hex[:6]
    late = follow_up_of(tenant_a, officer, case=f"FU-{tag}", due_in=-timedelta(hours=3))
    soon = follow_up_of(
        tenant_a,
        officer,
        case=f"FU-{tag}",
        due_in=timedelta(days=2),
        kind=FollowUpKind.SUPERVISOR_NOTIFICATION,
    )
    done = follow_up_of(tenant_a, officer, case=f"FU-{tag}", due_in=-timedelta(days=1))
    with agency_transaction(tenant_a.agency.id):
        FollowUp.objects.filter(pk=done.pk).update(
            completed_at=timezone.now(), completed_by=tenant_a.users["supervisor"], note="Done."
        )
    foreign = follow_up_of(
        tenant_b, tenant_b.users["investigator"], case=f"FU-{tag}", due_in=timedelta(days=1)
    )

    page = supervisor.get(f"/follow-ups?case_number=FU-{tag}").content.decode()
    assert rows(page, "data-follow-up") == [str(late.id), str(soon.id)]  # open, earliest first
    assert f'data-follow-up="{late.id}" data-state="overdue" class="overdue"' in page
    assert f'data-follow-up="{soon.id}" data-state="open"' in page
    assert "Overdue" in page and "Post-hoc review of an exigent search" in page
    assert f'href="/searches/{late.search_id}"' in page
    assert str(foreign.id) not in page
    completed = supervisor.get(f"/follow-ups?case_number=FU-{tag}&status=completed")
    assert rows(completed.content.decode(), "data-follow-up") == [str(done.id)]
    assert 'data-state="completed"' in completed.content.decode()
    every = supervisor.get(f"/follow-ups?case_number=FU-{tag}&status=all").content.decode()
    assert len(rows(every, "data-follow-up")) == 3
    kinds = supervisor.get(f"/follow-ups?case_number=FU-{tag}&kind=supervisor_notification")
    assert rows(kinds.content.decode(), "data-follow-up") == [str(soon.id)]
    assert supervisor.get("/follow-ups?kind=nonsense").status_code == 400
    assert supervisor.get(f"/follow-ups/{foreign.id}").status_code == 404
    detail = supervisor.get(f"/follow-ups/{late.id}").content.decode()
    assert 'data-state="overdue"' in detail and "follow-up-form" in detail

    compliance, _ = signed(tenant_a, "compliance_officer")
    assert compliance.get(f"/follow-ups?case_number=FU-{tag}").status_code == 200
    for role in ("investigator", "analyst", "agency_admin", "auditor"):
        client, _ = signed(tenant_a, role)
        assert client.get("/follow-ups").status_code == 404, role
        assert client.get(f"/follow-ups/{late.id}").status_code == 404, role
        assert 'href="/follow-ups"' not in client.get("/").content.decode(), role


def completions(tenant: Tenant, follow_up: FollowUp) -> list[AuditEvent]:
    with agency_transaction(tenant.agency.id):
        return list(
            AuditEvent.objects.filter(
                agency_id=tenant.agency.id,
                action="follow_up.completed",
                object_id=str(follow_up.id),
            )
        )


def test_completing_a_follow_up_asks_to_confirm_and_is_audited(tenant_a: Tenant) -> None:
    supervisor, staff = signed(tenant_a, "supervisor")
    task = follow_up_of(tenant_a, staff_create(tenant_a).user, case="FU-C", due_in=timedelta(1))
    note = {"note": "Reviewed the exigent search with the officer."}
    response = supervisor.post(f"/follow-ups/{task.id}", note)
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert completions(tenant_a, task) == []
    confirm(supervisor, staff)
    empty = supervisor.post(f"/follow-ups/{task.id}", {"note": ""})
    assert empty.status_code == 400 and 'id="id_note_errors"' in empty.content.decode()
    assert supervisor.post(f"/follow-ups/{task.id}", note).status_code == 302
    (event,) = completions(tenant_a, task)
    assert event.actor == staff.user.username
    page = supervisor.get(f"/follow-ups/{task.id}").content.decode()
    assert f'data-completed-by="{staff.user.username}"' in page and note["note"] in page
    assert "follow-up-form" not in page
    again = supervisor.post(f"/follow-ups/{task.id}", note)
    assert again.status_code == 409 and len(completions(tenant_a, task)) == 1


def test_the_requester_cannot_complete_their_searchs_follow_up(tenant_a: Tenant) -> None:
    supervisor, staff = signed(tenant_a, "supervisor")
    task = follow_up_of(tenant_a, staff.user, case="FU-OWN", due_in=timedelta(1))
    page = supervisor.get(f"/follow-ups/{task.id}").content.decode()
    assert "follow-up-form" not in page and "You requested this search" in page
    confirm(supervisor, staff)
    assert supervisor.post(f"/follow-ups/{task.id}", {"note": "Mine."}).status_code == 403
    assert completions(tenant_a, task) == []


def test_records_awaiting_my_verification(tenant_a: Tenant) -> None:
    supervisor, me = signed(tenant_a, "supervisor")
    other = staff_create(tenant_a).user
    theirs = a_warrant(tenant_a, other, RecordStatus.PENDING)
    mine = a_warrant(tenant_a, me.user, RecordStatus.PENDING)
    verified = a_warrant(tenant_a, other, RecordStatus.VERIFIED)
    page = supervisor.get("/authorities?awaiting=me").content.decode()
    found = rows(page, "data-record")
    assert str(theirs.id) in found
    assert str(mine.id) not in found and str(verified.id) not in found
    assert 'name="awaiting" value="me" checked' in page
    everything = rows(supervisor.get("/authorities").content.decode(), "data-record")
    assert {str(theirs.id), str(mine.id), str(verified.id)} <= set(everything)
    # Roles that do not verify get no such filter, and asking for it filters nothing.
    compliance, _ = signed(tenant_a, "compliance_officer")
    plain = compliance.get("/authorities?awaiting=me").content.decode()
    assert 'name="awaiting"' not in plain
    assert str(verified.id) in rows(plain, "data-record")


def test_navigation_shows_each_list_to_the_roles_it_serves(tenant_a: Tenant) -> None:
    expected = {
        "investigator": {"/searches/new", "/reviews", "/authorities", "/oversight/grants"},
        "supervisor": {"/searches", "/follow-ups", "/reviews", "/authorities"},
        "compliance_officer": {"/searches", "/follow-ups", "/authorities", "/policy/revisions"},
        "auditor": {"/searches", "/authorities", "/oversight/grants"},
        "agency_admin": {"/agency/users", "/oversight/grants"},
    }
    every = set().union(*expected.values())
    for role, links in expected.items():
        client, _ = signed(tenant_a, role)
        nav = client.get("/").content.decode().split("<nav", 1)[1].split("</nav>", 1)[0]
        shown = set(re.findall(r'href="([^"]+)"', nav)) & every
        assert links <= shown, (role, links - shown)
        # Grants naming the agency are readable by all its staff (the page checks no role).
        assert client.get("/oversight/grants").status_code == 200, role
    supervisor_nav = {"/searches", "/follow-ups"}
    client, _ = signed(tenant_a, "investigator")
    nav = client.get("/").content.decode().split("<nav", 1)[1].split("</nav>", 1)[0]
    assert not supervisor_nav & set(re.findall(r'href="([^"]+)"', nav))
