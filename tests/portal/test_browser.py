"""The portal in a real Chromium: sign-in with TOTP, searches denied and allowed, French, 404s.

The server is Django's threaded WSGI server in this process, on the test database, with the
real Celery worker; the browser is Debian's chromium driven by Playwright. Every page is checked
with axe-core (no serious or critical violation) and for Content-Security-Policy violations, and
its screenshot is written to var/screenshots/ (to docs/screenshots/, the README's copies, when
PROBITY_SCREENSHOTS_DIR=docs/screenshots is set), so an ordinary run leaves the work tree clean.
"""

from __future__ import annotations

import io
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from PIL import Image

from tests.conftest import PHOTOS, Tenant, side_by_side
from tests.portal.conftest import Staff, staff_create

pytestmark = [pytest.mark.browser, pytest.mark.worker]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(settings.BASE_DIR) / os.environ.get("PROBITY_SCREENSHOTS_DIR", "var/screenshots")
VIEWPORT = {"width": 1100, "height": 820}


class Portal:
    """One person's browser tab on the portal, with the checks every page gets."""

    def __init__(self, browser: Any, base: str, locale: str = "en-CA") -> None:
        self.context = browser.new_context(viewport=VIEWPORT, locale=locale)
        self.page = self.context.new_page()
        self.base = base
        self.csp_violations: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def check(self, shot: str | None = None, *, full_page: bool = True) -> None:
        """Assert no CSP violation and no serious accessibility problem; save a screenshot."""
        assert self.csp_violations == []
        self.page.evaluate(AXE.read_text())
        result = self.page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["html"][:120] for n in v["nodes"][:3])
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], f"{self.page.url}: {serious}"
        if shot:
            SHOTS.mkdir(parents=True, exist_ok=True)
            png = self.page.screenshot(full_page=full_page)
            # A 64-colour palette keeps the committed images small and the text crisp.
            image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64)
            image.save(SHOTS / f"{shot}.png", optimize=True)

    def sign_in(self, staff: Staff, *, shots: str | None = None) -> None:
        self.goto("/")
        assert "/accounts/login/" in self.page.url
        self.check(f"{shots}-sign-in" if shots else None)
        self.page.fill("#id_login", staff.user.username)
        self.page.fill("#id_password", staff.password)
        self.page.click("main form button[type=submit]")
        self.page.wait_for_url("**/accounts/2fa/authenticate/**")
        self.page.fill("input[name=code]", staff.code())
        self.check(f"{shots}-second-factor" if shots else None)
        self.page.click("main form button[type=submit]")
        self.page.wait_for_url(self.base + "/")

    def new_search(
        self,
        *,
        purpose: str = "criminal_investigation",
        justification: str = "Armed robbery suspect captured on store CCTV; no other leads.",
        probe: Path = PHOTOS / "obama3.jpg",
        shot: str | None = None,
    ) -> None:
        self.page.click("nav a[href='/searches/new']")
        self.page.wait_for_url("**/searches/new")
        # Other tests add galleries to the same agency: name the one that holds the faces.
        self.page.select_option("#id_gallery", "booking")
        self.page.fill("#id_case_number", "2026-123456")
        self.page.select_option("#id_purpose", purpose)
        self.page.select_option("#id_offence_category", "robbery")
        self.page.fill("#id_offence_code", "CC 344")
        self.page.fill("#id_justification", justification)
        self.page.set_input_files("#id_probe", str(probe))
        self.page.select_option("#id_probe_source", "cctv")
        self.page.fill("#id_probe_captured_at", "2026-11-20T14:30")
        self.page.select_option("#id_probe_collected_in", "CA-ON")
        self.page.fill("#id_probe_collected_municipality", "Toronto")
        self.page.check("input[name=probe_subject_believed_minor][value=false]")
        self.check(shot)
        self.page.click("form.search-form button[type=submit]")
        self.page.wait_for_url("**/searches/*-*")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def staff_committed(committed: None) -> Any:
    """Create committed staff (the server's threads must see them)."""
    return staff_create


def test_sign_in_with_totp_then_a_denied_search_shows_every_reason(
    chromium: Any, portal_url: str, tenant_a: Tenant, staff_committed: Any
) -> None:
    staff = staff_committed(tenant_a)
    portal = Portal(chromium, portal_url)
    portal.sign_in(staff, shots="en")
    portal.new_search(purpose="protest_monitoring", justification="Crowd.", shot="en-new-search")
    page = portal.page
    assert page.locator("[data-status]").get_attribute("data-status") == "denied"
    reasons = page.locator(".decision.denied .reasons > li")
    texts = reasons.all_inner_texts()
    assert any("Purpose is prohibited for police FR." in t for t in texts)
    assert any("justification_insufficient" in t for t in texts)
    assert all("Legal authority:" in t for t in texts)
    assert page.locator(".lead-only").is_visible()
    portal.check("en-search-denied")
    page.click("nav a[href='/']")
    assert page.locator("table.list tbody tr").count() == 1
    portal.check("en-my-searches")
    page.click("nav a[href='/tokens']")
    portal.check("en-tokens")
    portal.close()


def test_an_allowed_search_shows_its_progress_to_awaiting_review(
    chromium: Any, portal_url: str, tenant_a: Tenant, staff_committed: Any
) -> None:
    staff = staff_committed(tenant_a)
    portal = Portal(chromium, portal_url)
    portal.sign_in(staff)
    portal.new_search()
    page = portal.page
    first = page.locator("[data-status]").get_attribute("data-status")
    assert first in ("queued", "running", "awaiting_review")
    # htmx polls the live part of the page: no reload.
    page.wait_for_selector("[data-status=awaiting_review]", timeout=90_000)
    rows = page.locator("table.list tbody tr")
    assert rows.count() >= 1, _search_facts(tenant_a.agency.id, page.url.rsplit("/", 1)[-1])
    assert rows.first.inner_text().startswith("1")
    assert "obama" in page.locator("table.list tbody").inner_text()
    assert page.locator(".decision.notes").is_visible()
    portal.check("en-search-awaiting-review")
    portal.close()


def test_sign_in_and_denial_in_french(
    chromium: Any, portal_url: str, tenant_a: Tenant, staff_committed: Any
) -> None:
    staff = staff_committed(tenant_a)
    portal = Portal(chromium, portal_url, locale="fr-CA")
    portal.sign_in(staff, shots="fr")
    page = portal.page
    assert page.locator("html").get_attribute("lang") == "fr-ca"
    assert page.locator("h1").inner_text() == "Mes recherches"
    portal.new_search(purpose="protest_monitoring", justification="Foule.", shot="fr-new-search")
    texts = page.locator(".decision.denied .reasons > li").all_inner_texts()
    assert any(
        "Cette fin est interdite pour la reconnaissance faciale policière." in t for t in texts
    )
    assert all("Fondement juridique" in t for t in texts)
    assert "Piste d'enquête seulement" in page.locator(".lead-only").inner_text()
    portal.check("fr-search-denied")
    page.click("nav a[href='/']")
    portal.check("fr-my-searches")
    # The language switch takes the person back to English on the same page.
    page.click("button[name=language][value=en-ca]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "My searches"
    portal.close()


def test_another_agencys_search_url_answers_not_found(
    chromium: Any, portal_url: str, tenant_a: Tenant, tenant_b: Tenant, staff_committed: Any
) -> None:
    from matching.searches import SearchRequest, search_submit

    foreign = staff_committed(tenant_b)
    search = search_submit(
        user=foreign.user,
        mfa_verified=True,
        request=SearchRequest(
            gallery="booking",
            purpose="protest_monitoring",
            case_number="QC-1",
            justification="Foule au centre-ville.",
            probe={
                "source": "cctv",
                "collected_in": "CA-QC",
                "collected_municipality": "Montréal",
                "subject_believed_minor": False,
                "captured_at": "2026-11-20T14:30:00-05:00",
            },
        ),
        probe_bytes=(PHOTOS / "obama3.jpg").read_bytes(),
        probe_content_type="image/jpeg",
    )
    staff = staff_committed(tenant_a)
    portal = Portal(chromium, portal_url)
    portal.sign_in(staff)
    assert portal.goto(f"/searches/{search.id}").status == 404
    assert portal.goto(f"/searches/{search.id}/live").status == 404
    assert portal.goto(f"/searches/{uuid.uuid4()}").status == 404
    portal.close()


def test_a_token_is_issued_only_after_confirming_the_password(
    chromium: Any, portal_url: str, tenant_a: Tenant, staff_committed: Any
) -> None:
    staff = staff_committed(tenant_a)
    portal = Portal(chromium, portal_url)
    portal.sign_in(staff)
    page = portal.page
    page.click("nav a[href='/tokens']")
    page.fill("#id_label", "case-management export")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/reauthenticate/**")
    portal.check("en-confirm-password")
    page.fill("input[name=password]", staff.password)
    # Once confirmed, allauth resumes the request that asked for the token.
    page.click("main form button[type=submit]")
    page.wait_for_selector("code.token")
    token = page.locator("code.token").inner_text()
    assert token.startswith("prb_")
    assert "case-management export" in page.locator("table.list").inner_text()
    portal.check()
    portal.close()


def test_field_errors_show_beside_the_fields(
    chromium: Any, portal_url: str, tenant_a: Tenant, staff_committed: Any
) -> None:
    staff = staff_committed(tenant_a)
    portal = Portal(chromium, portal_url)
    portal.sign_in(staff)
    page = portal.page
    page.click("nav a[href='/searches/new']")
    page.fill("#id_case_number", "2026-123456")
    page.click("form.search-form button[type=submit]")
    for field in ("probe", "purpose", "justification", "probe_source"):
        error = page.locator(f"#id_{field}_errors")
        assert error.is_visible(), field
        control = page.locator(f"#id_{field}")
        assert control.get_attribute("aria-invalid") == "true"
        assert f"id_{field}_errors" in (control.get_attribute("aria-describedby") or "")
    assert page.locator("#id_case_number").input_value() == "2026-123456"
    portal.check("en-new-search-errors")
    portal.close()


def test_a_security_key_is_a_second_factor(
    chromium: Any, portal_url: str, tenant_a: Tenant, staff_committed: Any
) -> None:
    """Enrol a (virtual) security key, then sign in with it instead of a TOTP code."""
    from tenants.second_factor import user_has_second_factor

    staff = staff_committed(tenant_a)
    # WebAuthn needs a secure context and a domain as relying party: http://localhost is both.
    portal = Portal(chromium, portal_url.replace("127.0.0.1", "localhost"))
    cdp = portal.context.new_cdp_session(portal.page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]
    portal.sign_in(staff)
    page = portal.page
    portal.goto("/accounts/2fa/webauthn/add/")
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.fill("input[name=password]", staff.password)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/2fa/webauthn/add/**")
    page.fill("input[name=name]", "Desk key")
    portal.check()
    page.click("#mfa_webauthn_add")
    page.wait_for_url(lambda url: "/webauthn/add" not in url)
    assert cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    page.click("header form[action='/accounts/logout/'] button")
    page.wait_for_load_state()

    portal.goto("/accounts/login/")
    page.fill("#id_login", staff.user.username)
    page.fill("#id_password", staff.password)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/2fa/authenticate/**")
    page.click("#mfa_webauthn_authenticate")
    page.wait_for_url(portal.base + "/")
    assert page.locator("h1").inner_text() == "My searches"
    assert user_has_second_factor(user=staff.user)
    # The policy hears that this session passed a second factor.
    portal.new_search(purpose="protest_monitoring")
    reasons = page.locator(".decision.denied").inner_text()
    assert "purpose_prohibited" in reasons and "mfa_not_verified" not in reasons
    portal.close()


def _search_facts(agency_id: str, search_id: str) -> str:
    """Say why a finished search shows no candidates (for a failing assertion)."""
    from audit.models import AuditEvent
    from matching.models import Face, Search
    from tenants.context import agency_transaction

    with agency_transaction(agency_id):
        search = Search.objects.get(id=search_id)
        events = AuditEvent.objects.filter(agency_id=agency_id, object_id=search_id)
        faces = Face.objects.filter(agency_id=agency_id, gallery_id=search.gallery_id).count()
        return (
            f"status={search.status} quarantined={search.quarantined_at} "
            f"max_distance={search.max_distance} max_candidates={search.max_candidates} "
            f"gallery={search.gallery_id} faces={faces}; "
            + "; ".join(f"{e.action} {e.data}" for e in events.order_by("seq"))
        )


def _editor_set(page: Any, content: Any, textarea: Any, text: str) -> None:
    """Replace an editor's whole text and wait for it to reach its form field.

    A fill can land before the editor has taken focus (the old text then stays after the new):
    select everything first, insert, and try again until the textarea holds exactly ``text``.
    """
    for _ in range(5):
        content.click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
        page.keyboard.insert_text(text)
        for _ in range(20):
            if textarea.input_value() == text:
                return
            time.sleep(0.1)
    raise AssertionError("the editor did not take the text")


def _wait_for_replay(portal: Portal, attempts: int = 90) -> None:
    for _ in range(attempts):
        if portal.page.locator("[data-replay-status=done]").count():
            return
        time.sleep(1)
        portal.page.reload()
    raise AssertionError("the replay did not finish")


def test_officers_change_the_baseline_with_four_eyes_and_roll_it_back(
    chromium: Any, portal_url: str, tenant_a: Tenant, staff_committed: Any
) -> None:
    from django.test import override_settings

    from policy.models import PolicyRevision

    author = staff_committed(tenant_a, "compliance_officer")
    reviewer = staff_committed(tenant_a, "compliance_officer")
    investigator = staff_committed(tenant_a)
    short = "Robbery suspect 1 AB"  # 20 characters: enough today, too short at 21
    old_line = 'allowed(patch(base, {"justification": "  Robbery suspect 1 AB  "}))'
    new_line = 'allowed(patch(base, {"justification": "  Robbery suspect 1 ABC  "}))'
    with override_settings(POLICY_NATIONAL_AGENCIES=[tenant_a.agency.id]):
        searcher = Portal(chromium, portal_url)
        searcher.sign_in(investigator)
        searcher.new_search(justification=short)
        assert searcher.page.locator("[data-status]").get_attribute("data-status") != "denied"

        a = Portal(chromium, portal_url)
        a.sign_in(author)
        a.page.click("nav a[href='/policy/revisions']")
        a.check("en-policy-revisions")
        a.page.click("button[name=scope][value=baseline]")
        a.page.wait_for_url("**/policy/revisions/*-*")
        revision_url = a.page.url
        data = json.loads(a.page.input_value("#data"))
        data["fr"]["config"]["justification_min_chars"] = 21
        # The textareas are enhanced into editors with line numbers; the textarea stays the
        # form field, and a data document that does not parse is stopped before it is sent.
        modules = a.page.locator("section.module").count()
        assert a.page.locator(".cm-editor .cm-lineNumbers").count() == modules + 1
        assert a.page.locator("section.data-document textarea").is_hidden()
        editor = a.page.locator("section.data-document .cm-content")
        data_field = a.page.locator("#data")
        _editor_set(a.page, editor, data_field, '{"fr": [')
        status = a.page.locator("#data-status")
        status.wait_for(state="visible")  # shown once the browser finds the error
        assert a.page.input_value("#data") == '{"fr": ['
        a.page.click("section.data-document button[value=save]")
        assert status.get_attribute("role") == "alert"
        assert status.inner_text().startswith("Line 1, column 9: ")
        assert a.page.url == revision_url
        a.check("en-policy-editor-invalid-json", full_page=False)
        _editor_set(a.page, editor, data_field, json.dumps(data, indent=2))
        status.wait_for(state="hidden")
        assert json.loads(a.page.input_value("#data")) == data
        a.page.click("section.data-document button[value=save]")
        a.page.wait_for_load_state()
        failing = a.page.locator(
            "tr.flagged", has_text="test_a03_boundary_19_versus_20_trimmed_characters"
        )
        assert failing.count() == 1
        assert "regorus, opa" in failing.inner_text()
        a.check("en-policy-editor-test-fails", full_page=False)
        changed = a.page.locator("table.diff[data-path='data.json'] tr.changed")
        assert changed.count() == 1
        assert "20" in changed.locator("del").inner_text()
        assert "21" in changed.locator("ins").inner_text()

        heading = a.page.locator("h2 code", has_text="fr/baseline/request_test.rego")
        module = a.page.locator("section.module", has=heading)
        module.locator(".cm-content").click()
        a.page.keyboard.press("F8")  # to the failing test's line, marked in the gutter
        assert module.locator(".cm-gutter-lint .cm-lint-marker-error").count() >= 1
        a.page.keyboard.press("Control+Shift+M")  # the findings, listed
        listed = module.locator(".cm-panel.cm-panel-lint").inner_text()
        assert "test failed on regorus, opa" in listed
        a.page.keyboard.press("Escape")
        text = module.locator("textarea").input_value()
        assert text.count(old_line) == 1
        _editor_set(
            a.page,
            module.locator(".cm-content"),
            module.locator("textarea"),
            text.replace(old_line, new_line),
        )
        assert module.locator("textarea").input_value() == text.replace(old_line, new_line)
        assert module.locator(".cm-line span:not(.cm-lintRange)").count() >= 1  # highlighted
        module.locator(".cm-content").click()
        a.check("en-policy-editor", full_page=False)
        module.locator("button[value=save]").click()
        a.page.wait_for_load_state()
        assert "Passed on both engines" in a.page.locator("dl.facts").inner_text()
        assert a.page.locator("tr.flagged").count() == 0
        assert a.page.locator(".cm-lint-marker-error").count() == 0
        module_diff = a.page.locator("table.diff[data-path='fr/baseline/request_test.rego']")
        assert "Robbery suspect 1 ABC" in module_diff.locator("tr.changed ins").inner_text()
        module_diff.scroll_into_view_if_needed()
        a.check("en-policy-diff", full_page=False)

        a.page.fill("#days", "1")
        a.page.click("button[value=replay]")
        _wait_for_replay(a)
        assert int(a.page.locator("[data-count=allow_to_deny]").inner_text()) >= 1
        assert "justification_insufficient" in a.page.locator("ul.replay-reasons").inner_text()
        a.check("en-policy-replay", full_page=False)

        # Earlier decisions of this agency may flip to allowed: a justification covers them.
        a.page.fill("#comment", "The board raised the minimum; replay reviewed line by line.")
        a.page.click("button[value=submit]")
        a.page.wait_for_load_state()
        assert "Submitted" in a.page.locator("h1").inner_text()
        assert a.page.locator("button[value=approve]").count() == 0  # never one's own

        b = Portal(chromium, portal_url)
        b.sign_in(reviewer)
        b.page.goto(revision_url)
        b.page.fill("#comment", "Matches the board's direction on justifications.")
        b.page.click("button[value=approve]")
        b.page.wait_for_load_state()
        b.page.click("button[value=activate]")
        b.page.wait_for_load_state()
        assert "Active" in b.page.locator("h1").inner_text()

        searcher.new_search(justification=short)
        assert searcher.page.locator("[data-status]").get_attribute("data-status") == "denied"
        denial = searcher.page.locator(".decision.denied").inner_text()
        assert "justification_insufficient" in denial

        seed = PolicyRevision.objects.get(scope="baseline", number=1)
        b.page.goto(f"{portal_url}/policy/revisions/{seed.id}")
        b.page.click("button[value=rollback]")
        b.page.wait_for_url("**/policy/revisions/*-*")
        rollback_url = b.page.url
        assert rollback_url != revision_url
        b.page.fill("#comment", "Restores the approved seed revision exactly as it was.")
        b.page.click("button[value=submit]")
        b.page.wait_for_load_state()
        a.page.goto(rollback_url)
        a.page.fill("#comment", "Restore the previous minimum.")
        a.page.click("button[value=approve]")
        a.page.wait_for_load_state()
        a.page.click("button[value=activate]")
        a.page.wait_for_load_state()
        assert "Active" in a.page.locator("h1").inner_text()

        searcher.new_search(justification=short)
        assert searcher.page.locator("[data-status]").get_attribute("data-status") != "denied"

        a.page.click("nav a[href='/policy/revisions']")
        a.check("en-policy-history")
        french = Portal(chromium, portal_url, locale="fr-CA")
        french.sign_in(reviewer)
        french.page.click("nav a[href='/policy/revisions']")
        assert french.page.locator("h1").inner_text() == "Révisions de la politique"
        french.check("fr-policy-history")
        french.page.goto(revision_url)
        assert "Réussies sur les deux moteurs" in french.page.locator("dl.facts").inner_text()
        french.check("fr-policy-replay", full_page=False)
        french.page.goto(f"{portal_url}/policy/reasons/justification_insufficient")
        assert "Règles en vigueur" in french.page.locator("main").inner_text()
        french.check("fr-policy-reason")
        french.page.goto(f"{portal_url}/policy/revisions")
        french.page.click("button[name=scope][value=baseline]")
        french.page.wait_for_url("**/policy/revisions/*-*")
        _editor_set(
            french.page,
            french.page.locator("section.data-document .cm-content"),
            french.page.locator("#data"),
            '{"fr": [}',
        )
        french.page.click("section.data-document button[value=save]")
        assert french.page.locator("#data-status").inner_text().startswith("Ligne 1, colonne 9")
        french.check("fr-policy-editor", full_page=False)
        a.page.goto(revision_url)
        made = a.page.locator("[data-decision-count]").get_attribute("data-decision-count")
        assert int(made or 0) >= 1
        a.page.click("section.history a[href='/policy/reasons/justification_insufficient']")
        a.page.wait_for_url("**/policy/reasons/justification_insufficient")
        gave = a.page.locator("[data-reason-count]").get_attribute("data-reason-count")
        assert int(gave or 0) >= 1
        a.check("en-policy-reason")
        for portal in (searcher, a, b, french):
            portal.close()


def test_an_investigator_reviews_then_a_supervisor_confirms_from_the_queue(
    chromium: Any, portal_url: str, tenant_a: Tenant, staff_committed: Any
) -> None:
    investigator = staff_committed(tenant_a)
    supervisor = staff_committed(tenant_a, "supervisor")
    searcher = Portal(chromium, portal_url)
    searcher.sign_in(investigator)
    searcher.new_search()
    page = searcher.page
    page.wait_for_selector("[data-status=awaiting_review]", timeout=90_000)
    search_id = page.url.rsplit("/", 1)[-1]
    assert page.locator("table.list tbody tr").first.locator(".blind").is_visible()
    page.click("table.list a[data-rank='1']")
    page.wait_for_url(f"**/searches/{search_id}/candidates/1")
    _both_images_side_by_side(searcher)
    # A blind first look: the rank, never the similarity or another reviewer's verdict.
    assert "Shown once you have reviewed" in page.locator("[data-similarity]").inner_text()
    assert page.locator("section.reviews").count() == 0
    searcher.check("en-candidate-review-blind")
    page.check("input[name=disposition][value=possible_match]")
    page.fill("#id_note", "Same ear shape and hairline; no visible scar on either.")
    page.click("form.review button[type=submit]")
    page.wait_for_selector("section.reviews")
    assert page.locator("[data-review=possible_match]").count() == 1
    assert page.locator("[data-disposition]").get_attribute("data-disposition") == "pending"
    assert "Shown once" not in page.locator("[data-similarity]").inner_text()
    _both_images_side_by_side(searcher)
    searcher.check("en-candidate-reviewed")

    boss = Portal(chromium, portal_url)
    boss.sign_in(supervisor)
    boss.page.click("nav a[href='/reviews']")
    boss.page.wait_for_url("**/reviews")
    # The queue runs oldest first and other tests leave work in this agency: the newest search
    # is on the last page (a page past the end shows the last).
    boss.goto("/reviews?page=9999")
    entry = boss.page.locator(f"a[data-search='{search_id}'][data-rank='1']")
    assert entry.inner_text().startswith("Second review")
    boss.check("en-review-queue")
    entry.click()
    boss.page.wait_for_url(f"**/searches/{search_id}/candidates/1")
    _both_images_side_by_side(boss)
    assert boss.page.locator("section.reviews").count() == 0  # the first verdict stays hidden
    assert boss.page.locator("[data-stage=second]").is_visible()
    boss.check("en-candidate-second-review")

    boss.page.click("button[name=language][value=fr-ca]")
    boss.page.wait_for_load_state()
    assert boss.page.locator("h1").inner_text().startswith("Candidat 1 sur")
    _both_images_side_by_side(boss)
    boss.check("fr-candidate-second-review")
    boss.page.check("input[name=disposition][value=possible_match]")
    boss.page.fill("#id_note", "Même forme d'oreille et même implantation des cheveux.")
    boss.page.click("form.review button[type=submit]")
    # The second review decides the candidate: the reviewer confirms who they are, and the
    # review they sent is then recorded as sent.
    boss.page.wait_for_url("**/accounts/reauthenticate/**")
    boss.check("fr-confirm-password-second-review")
    boss.page.fill("input[name=password]", supervisor.password)
    boss.page.click("main form button[type=submit]")
    boss.page.wait_for_selector("section.reviews")
    assert boss.page.locator("[data-disposition]").get_attribute("data-disposition") == (
        "possible_match"
    )
    assert boss.page.locator("[data-review=possible_match]").count() == 2
    assert "Votre examen est enregistré." in boss.page.locator(".messages").inner_text()
    _both_images_side_by_side(boss)
    boss.check("fr-candidate-confirmed")
    boss.page.click("nav a[href='/reviews']")
    assert boss.page.locator(f"a[data-search='{search_id}'][data-rank='1']").count() == 0
    boss.check("fr-review-queue")
    for portal in (searcher, boss):
        portal.close()


def _both_images_side_by_side(portal: Portal) -> None:
    """Assert the probe and the enrolled photo loaded and sit on one row, probe first."""
    probe = portal.page.locator("figure.probe img")
    enrolled = portal.page.locator("figure.enrolled img")
    for image in (probe, enrolled):
        image.wait_for()
        portal.page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
    left, right = probe.bounding_box(), enrolled.bounding_box()
    assert left is not None and right is not None
    assert abs(left["y"] - right["y"]) < 1 and left["x"] + left["width"] <= right["x"]


def _choose_face_page(portal: Portal, probe: Path) -> Any:
    """Submit a probe with several faces and wait for the page to offer the choice."""
    page = portal.page
    portal.new_search(probe=probe)
    page.wait_for_selector("[data-status=awaiting_face_choice]", timeout=90_000)
    page.wait_for_function(
        "() => { const i = document.querySelector('.probe-frame img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    return page


def _on_the_picture(page: Any) -> list[dict[str, float]]:
    """Return each face box's place on screen, checking that it lies on the picture."""
    picture = page.locator(".probe-frame img").bounding_box()
    boxes = [page.locator(f"rect[data-face='{i}']").bounding_box() for i in range(2)]
    for box in boxes:
        assert box["width"] > 20 and box["height"] > 20
        right, bottom = picture["x"] + picture["width"], picture["y"] + picture["height"]
        assert picture["x"] <= box["x"] and box["x"] + box["width"] <= right + 1
        assert picture["y"] <= box["y"] and box["y"] + box["height"] <= bottom + 1
    return boxes


def test_an_investigator_picks_the_left_face_of_a_two_face_probe(
    chromium: Any, portal_url: str, tenant_a: Tenant, staff_committed: Any, tmp_path: Path
) -> None:
    probe = tmp_path / "two-faces.jpg"
    probe.write_bytes(side_by_side("obama3.jpg", "biden.jpg"))
    staff = staff_committed(tenant_a)
    portal = Portal(chromium, portal_url)
    portal.sign_in(staff)
    page = _choose_face_page(portal, probe)
    assert page.locator("[data-status]").get_attribute("hx-get") is None
    boxes = _on_the_picture(page)
    first, second = (page.get_by_role("radio", name=f"Face {n} of 2") for n in (1, 2))
    # The keyboard moves between the faces like any radio group.
    first.focus()
    page.keyboard.press("ArrowRight")
    assert second.is_checked() and not first.is_checked()
    portal.check("en-face-choice")
    left = min(range(2), key=lambda i: boxes[i]["x"])
    page.locator(f"rect[data-face='{left}']").click()
    assert page.locator(f"input[name=face][value='{left}']").is_checked()
    portal.check("en-face-chosen", full_page=False)
    page.click(".face-choice button[type=submit]")
    page.wait_for_selector("[data-status=awaiting_review]", timeout=90_000)
    rows = page.locator("table.list tbody tr")
    assert rows.first.inner_text().startswith("1")
    assert "obama" in rows.first.inner_text()
    portal.check("en-face-choice-result")
    portal.close()


def test_the_face_choice_reads_in_french(
    chromium: Any, portal_url: str, tenant_a: Tenant, staff_committed: Any, tmp_path: Path
) -> None:
    probe = tmp_path / "deux-visages.jpg"
    probe.write_bytes(side_by_side("obama3.jpg", "biden.jpg"))
    staff = staff_committed(tenant_a)
    portal = Portal(chromium, portal_url, locale="fr-CA")
    portal.sign_in(staff)
    page = _choose_face_page(portal, probe)
    _on_the_picture(page)
    assert page.get_by_role("radio", name="Visage 2 sur 2").count() == 1
    assert "Choisissez le visage à rechercher" in page.locator(".face-choice h2").inner_text()
    page.click(".face-choice button[type=submit]")  # nothing chosen
    page.wait_for_selector("#face-choice-error")
    error = page.locator("#face-choice-error").inner_text()
    assert "Choisissez l'un des visages encadrés." in error
    portal.check("fr-face-choice")
    portal.close()


@pytest.mark.parametrize("locale", ["en-CA", "fr-CA"])
def test_a_two_face_probe_from_its_face_choice_to_a_final_disposition(
    chromium: Any,
    portal_url: str,
    tenant_a: Tenant,
    staff_committed: Any,
    tmp_path: Path,
    locale: str,
) -> None:
    """The whole of one search in the browser, in one language: choose, follow, review twice."""
    language = locale[:2]
    probe = tmp_path / "two-faces.jpg"
    probe.write_bytes(side_by_side("obama3.jpg", "biden.jpg"))
    investigator = staff_committed(tenant_a)
    supervisor = staff_committed(tenant_a, "supervisor")
    searcher = Portal(chromium, portal_url, locale=locale)
    searcher.sign_in(investigator)
    page = _choose_face_page(searcher, probe)
    boxes = _on_the_picture(page)
    left = min(range(2), key=lambda i: boxes[i]["x"])
    page.locator(f"rect[data-face='{left}']").click()
    page.click(".face-choice button[type=submit]")
    # Progress without a reload: queued, running, then the candidates.
    page.wait_for_selector("[data-status=awaiting_review]", timeout=90_000)
    search_id = page.url.rsplit("/", 1)[-1]
    searcher.check(f"{language}-search-from-a-chosen-face")
    page.click("table.list a[data-rank='1']")
    page.wait_for_url(f"**/searches/{search_id}/candidates/1")
    _both_images_side_by_side(searcher)
    assert page.locator("section.reviews").count() == 0  # blind
    page.check("input[name=disposition][value=possible_match]")
    page.fill("#id_note", "Same ear shape and hairline.")
    page.click("form.review button[type=submit]")
    page.wait_for_selector("section.reviews")
    assert page.locator("[data-disposition]").get_attribute("data-disposition") == "pending"

    boss = Portal(chromium, portal_url, locale=locale)
    boss.sign_in(supervisor)
    boss.goto(f"/searches/{search_id}/candidates/1")
    _both_images_side_by_side(boss)
    assert boss.page.locator("[data-stage=second]").is_visible()
    assert boss.page.locator("section.reviews").count() == 0  # the first verdict stays hidden
    boss.page.check("input[name=disposition][value=possible_match]")
    boss.page.fill("#id_note", "Same features; confirmed as a lead.")
    boss.page.click("form.review button[type=submit]")
    boss.page.wait_for_url("**/accounts/reauthenticate/**")
    boss.page.fill("input[name=password]", supervisor.password)
    boss.page.click("main form button[type=submit]")
    boss.page.wait_for_selector("section.reviews")
    assert boss.page.locator("[data-disposition]").get_attribute("data-disposition") == (
        "possible_match"
    )
    assert boss.page.locator("[data-review=possible_match]").count() == 2
    done = {"en": "Your review is recorded.", "fr": "Votre examen est enregistré."}[language]
    assert done in boss.page.locator(".messages").inner_text()
    boss.check(f"{language}-final-disposition")
    for portal in (searcher, boss):
        portal.close()


def _scratch_gallery(tenant: Tenant) -> Any:
    """A gallery of its own for a test that enrolls: the shared one keeps exactly its faces."""
    from matching.galleries import gallery_create

    slug = f"scratch-{uuid.uuid4().hex[:8]}"
    return gallery_create(
        agency=tenant.agency,
        slug=slug,
        name=f"Scratch {slug[-8:]}",
        legal_basis="identification_of_criminals_act",
        contains_youth_records=False,
    )


def test_an_agency_admin_creates_then_disables_a_user(
    chromium: Any, portal_url: str, tenant_a: Tenant, staff_committed: Any
) -> None:
    admin = staff_committed(tenant_a, "agency_admin")
    name = f"cst_{uuid.uuid4().hex[:8]}"
    scratch = _scratch_gallery(tenant_a)
    portal = Portal(chromium, portal_url)
    portal.sign_in(admin)
    page = portal.page
    page.click("nav a[href='/agency/users']")
    page.click("form.user-form button[type=submit]")
    page.wait_for_selector("#id_username_errors")
    assert page.locator("#id_roles_errors").is_visible()
    portal.check("en-admin-user-errors")
    page.fill("#id_username", name)
    page.fill("#id_email", f"{name}@police.example")
    page.check("input[name=roles][value=investigator]")
    page.fill("#id_password", "a first password for the constable")
    page.click("form.user-form button[type=submit]")
    page.wait_for_url("**/agency/users/*")
    assert page.locator("h1").inner_text() == name
    page.fill("#id_course", "FR foundations")
    page.fill("#id_completed_on", "2026-11-02")
    page.fill("#id_expires_on", "2027-11-02")
    page.click("form.training-form button[type=submit]")
    page.wait_for_load_state()
    assert "FR foundations" in page.locator("main").inner_text()
    portal.check("en-admin-user")
    page.click("form.account-state button[type=submit]")
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.fill("input[name=password]", admin.password)
    page.click("main form button[type=submit]")
    page.wait_for_selector("[data-active=false]")
    assert "is disabled" in page.locator(".messages").inner_text()
    history = page.locator("table.history").inner_text()
    assert "user.disabled" in history and "user.created" in history
    assert admin.user.username in history
    portal.check("en-admin-user-disabled")
    page.click("nav a[href='/agency/users']")
    row = page.locator(f"tr[data-username='{name}']")
    assert "Disabled" in row.inner_text()
    portal.check("en-admin-users")
    page.click("nav a[href='/agency/tokens']")
    portal.check("en-admin-tokens")
    page.click("nav a[href='/agency/galleries']")
    page.click(f"a[href='/agency/galleries/{scratch.slug}']")
    portal.check("en-admin-gallery")
    page.fill("#id_ref", f"enrol-{name}")
    page.fill("#id_display_name", "Barack Obama")
    page.set_input_files("#id_images", [str(PHOTOS / "obama3.jpg"), str(PHOTOS / "obama2.jpg")])
    page.click("form.enroll-form button[type=submit]")
    page.wait_for_url("**/agency/batches/*")
    # htmx follows the worker until the batch is done.
    page.wait_for_selector("[data-status=done]", timeout=90_000)
    assert page.locator("[data-result=enrolled]").count() == 2
    portal.check("en-admin-batch")

    french = Portal(chromium, portal_url, locale="fr-CA")
    french.sign_in(admin)
    french.page.click("nav a[href='/agency/users']")
    assert french.page.locator("h1").inner_text() == "Utilisateurs du service"
    assert "Désactivé" in french.page.locator(f"tr[data-username='{name}']").inner_text()
    french.check("fr-admin-users")
    french.page.click(f"a:text-is('{name}')")
    assert "Réactiver cet utilisateur" in french.page.locator("main").inner_text()
    french.check("fr-admin-user-disabled")
    french.page.click("nav a[href='/agency/galleries']")
    french.page.click(f"a[href='/agency/galleries/{scratch.slug}']")
    french.page.locator("table.batches a").first.click()
    french.check("fr-admin-batch")
    for tab in (portal, french):
        tab.close()


def test_an_agency_admin_enrolls_the_face_of_a_held_photo(
    chromium: Any, portal_url: str, tenant_a: Tenant, staff_committed: Any
) -> None:
    from matching.enrollment import UploadItem, enrollment_batch_create, enrollment_batch_process

    admin = staff_committed(tenant_a, "agency_admin")
    ref = f"held-{uuid.uuid4().hex[:6]}"
    item = UploadItem(
        subject_ref=ref,
        filename="group.jpg",
        content=side_by_side("obama.jpg", "biden.jpg"),
        display_name="",
    )
    batch = enrollment_batch_create(gallery=_scratch_gallery(tenant_a), items=[item], enqueue=False)
    enrollment_batch_process(agency_id=tenant_a.agency.id, batch_id=batch.id)
    portal = Portal(chromium, portal_url)
    portal.sign_in(admin)
    page = portal.page
    portal.goto(f"/agency/batches/{batch.id}")
    page.click("ul.held a")
    page.wait_for_function(
        "() => { const i = document.querySelector('.probe-frame img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    boxes = _on_the_picture(page)
    left = min(range(2), key=lambda i: boxes[i]["x"])
    page.locator(f"rect[data-face='{left}']").click()
    portal.check("en-held-photo")
    page.click("button[value=enroll]")
    page.wait_for_url(f"**/agency/batches/{batch.id}")
    assert f"Face enrolled for {ref}." in page.locator(".messages").inner_text()
    assert page.locator("ul.held").count() == 0
    portal.close()
