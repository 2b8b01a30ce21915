"""Sign-in through an agency's own OpenID Connect provider, against a real one on 127.0.0.1.

The provider (tests/oidc_provider.py) is the only stand-in: discovery, JWKS, token and userinfo
requests go over HTTP from the portal's own code, and the browser's part (following the
redirects to the provider and back) is done with real requests too.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.test import Client, RequestFactory

from audit.models import AuditEvent
from tenants.context import agency_transaction
from tests.oidc_provider import Person
from tests.portal.conftest import OIDC_MFA_ACR, OidcAgencies, Staff, staff_create

pytestmark = pytest.mark.django_db

A, B = "oidc_a", "oidc_b"


def _start(client: Client, agency_id: str) -> str:
    """Press the agency's button on the sign-in page; return where the browser is sent."""
    response = client.post(f"/accounts/oidc/{agency_id}/login/", {"process": "login"})
    assert response.status_code == 302, response.content[:500]
    return str(response["Location"])


def _provider_answer(authorize_url: str) -> str:
    """Follow the authorization request at the provider; return the callback path and query."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"


def oidc_sign_in(
    client: Client, oidc: OidcAgencies, agency_id: str, person: Person, **kw: Any
) -> Any:
    """Sign in at the agency's provider as ``person``; return the portal's answer."""
    oidc.provider.signs_in(person, tamper=kw.get("tamper"))
    return client.get(_provider_answer(_start(client, agency_id)))


def _mfa_verified(client: Client, staff: Staff) -> bool:
    from tenants.second_factor import session_mfa_verified

    request = RequestFactory().get("/")
    request.session = client.session
    request.user = staff.user
    return session_mfa_verified(request)


def _events(agency_id: str, action: str) -> list[AuditEvent]:
    with agency_transaction(agency_id):
        return list(AuditEvent.objects.filter(agency_id=agency_id, action=action).order_by("id"))


def _email() -> str:
    return f"officer.{uuid.uuid4().hex[:8]}@agency.example"


def _sub() -> str:
    return f"sub-{uuid.uuid4().hex}"


def _signed_in(client: Client) -> bool:
    return client.get("/").status_code == 200


def test_the_sign_in_page_offers_the_configured_agencies_only(oidc_agencies: OidcAgencies) -> None:
    response = Client().get("/accounts/login/")
    page = response.content.decode()
    # The buttons' forms lead on to the provider: the page's form-action allows its origin.
    form_action = next(
        d for d in response["Content-Security-Policy"].split(";") if "form-action" in d
    )
    assert oidc_agencies.provider.issuer in form_action and "'self'" in form_action
    assert "Sign in with Agency A Sign-On" in page
    assert "Sign in with Agency B Sign-On" in page
    assert page.count("Sign in with ") == 2
    assert 'action="/accounts/oidc/oidc_a/login/"' in page
    french = Client(HTTP_ACCEPT_LANGUAGE="fr-CA").get("/accounts/login/").content.decode()
    assert "Se connecter avec Agency A Sign-On" in french


def test_first_sign_in_links_by_verified_email_then_the_subject_alone_is_followed(
    oidc_agencies: OidcAgencies,
) -> None:
    email, sub = _email(), _sub()
    staff = staff_create(oidc_agencies.tenant(A), email=email)
    client = Client()
    response = oidc_sign_in(client, oidc_agencies, A, Person(sub=sub, email=email.upper()))
    # No second factor attested by the provider: Probity's own code is asked, as after a password.
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert not _signed_in(client)
    assert client.post("/accounts/2fa/authenticate/", {"code": staff.code()}).status_code == 302
    assert _signed_in(client)
    assert _mfa_verified(client, staff) is True
    link = SocialAccount.objects.get(provider=A, uid=sub)
    assert link.user_id == staff.user.pk
    [linked] = _events(A, "user.oidc_linked")[-1:]
    assert linked.data["subject"] == sub and linked.object_id == str(staff.user.pk)
    # PKCE and the client's secret went with the token request.
    last = oidc_agencies.provider.token_requests[-1]
    assert last["code_verifier"] and last["client_id"] == "probity-oidc_a"

    # Later: the provider reports another address; the subject still names the same person.
    again = Client()
    response = oidc_sign_in(again, oidc_agencies, A, Person(sub=sub, email=_email()))
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert again.post("/accounts/2fa/authenticate/", {"code": staff.code()}).status_code == 302
    assert _signed_in(again)
    assert SocialAccount.objects.filter(user_id=staff.user.pk).count() == 1


def test_a_second_factor_attested_by_amr_signs_in_mfa_verified(oidc_agencies: OidcAgencies) -> None:
    email = _email()
    staff = staff_create(oidc_agencies.tenant(A), email=email)
    client = Client()
    response = oidc_sign_in(
        client, oidc_agencies, A, Person(sub=_sub(), email=email, amr=["pwd", "otp"])
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert _signed_in(client)
    assert _mfa_verified(client, staff) is True


def test_a_configured_acr_attests_a_second_factor_and_another_does_not(
    oidc_agencies: OidcAgencies,
) -> None:
    email, sub = _email(), _sub()
    staff = staff_create(oidc_agencies.tenant(A), email=email)
    client = Client()
    attested = Person(sub=sub, email=email, amr=["pwd"], acr=OIDC_MFA_ACR)
    assert oidc_sign_in(client, oidc_agencies, A, attested)["Location"] == "/"
    assert _mfa_verified(client, staff) is True
    other = Client()
    weaker = Person(sub=sub, email=email, amr=["pwd"], acr="urn:probity-test:loa:password")
    response = oidc_sign_in(other, oidc_agencies, A, weaker)
    assert response["Location"].startswith("/accounts/2fa/authenticate/")


def test_without_an_attested_or_probity_second_factor_the_session_is_not_mfa_verified(
    oidc_agencies: OidcAgencies,
) -> None:
    email = _email()
    staff = staff_create(oidc_agencies.tenant(A), email=email)
    Authenticator.objects.filter(user=staff.user).delete()
    client = Client()
    response = oidc_sign_in(client, oidc_agencies, A, Person(sub=_sub(), email=email, amr=["pwd"]))
    assert response.status_code == 302 and response["Location"] == "/"
    assert _mfa_verified(client, staff) is False
    # And, as for any session without a second factor, the portal asks to enrol one.
    assert client.get("/")["Location"] == "/accounts/2fa/totp/activate/"


def _refused(response: Any, client: Client) -> None:
    assert response.status_code == 403, response.content[:500]
    assert "no active Probity account" in response.content.decode()
    assert not _signed_in(client)


def test_an_unknown_subject_is_refused_and_audited(oidc_agencies: OidcAgencies) -> None:
    sub = _sub()
    client = Client()
    response = oidc_sign_in(client, oidc_agencies, A, Person(sub=sub, email=_email()))
    _refused(response, client)
    [event] = [e for e in _events(A, "sign_in.oidc_refused") if e.data["subject"] == sub]
    assert event.data["reason"] == "unknown_subject"
    assert not SocialAccount.objects.filter(uid=sub).exists()


def test_an_unverified_email_links_nobody(oidc_agencies: OidcAgencies) -> None:
    email = _email()
    staff_create(oidc_agencies.tenant(A), email=email)
    client = Client()
    person = Person(sub=_sub(), email=email, email_verified=False)
    _refused(oidc_sign_in(client, oidc_agencies, A, person), client)


def test_another_agencys_user_is_never_signed_in(oidc_agencies: OidcAgencies) -> None:
    email, sub = _email(), _sub()
    foreign = staff_create(oidc_agencies.tenant(B), email=email)
    # Agency B's own provider links and signs in its user...
    client = Client()
    response = oidc_sign_in(client, oidc_agencies, B, Person(sub=sub, email=email, amr=["mfa"]))
    assert response["Location"] == "/" and _signed_in(client)
    # ...agency A's provider, stating the same subject and address, does not.
    other = Client()
    _refused(
        oidc_sign_in(other, oidc_agencies, A, Person(sub=sub, email=email, amr=["mfa"])), other
    )
    # Nor does a link row pointing A's provider at B's user (written as the app role can).
    SocialAccount.objects.create(user_id=foreign.user.pk, provider=A, uid=sub + "-forged")
    forged = Client()
    response = oidc_sign_in(forged, oidc_agencies, A, Person(sub=sub + "-forged", amr=["mfa"]))
    assert response.status_code == 403 and not _signed_in(forged)
    reasons = [e.data["reason"] for e in _events(A, "sign_in.oidc_refused")]
    assert "other_agency" in reasons


def test_a_disabled_user_is_refused_and_audited(oidc_agencies: OidcAgencies) -> None:
    from tenants.services import user_active_set

    email, sub = _email(), _sub()
    staff = staff_create(oidc_agencies.tenant(A), email=email)
    first = Client()
    assert (
        oidc_sign_in(first, oidc_agencies, A, Person(sub=sub, email=email, amr=["mfa"]))["Location"]
        == "/"
    )
    user_active_set(
        agency=oidc_agencies.agencies[A], user_id=staff.user.pk, active=False, actor="test"
    )
    assert not _signed_in(first)  # the session ends with the account
    client = Client()
    response = oidc_sign_in(client, oidc_agencies, A, Person(sub=sub, email=email, amr=["mfa"]))
    assert response.status_code == 403 and "disabled" in response.content.decode()
    assert not _signed_in(client)
    [event] = [e for e in _events(A, "sign_in.oidc_refused") if e.data["subject"] == sub]
    assert event.data["reason"] == "user_disabled"
    assert event.object_id == str(staff.user.pk)


def test_a_user_already_linked_is_not_linked_again_by_email(oidc_agencies: OidcAgencies) -> None:
    email = _email()
    staff_create(oidc_agencies.tenant(A), email=email)
    client = Client()
    assert (
        oidc_sign_in(client, oidc_agencies, A, Person(sub=_sub(), email=email, amr=["mfa"]))[
            "Location"
        ]
        == "/"
    )
    intruder = Client()
    _refused(oidc_sign_in(intruder, oidc_agencies, A, Person(sub=_sub(), email=email)), intruder)
    assert _events(A, "sign_in.oidc_refused")[-1].data["reason"] == "linked_to_another_subject"


@pytest.mark.parametrize(
    "tamper",
    [
        "signature",
        "issuer",
        "audience",
        "expired",
        "symmetric",
        "userinfo_subject",
        "discovery_issuer",
    ],
)
def test_an_answer_that_does_not_verify_signs_nobody_in(
    oidc_agencies: OidcAgencies, tamper: str
) -> None:
    email = _email()
    staff_create(oidc_agencies.tenant(A), email=email)
    client = Client()
    person = Person(sub=_sub(), email=email, amr=["mfa"])
    if tamper == "discovery_issuer":
        # The discovery document is read again at the return: spoil it after the start.
        oidc_agencies.provider.signs_in(person)
        callback = _provider_answer(_start(client, A))
        oidc_agencies.provider.tamper = {tamper}
        response = client.get(callback)
    else:
        response = oidc_sign_in(client, oidc_agencies, A, person, tamper={tamper})
    oidc_agencies.provider.tamper = set()
    assert response.status_code == 403, (tamper, response.content[:300])
    assert not _signed_in(client)
    assert not SocialAccount.objects.filter(uid=person.sub).exists()
    if tamper != "userinfo_subject":  # that one is a refusal of the subject, audited as such
        assert _events(A, "sign_in.oidc_failed")


def test_a_state_that_is_not_this_browsers_is_refused(oidc_agencies: OidcAgencies) -> None:
    email = _email()
    staff_create(oidc_agencies.tenant(A), email=email)
    person = Person(sub=_sub(), email=email, amr=["mfa"])
    oidc_agencies.provider.signs_in(person)
    victim, attacker = Client(), Client()
    callback = _provider_answer(_start(attacker, A))
    # The attacker's code and state, replayed in another browser (login CSRF): no such state.
    _start(victim, A)
    response = victim.get(callback)
    assert response.status_code == 403 and not _signed_in(victim)
    # A state changed in transit, in the browser that started: refused too.
    url = urlsplit(callback)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    query["state"] = "not-the-state"
    response = attacker.get(f"{url.path}?{urlencode(query)}")
    assert response.status_code == 403 and not _signed_in(attacker)


def test_repeated_refusals_lock_the_address_out(oidc_agencies: OidcAgencies) -> None:
    address = "10.20.30.40"
    for _ in range(5):
        client = Client(REMOTE_ADDR=address)
        assert (
            oidc_sign_in(client, oidc_agencies, A, Person(sub=_sub(), email=_email())).status_code
            == 403
        )
    email = _email()
    staff_create(oidc_agencies.tenant(A), email=email)
    client = Client(REMOTE_ADDR=address)
    response = oidc_sign_in(client, oidc_agencies, A, Person(sub=_sub(), email=email, amr=["mfa"]))
    assert response.status_code == 429
    assert not _signed_in(client)


def test_an_agency_without_a_provider_has_no_sign_in_route(oidc_agencies: OidcAgencies) -> None:
    assert Client().post("/accounts/oidc/ta/login/", {"process": "login"}).status_code == 404
    assert Client().get("/accounts/oidc/ta/login/callback/?code=x&state=y").status_code == 404
