"""English and French: a label for every code, a French text for every policy reason."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from policy.vocabulary import PROBE_SOURCES, PURPOSES_PERMITTED, PURPOSES_PROHIBITED
from tests.portal.conftest import Staff

MSGFMT, MSGATTRIB = shutil.which("msgfmt") or "msgfmt", shutil.which("msgattrib") or "msgattrib"
CATALOGUE = Path(settings.BASE_DIR) / "portal" / "locale" / "fr" / "LC_MESSAGES"


def reason_catalogue() -> dict[str, dict[str, str]]:
    """Return the policy's own reason catalogue, evaluated by the Rego engine."""
    import json

    import regorus

    engine = regorus.Engine()
    path = Path(settings.POLICY_REGO_DIR) / "fr" / "baseline" / "reasons.rego"
    engine.add_policy(str(path), path.read_text())
    value = engine.eval_rule("data.fr.baseline.reason_catalog")
    catalogue: dict[str, dict[str, str]] = json.loads(value) if isinstance(value, str) else value
    return catalogue


def test_every_reason_code_has_a_french_message_and_the_english_is_the_policys() -> None:
    from portal.reasons import REASON_MESSAGES

    catalogue = reason_catalogue()
    assert len(catalogue) >= 60
    assert set(REASON_MESSAGES) == set(catalogue)
    for code, entry in catalogue.items():
        with translation.override("en-ca"):
            assert str(REASON_MESSAGES[code]) == entry["message"], code
        with translation.override("fr-ca"):
            french = str(REASON_MESSAGES[code])
        assert french and french != entry["message"], f"{code} has no French message"


def test_every_vocabulary_code_has_a_label_in_both_languages() -> None:
    from authorizations.models import InteragencyKind, RecordStatus, WarrantKind
    from matching import legal_events
    from matching.models import FollowUpKind, LeadOutcome, LegalEventKind, SearchStatus
    from portal.labels import (
        AGREEMENT_KIND_LABELS,
        FOLLOW_UP_KIND_LABELS,
        LEAD_OUTCOME_LABELS,
        LEGAL_EVENT_KIND_LABELS,
        LEGAL_EVENT_OUTCOME_LABELS,
        PROBE_SOURCE_LABELS,
        PURPOSE_LABELS,
        RECORD_STATE_LABELS,
        RECORD_TYPE_LABELS,
        STATUS_LABELS,
        WARRANT_KIND_LABELS,
    )
    from portal.record_selectors import RECORD_KINDS

    outcomes = (
        legal_events.PURGED,
        legal_events.HELD,
        legal_events.SCHEDULED,
        legal_events.ALREADY_PURGED,
    )
    tables = [
        (PURPOSE_LABELS, PURPOSES_PERMITTED + PURPOSES_PROHIBITED),
        (PROBE_SOURCE_LABELS, PROBE_SOURCES),
        (STATUS_LABELS, tuple(SearchStatus.values)),
        (LEGAL_EVENT_KIND_LABELS, tuple(LegalEventKind.values)),
        (LEAD_OUTCOME_LABELS, tuple(LeadOutcome.values)),
        (LEGAL_EVENT_OUTCOME_LABELS, outcomes),
        (WARRANT_KIND_LABELS, tuple(WarrantKind.values)),
        (AGREEMENT_KIND_LABELS, tuple(InteragencyKind.values)),
        (RECORD_STATE_LABELS, (*RecordStatus.values, "expired")),
        (RECORD_TYPE_LABELS, tuple(RECORD_KINDS)),
        (FOLLOW_UP_KIND_LABELS, tuple(FollowUpKind.values)),
    ]
    for table, codes in tables:
        assert set(codes) <= set(table)
        for code in codes:
            with translation.override("fr-ca"):
                french = str(table[code])
            with translation.override("en-ca"):
                english = str(table[code])
            assert french != english or french in {"Ontario", "Nunavut"}, code


def test_the_committed_catalogue_is_compiled_from_the_po_file(tmp_path: Path) -> None:
    po, mo = CATALOGUE / "django.po", CATALOGUE / "django.mo"
    fresh = tmp_path / "django.mo"
    subprocess.run([MSGFMT, "--check", "-o", str(fresh), str(po)], check=True)  # noqa: S603
    with mo.open("rb") as committed, fresh.open("rb") as built:
        assert gettext.GNUTranslations(committed)._catalog == (  # type: ignore[attr-defined]
            gettext.GNUTranslations(built)._catalog  # type: ignore[attr-defined]
        ), "run msgfmt -o portal/locale/fr/LC_MESSAGES/django.mo on the .po file"
    untranslated = subprocess.run(  # noqa: S603
        [MSGATTRIB, "--untranslated", str(po)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "msgid" not in untranslated


@pytest.mark.django_db
def test_a_denial_reads_in_french_with_dates_localized(signed_in: tuple[Client, Staff]) -> None:
    from tests.portal.test_pages import submit

    client, _ = signed_in
    client.post("/i18n/setlang/", {"language": "fr-ca", "next": "/"})
    response = submit(
        client,
        purpose="protest_monitoring",
        justification="Foule.",
        offence_category="",
        offence_code="",
    )
    page = client.get(response["Location"]).content.decode()
    assert 'lang="fr-ca"' in page
    assert "Cette fin est interdite pour la reconnaissance faciale policière." in page
    assert "Piste d'enquête seulement" in page
    assert "purpose_prohibited" in page
    home = client.get("/").content.decode()
    assert "Mes recherches" in home and "Refusée par la politique" in home
    months = (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    )
    assert any(month in home for month in months)
    assert re.search(r"\d{2}\xa0h\xa0\d{2}", home), "French times read 14 h 30"


@pytest.mark.django_db
def test_the_browser_language_is_used_when_no_choice_was_made(
    signed_in: tuple[Client, Staff],
) -> None:
    client, _ = signed_in
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9").content.decode()
    assert "Mes recherches" in page
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-CA").content.decode()
    assert "My searches" in page
