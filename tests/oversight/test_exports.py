"""Signed exports via the API and a real worker, checked by both verifiers, then tampered."""

from __future__ import annotations

import json
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from audit.services import audit_record
from oversight.exports import export_directory
from oversight.models import AuditExport
from tenants.context import agency_transaction
from tests.conftest import Tenant
from tests.oversight.conftest import Oversight
from tests.oversight.exporting import (
    VERIFIERS,
    copy,
    csv_rows,
    export_finished,
    forge,
    lines_of,
    lines_write,
    public_key_file,
)
from verifier import probity_verify as v


@dataclass
class Exported:
    """Two successive exports of one scope by one auditor, and the public key."""

    first: Path
    second: Path
    first_state: dict[str, Any]
    second_state: dict[str, Any]
    key: Path
    client: APIClient
    agencies: list[str]


@pytest.fixture(scope="module")
def exported(
    celery_worker: Any,
    django_db_blocker: Any,
    oversight: Oversight,
    tenant_a: Tenant,
    tenant_b: Tenant,
    tmp_path_factory: pytest.TempPathFactory,
) -> Exported:
    from audit.checkpoints import audit_checkpoint_write
    from oversight.services import oversight_grant_create
    from tenants.models import TokenIssuer
    from tenants.services import token_issue, user_create

    with django_db_blocker.unblock():
        auditor = user_create(
            agency=oversight.body,
            roles=["auditor"],
            username=f"{oversight.body.id}_exp_{uuid.uuid4().hex[:6]}",
        )
        now = timezone.now()
        for tenant in (tenant_a, tenant_b):
            oversight_grant_create(
                granted_by=oversight.national_admin,
                auditor=auditor,
                agency=tenant.agency,
                starts_at=now - timedelta(minutes=1),
                ends_at=now + timedelta(days=30),
                reason="Export test",
            )
            audit_checkpoint_write(agency_id=tenant.agency.id)
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {token_issue(user=auditor, issued_via=TokenIssuer.OPERATOR)}"
        )
        scope = {"agencies": [tenant_b.agency.id, tenant_a.agency.id]}
        first_state = export_finished(client, scope)
        for n in range(3):
            audit_record(
                agency_id=tenant_a.agency.id, actor="test", action="test.later", data={"n": n}
            )
        second_state = export_finished(client, scope)
        first = export_directory(AuditExport(id=uuid.UUID(first_state["id"])))
        second = export_directory(AuditExport(id=uuid.UUID(second_state["id"])))
    keys = tmp_path_factory.mktemp("keys")
    return Exported(
        first,
        second,
        first_state,
        second_state,
        public_key_file(keys),
        client,
        sorted(scope["agencies"]),
    )


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_both_verifiers_accept_an_untouched_export(exported: Exported, verifier: str) -> None:
    code, out = VERIFIERS[verifier](exported.second, exported.key, exported.first)
    assert code == 0, out
    assert "signature: ok" in out
    assert f"extends previous export {exported.first_state['id']}: ok" in out
    assert "export verified" in out


def test_the_manifest_says_what_the_export_holds(exported: Exported) -> None:
    manifest = json.loads((exported.second / v.MANIFEST).read_bytes())
    assert manifest["scope"]["agencies"] == exported.agencies
    assert manifest["previous"]["export_id"] == exported.first_state["id"]
    assert set(manifest["files"]) == {v.EVENTS_JSONL, v.EVENTS_CSV}
    for agency in exported.agencies:
        assert manifest["chains"][agency]["start"]["seq"] == 1
        assert manifest["chains"][agency]["end"] == {
            "seq": manifest["chains"][agency]["head"]["seq"],
            "hash": manifest["chains"][agency]["head"]["hash"],
        }
        assert manifest["checkpoints"][agency]["key_id"] == manifest["key_id"]
    total = sum(c["records"] for c in manifest["counts"].values())
    assert total == exported.second_state["events_total"] == exported.second_state["events_written"]
    assert len(csv_rows(exported.second)) == total + 1


def test_an_oversight_export_withholds_names_but_keeps_their_place(
    exported: Exported, tenant_a: Tenant
) -> None:
    records = lines_of(exported.second)
    withheld = [r for r in records if "withheld" in r]
    assert withheld, "enrollment events name gallery records"
    assert set(withheld[0]) == {"agency_id", "seq", "prev_hash", "hash", "withheld"}
    text = (exported.second / v.EVENTS_JSONL).read_text() + (
        exported.second / v.EVENTS_CSV
    ).read_text()
    for name in ("obama", "biden", "astronaut"):
        assert name not in text.lower()


def test_each_read_and_export_is_in_the_overseen_chain(
    exported: Exported, tenant_a: Tenant, django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock(), agency_transaction(tenant_a.agency.id):
        ids = set(
            AuditEvent.objects.filter(
                agency_id=tenant_a.agency.id, action="oversight.export"
            ).values_list("object_id", flat=True)
        )
    assert {exported.first_state["id"], exported.second_state["id"]} <= ids


def test_the_download_is_the_signed_zip_and_verifies(exported: Exported, tmp_path: Path) -> None:
    response = exported.client.get(exported.second_state["download"])
    assert response.status_code == 200
    archive = tmp_path / "export.zip"
    archive.write_bytes(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    assert set(zipfile.ZipFile(archive).namelist()) == {
        v.MANIFEST,
        v.SIGNATURE,
        v.EVENTS_JSONL,
        v.EVENTS_CSV,
    }
    for verifier in VERIFIERS.values():
        code, out = verifier(archive, exported.key)
        assert code == 0, out


def test_another_agency_cannot_see_or_download_the_export(
    exported: Exported, tenant_a: Tenant
) -> None:
    client = tenant_a.client("compliance_officer")
    assert client.get(f"/api/v1/audit/exports/{exported.second_state['id']}").status_code == 404
    assert client.get(exported.second_state["download"]).status_code == 404


def _full_index(records: list[dict[str, Any]]) -> int:
    return next(i for i, r in enumerate(records) if "withheld" not in r and i > 2)


def _changed(records: list[dict[str, Any]]) -> None:
    records[_full_index(records)]["actor"] = "someone else"


def _removed(records: list[dict[str, Any]]) -> None:
    del records[3]


def _inserted(records: list[dict[str, Any]]) -> None:
    records.insert(4, dict(records[3]))


def _reordered(records: list[dict[str, Any]]) -> None:
    records[3], records[4] = records[4], records[3]


def _relinked(records: list[dict[str, Any]]) -> None:
    record = records[_full_index(records)]
    record["prev_hash"] = "f" * 64
    record["hash"] = v.record_hash(record)


RECORD_TAMPERING: dict[str, tuple[Callable[[list[dict[str, Any]]], None], str]] = {
    "changed": (_changed, v.RECORD_CHANGED),
    "removed": (_removed, v.RECORD_REMOVED),
    "inserted": (_inserted, v.RECORD_INSERTED),
    "reordered": (_reordered, v.RECORD_REMOVED),
    "broken-chain": (_relinked, v.CHAIN_BROKEN),
}


@pytest.mark.parametrize("verifier", VERIFIERS)
@pytest.mark.parametrize("tampering", RECORD_TAMPERING)
def test_a_tampered_record_is_detected(
    exported: Exported, tmp_path: Path, verifier: str, tampering: str
) -> None:
    mutate, kind = RECORD_TAMPERING[tampering]
    target = copy(exported.second, tmp_path / "export")
    records = lines_of(target)
    mutate(records)
    lines_write(target, records)
    code, out = VERIFIERS[verifier](target, exported.key)
    assert code == 1
    assert kind in out, out


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_a_wrong_signature_is_detected(exported: Exported, tmp_path: Path, verifier: str) -> None:
    target = copy(exported.second, tmp_path / "export")
    signature = (target / v.SIGNATURE).read_text().strip()
    (target / v.SIGNATURE).write_text(("0" if signature[0] != "0" else "1") + signature[1:])
    code, out = VERIFIERS[verifier](target, exported.key)
    assert code == 1
    assert v.BAD_SIGNATURE in out, out


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_another_signers_key_is_refused(exported: Exported, tmp_path: Path, verifier: str) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from audit.keys import public_key_pem

    other = tmp_path / "other.pem"
    other.write_text(public_key_pem(Ed25519PrivateKey.generate().public_key()))
    code, out = VERIFIERS[verifier](exported.second, other)
    assert code == 1
    assert v.BAD_SIGNATURE in out, out


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_a_file_that_does_not_match_the_manifest_is_detected(
    exported: Exported, tmp_path: Path, verifier: str
) -> None:
    target = copy(exported.second, tmp_path / "export")
    text = (target / v.EVENTS_CSV).read_text(encoding="utf-8")
    line_end = text.index("\n", text.index("\n") + 1)
    (target / v.EVENTS_CSV).write_text(text[:line_end] + " " + text[line_end:], encoding="utf-8")
    code, out = VERIFIERS[verifier](target, exported.key)
    assert code == 1
    assert v.FILE_MISMATCH in out or v.CSV_MISMATCH in out, out


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_an_edited_manifest_is_detected(exported: Exported, tmp_path: Path, verifier: str) -> None:
    target = copy(exported.second, tmp_path / "export")
    raw = (target / v.MANIFEST).read_bytes()
    (target / v.MANIFEST).write_bytes(raw.replace(b'"withheld": ', b'"withheld":  ', 1))
    code, out = VERIFIERS[verifier](target, exported.key)
    assert code == 1
    assert v.BAD_SIGNATURE in out, out


def _drop_last(exported: Exported) -> Callable[[list[dict[str, Any]]], None]:
    """Drop the last events down to before the previous export's end, in its last agency."""
    previous = json.loads((exported.first / v.MANIFEST).read_bytes())
    agency = exported.agencies[-1]
    cut = previous["chains"][agency]["end"]["seq"] - 2

    def mutate(records: list[dict[str, Any]]) -> None:
        records[:] = [r for r in records if r["agency_id"] != agency or r["seq"] <= cut]

    return mutate


def _rewrite_one(records: list[dict[str, Any]]) -> None:
    records[_full_index(records)]["action"] = "nothing.happened"


@pytest.mark.parametrize("verifier", VERIFIERS)
@pytest.mark.parametrize("forgery", ["drop-last", "rewrite-one"])
def test_a_resigned_export_that_does_not_extend_the_previous_is_detected(
    exported: Exported, tmp_path: Path, verifier: str, forgery: str
) -> None:
    mutate = _drop_last(exported) if forgery == "drop-last" else _rewrite_one
    forged = forge(exported.second, tmp_path / "forged", mutate)
    alone, out = VERIFIERS["standalone"](forged, exported.key)
    assert alone == 0, f"the forgery is self-consistent: {out}"
    code, out = VERIFIERS[verifier](forged, exported.key, exported.first)
    assert code == 1
    assert v.NOT_EXTENDING in out, out


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_an_export_naming_another_previous_is_detected(exported: Exported, verifier: str) -> None:
    code, out = VERIFIERS[verifier](exported.second, exported.key, exported.second)
    assert code == 1
    assert v.NOT_PREVIOUS in out, out
