"""The policy authoring pages: the same checks and four-eyes rules as the services and API."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings

from policy.models import PolicyRevision, RevisionStatus
from tests.conftest import Tenant
from tests.portal.conftest import sign_in, staff_create


@pytest.mark.django_db
def test_an_officer_cannot_approve_own_revision_on_the_page_and_a_colleague_can(
    tenant_a: Tenant,
) -> None:
    author, colleague = (staff_create(tenant_a, "compliance_officer") for _ in range(2))
    first, second = Client(), Client()
    sign_in(first, author)
    sign_in(second, colleague)
    with override_settings(POLICY_NATIONAL_AGENCIES=[tenant_a.agency.id]):
        listing = first.get("/policy/revisions")
        assert listing.status_code == 200
        assert "National baseline" in listing.content.decode()
        created = first.post("/policy/revisions", {"scope": "baseline"})
        assert created.status_code == 302
        page_url = created["Location"]
        revision = PolicyRevision.objects.get(id=page_url.rsplit("/", 1)[1])

        module = "fr/baseline/youth.rego"
        broken = revision.modules[module] + "\nbroken := {\n"
        first.post(
            page_url, {"action": "save", "path": module, "text": broken, "data": '{"fr": {}}'}
        )
        page = first.get(page_url).content.decode()
        assert "parse:" in page and 'class="flagged"' in page, page[page.find("<main") :][:1500]
        # The author edits the draft in the editor: above it, only the lines the checks flagged,
        # not the whole text a second time.
        editors = page.count('data-editor="rego"')
        assert editors == len(revision.modules) and '<table class="code">' not in page
        assert page.count('<table class="code findings">') == 1
        flagged = page[page.index('<table class="code findings">') :]
        flagged = flagged[: flagged.index("</table>")]
        assert flagged.count("<tr ") == 1 and "parse:" in flagged
        # A colleague, who cannot edit it, reads the whole text with its line numbers.
        theirs = second.get(page_url).content.decode()
        assert 'data-editor="rego"' not in theirs
        assert theirs.count('<table class="code">') == len(revision.modules)
        first.post(page_url, {"action": "submit", "comment": ""})
        assert PolicyRevision.objects.get(id=revision.id).status == RevisionStatus.DRAFT
        assert "revision_checks_failed" in first.get(page_url).content.decode()

        first.post(
            page_url,
            {
                "action": "save",
                "path": module,
                "text": revision.modules[module],
                "data": json.dumps(revision.data),
            },
        )
        first.post(page_url, {"action": "submit", "comment": ""})
        assert PolicyRevision.objects.get(id=revision.id).status == RevisionStatus.SUBMITTED
        submitted = first.get(page_url).content.decode()
        assert 'data-editor="rego"' not in submitted, "a submitted revision is read-only"
        assert submitted.count('<table class="code">') == len(revision.modules)
        first.post(page_url, {"action": "approve", "comment": "my own"})
        assert "revision_self_approval" in first.get(page_url).content.decode()
        assert PolicyRevision.objects.get(id=revision.id).status == RevisionStatus.SUBMITTED
        second.post(page_url, {"action": "approve", "comment": "Checked the text."})
        assert PolicyRevision.objects.get(id=revision.id).status == RevisionStatus.APPROVED


@pytest.mark.django_db
def test_staff_without_the_role_and_other_agencies_get_404(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    investigator = staff_create(tenant_a)
    client = Client()
    sign_in(client, investigator)
    assert client.get("/policy/revisions").status_code == 404
    with override_settings(POLICY_NATIONAL_AGENCIES=[tenant_a.agency.id]):
        seed = PolicyRevision.objects.get(number=1, scope="baseline")
        outsider = staff_create(tenant_b, "compliance_officer")
        other = Client()
        sign_in(other, outsider)
        assert other.get(f"/policy/revisions/{seed.id}").status_code == 404
