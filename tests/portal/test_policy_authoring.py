"""The authoring pages' reading aids: differences, decisions under a revision, reason pages,
and a data document that does not parse (a form error, never a server error)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.test import Client, override_settings
from django.utils import timezone, translation

from policy.models import PolicyActivation, PolicyDecision, PolicyRevision
from policy.revisions.selectors import revision_active
from portal.reasons import REASON_MESSAGES
from tenants.context import agency_transaction
from tests.conftest import Tenant
from tests.portal.conftest import sign_in, staff_create

pytestmark = pytest.mark.django_db


def _officer(tenant: Tenant) -> Client:
    client = Client()
    sign_in(client, staff_create(tenant, "compliance_officer"))
    return client


def _draft(client: Client) -> tuple[str, PolicyRevision]:
    created = client.post("/policy/revisions", {"scope": "baseline"})
    assert created.status_code == 302
    url = created["Location"]
    return url, PolicyRevision.objects.get(id=url.rsplit("/", 1)[1])


def _decision(tenant: Tenant, bundle_revision: str, codes: list[str], **extra: Any) -> Any:
    with agency_transaction(tenant.agency.id):
        return PolicyDecision.objects.create(
            agency=tenant.agency,
            engine="regorus",
            bundle_revision=bundle_revision,
            input={},
            input_digest="0" * 64,
            allow=not codes,
            reasons=[{"code": c, "message": c, "authority": ""} for c in codes],
            latency_ms=1.0,
            **extra,
        )


def _in_force_bundle() -> tuple[PolicyRevision, str]:
    active = revision_active(scope="baseline", agency_id=None)
    assert active is not None
    activation = PolicyActivation.objects.filter(revision_ids__contains=[str(active.id)]).latest(
        "id"
    )
    return active, activation.bundle_revision


def test_a_data_document_that_does_not_parse_is_a_400_with_its_line_and_column(
    tenant_a: Tenant,
) -> None:
    client = _officer(tenant_a)
    with override_settings(POLICY_NATIONAL_AGENCIES=[tenant_a.agency.id]):
        url, revision = _draft(client)
        broken = '{\n  "fr": {\n    "config": ,\n  }\n}'
        response = client.post(url, {"action": "save", "data": broken})
    assert response.status_code == 400
    page = response.content.decode()
    assert "line 3, column 15" in page, page[page.find('id="data-status"') :][:400]
    assert 'aria-invalid="true"' in page
    assert "&quot;config&quot;: ," in page  # the text as posted, to correct it
    assert PolicyRevision.objects.get(id=revision.id).data == revision.data


def test_the_revision_page_shows_the_differences_from_the_revision_in_force(
    tenant_a: Tenant,
) -> None:
    client = _officer(tenant_a)
    with override_settings(POLICY_NATIONAL_AGENCIES=[tenant_a.agency.id]):
        url, revision = _draft(client)
        unchanged = client.get(url).content.decode()
        assert "No difference: same modules and data document." in unchanged
        data = json.loads(json.dumps(revision.data))
        data["fr"]["config"]["justification_min_chars"] = 21
        module = "fr/baseline/youth.rego"
        text = revision.modules[module] + "\n# A note on youth.\n"
        saved = client.post(
            url, {"action": "save", "path": module, "text": text, "data": json.dumps(data)}
        )
        assert saved.status_code == 302
        page = client.get(url).content.decode()
    active, _ = _in_force_bundle()
    assert "Compared with the revision in force:" in page
    assert f'<a href="/policy/revisions/{active.id}">#{active.number}</a>' in page
    data_table = page[page.find('<table class="diff" data-path="data.json">') :]
    data_table = data_table[: data_table.find("</table>")]
    assert data_table, page[page.find('class="compared"') :][:1500]
    assert '"justification_min_chars": 20' in data_table.replace("&quot;", '"')
    assert '"justification_min_chars": 21' in data_table.replace("&quot;", '"')
    changed = [row for row in data_table.split("<tr") if 'class="changed"' in row]
    assert len(changed) == 1
    assert "<del>" in changed[0] and "<ins>" in changed[0] and "changed</td>" in changed[0]
    module_table = page[page.find(f'<table class="diff" data-path="{module}">') :]
    module_table = module_table[: module_table.find("</table>")]
    added = [row for row in module_table.split("<tr") if 'class="added"' in row]
    assert any("# A note on youth." in row and "added</td>" in row for row in added)
    assert 'data-path="fr/baseline/request.rego"' not in page  # unchanged files are left out


def test_a_revision_in_force_lists_the_agencys_decisions_made_under_it(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    active, bundle = _in_force_bundle()
    search_id = uuid.uuid4()
    ours = _decision(tenant_a, bundle, ["justification_insufficient"], search_id=search_id)
    _decision(tenant_a, bundle, [])
    _decision(tenant_a, "sha256:" + "f" * 32, ["case_number_missing"])  # another bundle
    _decision(tenant_b, bundle, ["case_number_missing"])  # another agency
    client = _officer(tenant_a)
    with override_settings(POLICY_NATIONAL_AGENCIES=[tenant_a.agency.id]):
        page = client.get(f"/policy/revisions/{active.id}").content.decode()
    assert 'data-decision-count="2"' in page, page[page.find('class="history"') :][:800]
    assert f'href="/searches/{search_id}"' in page
    assert 'href="/policy/reasons/justification_insufficient"' in page
    assert "case_number_missing" not in page[page.find('class="history"') :]
    assert f">{ours.search_id}</a>" in page
    overlay = client.post("/policy/revisions", {"scope": "overlay"})
    draft_page = client.get(overlay["Location"]).content.decode()
    assert "This revision has not been in force." in draft_page


def test_a_reason_page_shows_message_authority_rule_and_recent_count(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    _, bundle = _in_force_bundle()
    for _ in range(2):
        _decision(tenant_a, bundle, ["justification_insufficient"])
    month_ago = timezone.now() - timedelta(days=31)
    with mock.patch("django.utils.timezone.now", return_value=month_ago):
        old = _decision(tenant_a, bundle, ["justification_insufficient"])
    assert old.created_at == month_ago  # decisions are never updated: recorded a month ago
    _decision(tenant_b, bundle, ["justification_insufficient"])
    client = _officer(tenant_a)
    response = client.get("/policy/reasons/justification_insufficient")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Record why FR is necessary and proportionate for this search." in page
    assert "OPC FR guidance (necessity and proportionality)" in page
    assert "A-03" in page
    assert "deny contains &quot;justification_insufficient&quot; if {" in page
    assert "# METADATA" in page and "_config.justification_min_chars" in page
    assert 'data-reason-count="2"' in page

    client.post("/i18n/setlang/", {"language": "fr-ca", "next": "/"})
    french = client.get("/policy/reasons/justification_insufficient").content.decode()
    with translation.override("fr-ca"):
        message = str(REASON_MESSAGES["justification_insufficient"])
    assert message in french.replace("&#x27;", "'")
    assert "Autorité légale" in french and "Règles en vigueur" in french

    assert client.get("/policy/reasons/no_such_reason").status_code == 404
    assert client.get("/policy/reasons/Not-A-Code").status_code == 404
    investigator = Client()
    sign_in(investigator, staff_create(tenant_a))
    assert investigator.get("/policy/reasons/justification_insufficient").status_code == 404


def test_only_the_editor_page_admits_a_stylesheet_by_nonce_and_no_page_an_inline_script(
    tenant_a: Tenant,
) -> None:
    client = _officer(tenant_a)
    with override_settings(POLICY_NATIONAL_AGENCIES=[tenant_a.agency.id]):
        url, _ = _draft(client)
        editor = client.get(url)
        listing = client.get("/policy/revisions")
    policy = editor["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    style = directives["style-src"].split()
    assert style[0] == "'self'" and len(style) == 2 and style[1].startswith("'nonce-")
    assert f'nonce="{style[1][7:-1]}"' in editor.content.decode()  # on the editor's script
    assert "style-src 'self';" in listing["Content-Security-Policy"] + ";"
    assert "nonce" not in listing["Content-Security-Policy"]
