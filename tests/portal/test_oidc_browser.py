"""Sign-in through an agency's OpenID Connect provider in a real Chromium.

The browser follows the redirects itself: from the portal's sign-in page to the test provider
on 127.0.0.1 and back to the portal's callback, which checks the answer over HTTP as in
production. Screenshots of the sign-in page and the refusal, in English and French.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.oidc_provider import Person
from tests.portal.conftest import OidcAgencies, staff_create
from tests.portal.test_browser import Portal

pytestmark = [pytest.mark.browser, pytest.mark.worker]

A = "oidc_a"


@pytest.fixture
def browser_provider(oidc_agencies: OidcAgencies, portal_url: str, committed: None) -> Any:
    """The provider, told the live server's callback of agency A."""
    oidc_agencies.provider.register(
        client_id=f"probity-{A}",
        secret=f"client-secret-of-{A}-for-these-tests",
        redirect_uris={f"{portal_url}/accounts/oidc/{A}/login/callback/"},
    )
    return oidc_agencies


def test_sign_in_through_the_agencys_provider_with_its_second_factor(
    chromium: Any, portal_url: str, browser_provider: OidcAgencies
) -> None:
    email = f"officer.{uuid.uuid4().hex[:8]}@agency.example"
    staff = staff_create(browser_provider.tenant(A), email=email)
    browser_provider.provider.signs_in(
        Person(sub=f"sub-{uuid.uuid4().hex}", email=email, amr=["pwd", "mfa"])
    )
    portal = Portal(chromium, portal_url)
    portal.goto("/")
    assert "/accounts/login/" in portal.page.url
    portal.check("en-oidc-sign-in")
    portal.page.click("text=Sign in with Agency A Sign-On")
    # Provider attested a second factor: straight to the portal, no Probity code asked.
    portal.page.wait_for_url(portal_url + "/")
    assert staff.user.username in portal.page.locator("header .who").inner_text()
    portal.check()
    portal.close()


def test_without_an_attested_factor_probitys_code_is_asked(
    chromium: Any, portal_url: str, browser_provider: OidcAgencies
) -> None:
    email = f"officer.{uuid.uuid4().hex[:8]}@agency.example"
    staff = staff_create(browser_provider.tenant(A), email=email)
    browser_provider.provider.signs_in(
        Person(sub=f"sub-{uuid.uuid4().hex}", email=email, amr=["pwd"])
    )
    portal = Portal(chromium, portal_url)
    portal.goto("/accounts/login/")
    portal.page.click("text=Sign in with Agency A Sign-On")
    portal.page.wait_for_url("**/accounts/2fa/authenticate/**")
    portal.page.fill("input[name=code]", staff.code())
    portal.page.click("main form button[type=submit]")
    portal.page.wait_for_url(portal_url + "/")
    assert staff.user.username in portal.page.locator("header .who").inner_text()
    portal.close()


@pytest.mark.parametrize(
    ("locale", "button", "heading"),
    [
        ("en-CA", "Sign in with Agency A Sign-On", "Sign-in refused"),
        ("fr-CA", "Se connecter avec Agency A Sign-On", "Connexion refusée"),
    ],
)
def test_an_unknown_person_is_refused_with_a_clear_message(
    chromium: Any,
    portal_url: str,
    browser_provider: OidcAgencies,
    locale: str,
    button: str,
    heading: str,
) -> None:
    browser_provider.provider.signs_in(
        Person(sub=f"sub-{uuid.uuid4().hex}", email="nobody@agency.example")
    )
    portal = Portal(chromium, portal_url, locale=locale)
    portal.goto("/accounts/login/")
    lang = locale[:2]
    if lang == "fr":
        portal.check("fr-oidc-sign-in")
    portal.page.click(f"text={button}")
    portal.page.wait_for_url(f"**/accounts/oidc/{A}/login/callback/**")
    assert portal.page.locator("main h1").inner_text() == heading
    portal.check(f"{lang}-oidc-refused")
    portal.goto("/")
    assert "/accounts/login/" in portal.page.url
    portal.close()
