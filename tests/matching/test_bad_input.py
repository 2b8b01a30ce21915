"""Bad search requests: each gets a 4xx with a stable code and leaves no row behind."""

from __future__ import annotations

import io
import struct
import uuid
import zlib
from typing import Any

import pytest
from PIL import Image
from rest_framework.test import APIClient

from audit.models import AuditEvent
from matching.api import GALLERY_NOT_FOUND
from matching.galleries import gallery_create
from matching.images import image_inspect
from matching.models import Probe, Search
from policy.models import PolicyDecision
from tenants import errors
from tenants.context import agency_transaction
from tenants.models import Agency
from tests.conftest import Tenant, photo, search_fields


def row_counts(agency_id: str) -> dict[str, int]:
    """Count the agency's search-related rows (row-level security needs the agency context).

    The audit event that records a refused request is the one write a refusal makes.
    """
    with agency_transaction(agency_id):
        return {
            "searches": Search.objects.filter(agency_id=agency_id).count(),
            "probes": Probe.objects.filter(agency_id=agency_id).count(),
            "decisions": PolicyDecision.objects.filter(agency_id=agency_id).count(),
            "audit_events": AuditEvent.objects.filter(agency_id=agency_id)
            .exclude(action="request.refused")
            .count(),
        }


def upload(content: bytes, name: str) -> io.BytesIO:
    """Return a file for a multipart form; its content type is guessed from ``name``."""
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def post_search(client: APIClient, probe: io.BytesIO | None, **overrides: Any) -> Any:
    fields = search_fields(**overrides)
    if probe is not None:
        fields["probe"] = probe
    return client.post("/api/v1/searches", fields, format="multipart")


def rejected(
    tenant: Tenant,
    status: int,
    code: str,
    probe: io.BytesIO | None,
    *,
    client: APIClient | None = None,
    fields: dict[str, str | None] | None = None,
) -> dict[str, Any]:
    """Submit a bad search; check its status and code, and that nothing was written.

    ``fields`` override the valid request's fields (None leaves one out).
    """
    before = row_counts(tenant.agency.id)
    response = post_search(client or tenant.client(), probe, **(fields or {}))
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    assert row_counts(tenant.agency.id) == before
    return body


def png_declaring(width: int, height: int) -> bytes:
    """Return a well-formed PNG (correct CRCs) whose header declares ``width`` by ``height``.

    Its data holds one black pixel, so the file stays tiny whatever size it claims.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    pixels = zlib.compress(b"\x00" + b"\x00\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_valid_submission_is_counted(db: None, tenant_a: Tenant) -> None:
    """The counts the other tests compare do move when a search is accepted."""
    before = row_counts(tenant_a.agency.id)
    response = post_search(tenant_a.client(), upload(photo("obama3.jpg"), "probe.jpg"))
    assert response.status_code == 201, response.content
    after = row_counts(tenant_a.agency.id)
    assert after["searches"] == before["searches"] + 1
    assert after["probes"] == before["probes"] + 1
    assert after["decisions"] == before["decisions"] + 1
    assert after["audit_events"] > before["audit_events"]


def test_missing_probe(db: None, tenant_a: Tenant) -> None:
    rejected(tenant_a, 400, errors.IMAGE_MISSING, None)


def test_empty_probe(db: None, tenant_a: Tenant) -> None:
    rejected(tenant_a, 400, errors.IMAGE_MISSING, upload(b"", "probe.jpg"))


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "probe.pdf"),
        (b"Suspect is about 180 cm tall, dark jacket.\n", "probe.txt"),
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "probe.jpg"),
    ],
    ids=["pdf", "text", "pdf-named-jpg"],
)
def test_wrong_type(db: None, tenant_a: Tenant, content: bytes, name: str) -> None:
    rejected(tenant_a, 415, errors.IMAGE_TYPE_UNSUPPORTED, upload(content, name))


def test_real_jpeg_declared_as_another_type_is_refused(db: None, tenant_a: Tenant) -> None:
    rejected(tenant_a, 415, errors.IMAGE_TYPE_UNSUPPORTED, upload(photo("obama3.jpg"), "probe.gif"))


def test_corrupt_bytes_behind_a_jpeg_signature(db: None, tenant_a: Tenant) -> None:
    garbage = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8
    rejected(tenant_a, 400, errors.IMAGE_CORRUPT, upload(garbage, "probe.jpg"))


def test_truncated_jpeg(db: None, tenant_a: Tenant) -> None:
    whole = photo("obama3.jpg")
    rejected(tenant_a, 400, errors.IMAGE_TRUNCATED, upload(whole[: len(whole) // 2], "probe.jpg"))


def test_truncated_png(db: None, tenant_a: Tenant) -> None:
    whole = photo("astronaut.png")
    rejected(tenant_a, 400, errors.IMAGE_TRUNCATED, upload(whole[: len(whole) // 2], "probe.png"))


def test_png_with_a_damaged_chunk(db: None, tenant_a: Tenant) -> None:
    """A flipped byte inside a chunk breaks its CRC; the structure check catches it."""
    good = png_declaring(1, 1)
    idat = good.index(b"IDAT") + 4
    damaged = good[:idat] + bytes([good[idat] ^ 0xFF]) + good[idat + 1 :]
    rejected(tenant_a, 400, errors.IMAGE_CORRUPT, upload(damaged, "probe.png"))


def test_oversized_probe(db: None, tenant_a: Tenant, settings: Any) -> None:
    settings.PROBE_MAX_BYTES = 50_000
    assert len(photo("obama3.jpg")) > settings.PROBE_MAX_BYTES
    rejected(tenant_a, 413, errors.IMAGE_TOO_LARGE, upload(photo("obama3.jpg"), "probe.jpg"))


def test_oversized_body_is_refused_before_it_is_parsed(
    db: None, tenant_a: Tenant, settings: Any
) -> None:
    settings.PROBE_MAX_BYTES = 1000
    padding = 2 * 1024 * 1024
    rejected(
        tenant_a,
        413,
        errors.PAYLOAD_TOO_LARGE,
        upload(photo("obama3.jpg"), "probe.jpg"),
        fields={"notes": "n" * padding},
    )


@pytest.mark.parametrize(
    ("width", "height"),
    [(50_000, 50_000), (7_000, 7_000)],
    ids=["far-above-limit", "just-above-limit"],
)
def test_decompression_bomb(
    db: None, tenant_a: Tenant, settings: Any, width: int, height: int
) -> None:
    bomb = png_declaring(width, height)
    assert len(bomb) < 100
    assert width * height > settings.IMAGE_MAX_PIXELS
    rejected(tenant_a, 400, errors.IMAGE_DECOMPRESSION_BOMB, upload(bomb, "probe.png"))


def test_crafted_png_is_otherwise_well_formed() -> None:
    """The bomb is refused for what it declares, not because the file is broken."""
    info = image_inspect(png_declaring(1, 1), declared_type="image/png")
    assert (info.format, info.width, info.height) == ("PNG", 1, 1)
    with Image.open(io.BytesIO(png_declaring(1, 1))) as image:
        image.load()
    with Image.open(io.BytesIO(png_declaring(7_000, 7_000))) as image:
        assert image.size == (7_000, 7_000)


@pytest.mark.parametrize(
    "field",
    [
        "purpose",
        "probe_captured_at",
        "gallery",
        "probe_source",
        "probe_collected_in",
        "probe_subject_believed_minor",
        "case_number",
        "justification",
    ],
)
def test_missing_required_field(db: None, tenant_a: Tenant, field: str) -> None:
    body = rejected(
        tenant_a,
        400,
        errors.INVALID_REQUEST,
        upload(photo("obama3.jpg"), "probe.jpg"),
        fields={field: None},
    )
    assert field in body["error"]["fields"], body


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("offence", '{"code": "CC 344", "category": '),
        ("offence", "code=CC 344; indictable"),
        ("offence", '["CC 344"]'),
        ("offence", '{"code": "CC 344", "category": "robbery"}'),
        ("face_hint", '{"x": 1, "y": 1}'),
        ("warrant_id", "W-2026-0042"),
        ("exigent_approval_id", "{}"),
    ],
    ids=[
        "offence-unterminated",
        "offence-not-json",
        "offence-not-object",
        "offence-partial",
        "face-hint-partial",
        "warrant-id-not-uuid",
        "exigent-id-not-uuid",
    ],
)
def test_malformed_structured_field(db: None, tenant_a: Tenant, field: str, value: str) -> None:
    body = rejected(
        tenant_a,
        400,
        errors.INVALID_REQUEST,
        upload(photo("obama3.jpg"), "probe.jpg"),
        fields={field: value},
    )
    assert field in body["error"]["fields"], body


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("purpose", "mass_identification"),
        ("probe_source", "drone"),
        ("probe_collected_in", "Ontario"),
    ],
    ids=["purpose", "probe-source", "region"],
)
def test_unknown_vocabulary(db: None, tenant_a: Tenant, field: str, value: str) -> None:
    body = rejected(
        tenant_a,
        400,
        errors.INVALID_REQUEST,
        upload(photo("obama3.jpg"), "probe.jpg"),
        fields={field: value},
    )
    assert field in body["error"]["fields"], body


def test_offence_names_the_nested_field(db: None, tenant_a: Tenant) -> None:
    offence = '{"code": "CC 344", "category": "robbery", "indictable": "often"}'
    body = rejected(
        tenant_a,
        400,
        errors.INVALID_REQUEST,
        upload(photo("obama3.jpg"), "probe.jpg"),
        fields={"offence": offence},
    )
    assert "indictable" in body["error"]["fields"]["offence"], body


@pytest.mark.parametrize(
    ("field", "code"),
    [
        ("warrant_id", "warrant_not_found"),
        ("exigent_approval_id", "exigent_approval_not_found"),
        ("interagency_agreement_id", "interagency_agreement_not_found"),
    ],
)
def test_unknown_authority_record(db: None, tenant_a: Tenant, field: str, code: str) -> None:
    rejected(
        tenant_a,
        404,
        code,
        upload(photo("obama3.jpg"), "probe.jpg"),
        fields={field: str(uuid.uuid4())},
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("probe_captured_at", "2026-11-20 14:30"),
        ("probe_captured_at", "2026-11-20T14:30:00"),
        ("probe_captured_at", "9999-11-20T14:30:00-05:00"),
        ("probe_captured_at", "2026-02-30T14:30:00Z"),
        ("probe_captured_at", "2026-11-20T14:30:00+25:00"),
    ],
    ids=["no-seconds-no-offset", "no-offset", "year-9999", "february-30", "offset-25h"],
)
def test_malformed_timestamp(db: None, tenant_a: Tenant, field: str, value: str) -> None:
    body = rejected(
        tenant_a,
        400,
        errors.INVALID_REQUEST,
        upload(photo("obama3.jpg"), "probe.jpg"),
        fields={field: value},
    )
    assert field in body["error"]["fields"], body


def test_other_agency_gallery_looks_like_a_missing_one(
    db: None, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    slug = f"b-only-{uuid.uuid4().hex[:8]}"
    gallery_create(
        agency=Agency.objects.get(id=tenant_b.agency.id),
        slug=slug,
        name="Quebec only",
        legal_basis="identification_of_criminals_act",
        contains_youth_records=False,
        cai_disclosure_filed=True,
    )
    b_before = row_counts(tenant_b.agency.id)

    other = rejected(
        tenant_a,
        404,
        GALLERY_NOT_FOUND,
        upload(photo("obama3.jpg"), "probe.jpg"),
        fields={"gallery": slug},
    )
    missing = rejected(
        tenant_a,
        404,
        GALLERY_NOT_FOUND,
        upload(photo("obama3.jpg"), "probe.jpg"),
        fields={"gallery": f"nowhere-{uuid.uuid4().hex[:8]}"},
    )

    assert other == missing
    assert row_counts(tenant_b.agency.id) == b_before


def test_unauthenticated(db: None, tenant_a: Tenant) -> None:
    rejected(
        tenant_a,
        401,
        errors.NOT_AUTHENTICATED,
        upload(photo("obama3.jpg"), "probe.jpg"),
        client=APIClient(),
    )


@pytest.mark.parametrize(
    "header",
    ["Token prb_not-a-real-key", "Token", "Token two parts", "Bearer prb_not-a-real-key"],
    ids=["unknown-key", "no-key", "extra-part", "other-scheme"],
)
def test_bad_token(db: None, tenant_a: Tenant, header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    rejected(
        tenant_a,
        401,
        errors.NOT_AUTHENTICATED,
        upload(photo("obama3.jpg"), "probe.jpg"),
        client=client,
    )


@pytest.mark.parametrize(
    "field",
    ["warrant", "exigent", "interagency", "agency", "user"],
)
def test_unknown_fields_are_refused_not_ignored(db: None, tenant_a: Tenant, field: str) -> None:
    """An inline warrant or a claimed identity must not be silently dropped."""
    upload = io.BytesIO(photo("obama3.jpg"))
    upload.name = "probe.jpg"
    fields = {**search_fields(), field: '{"kind": "general_warrant"}', "probe": upload}
    response = tenant_a.client().post("/api/v1/searches", fields, format="multipart")
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid_request"
    assert field in body["fields"]


def test_an_unreachable_policy_engine_denies_the_search_on_record(
    db: None, tenant_a: Tenant, settings: Any
) -> None:
    """Engine down = deny with request_malformed, recorded and audited; the probe is not kept."""
    import socket

    from policy.engine import engine_get

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.OPA_URL = f"http://127.0.0.1:{port}"
    settings.OPA_TIMEOUT_SECONDS = 0.5
    engine_get.cache_clear()
    try:
        upload = io.BytesIO(photo("obama3.jpg"))
        upload.name = "probe.jpg"
        response = tenant_a.client().post(
            "/api/v1/searches", {**search_fields(), "probe": upload}, format="multipart"
        )
    finally:
        engine_get.cache_clear()
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "denied"
    assert [r["code"] for r in body["decision"]["reasons"]] == ["request_malformed"]
    assert body["decision"]["engine"] == "opa-rest"
    with agency_transaction(tenant_a.agency.id):
        assert Probe.objects.get(search_id=body["id"]).content is None
        decision = PolicyDecision.objects.get(id=body["decision"]["id"])
    assert decision.allow is False
