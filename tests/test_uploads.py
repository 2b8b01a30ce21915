"""Uploads are capped while they stream in, before anything is buffered.

Each request is fed through the real WSGI handler from a stream that makes its bytes on demand
and counts how many the service read, so a 400 MB body costs the test nothing unless the
service reads it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test.client import ClientHandler

from authorizations.models import Warrant
from authorizations.services import DOCUMENT_MAX_BYTES
from matching.enrollment import ENROLL_MAX_BYTES
from matching.models import EnrollmentBatch, Search
from tenants import errors
from tenants.context import agency_transaction
from tests.authorizations.test_records import warrant_fields
from tests.conftest import Tenant, photo, search_fields

BOUNDARY = "probity-test-boundary"
MB = 1024 * 1024
SLACK = 512 * 1024  # a few of the parser's 64 KiB chunks, plus headers


class CountingBody(io.RawIOBase):
    """A multipart body made on demand from parts; ``consumed`` counts what was read."""

    def __init__(self, fields: dict[str, Any], files: list[tuple[str, str, bytes, int]]) -> None:
        self.pieces: list[tuple[bytes, int]] = []  # (pattern, length): repeat pattern to length
        for name, value in fields.items():
            for item in value if isinstance(value, list) else [value]:
                self._literal(
                    f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
                    f'name="{name}"\r\n\r\n{item}\r\n'.encode()
                )
        for name, filename, head, size in files:
            self._literal(
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream'
                "\r\n\r\n".encode()
            )
            self._literal(head[:size])
            if size > len(head):
                self.pieces.append((b"0" * 65536, size - len(head)))
            self._literal(b"\r\n")
        self._literal(f"--{BOUNDARY}--\r\n".encode())
        self.length = sum(n for _, n in self.pieces)
        self.consumed = 0
        self._chunks = self._generate()
        self._pending = b""

    def _literal(self, data: bytes) -> None:
        self.pieces.append((data, len(data)))

    def _generate(self) -> Iterator[bytes]:
        for pattern, length in self.pieces:
            while length > 0:
                chunk = pattern[: min(length, len(pattern))]
                length -= len(chunk)
                yield chunk

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        want = self.length if size is None or size < 0 else size
        while len(self._pending) < want:
            chunk = next(self._chunks, b"")
            if not chunk:
                break
            self._pending += chunk
        data, self._pending = self._pending[:want], self._pending[want:]
        self.consumed += len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        return self.read(size)


def post_streamed(path: str, token: str, body: CountingBody) -> Any:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": body,
        "wsgi.errors": io.StringIO(),
        "wsgi.multiprocess": True,
        "wsgi.multithread": False,
        "wsgi.run_once": False,
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        "CONTENT_LENGTH": str(body.length),
        "HTTP_AUTHORIZATION": f"Token {token}",
    }
    return ClientHandler(enforce_csrf_checks=False)(environ)


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    error: dict[str, Any] = json.loads(response.content)["error"]
    assert error["message"]
    return error


def warrant_count(tenant: Tenant) -> int:
    with agency_transaction(tenant.agency.id):
        return Warrant.objects.filter(agency_id=tenant.agency.id).count()


PDF_HEAD = b"%PDF-1.4\n1 0 obj <<>> endobj\n"


def test_a_400_mb_pdf_is_refused_before_it_is_read(db: None, tenant_a: Tenant) -> None:
    body = CountingBody(warrant_fields(), [("document", "order.pdf", PDF_HEAD, 400 * MB)])
    before = warrant_count(tenant_a)
    response = post_streamed("/api/v1/authorities/warrants", tenant_a.tokens["investigator"], body)
    assert error_of(response, 413)["code"] == errors.PAYLOAD_TOO_LARGE
    assert body.consumed < SLACK
    assert warrant_count(tenant_a) == before


def test_a_document_over_its_cap_stops_being_read_at_the_cap(db: None, tenant_a: Tenant) -> None:
    """A body the request total allows still stops at the document's own cap."""
    size = DOCUMENT_MAX_BYTES + 900 * 1024
    body = CountingBody(warrant_fields(), [("document", "order.pdf", PDF_HEAD, size)])
    before = warrant_count(tenant_a)
    response = post_streamed("/api/v1/authorities/warrants", tenant_a.tokens["investigator"], body)
    error = error_of(response, 413)
    assert error["code"] == errors.PAYLOAD_TOO_LARGE
    assert "document" in error["message"]
    assert body.consumed < DOCUMENT_MAX_BYTES + SLACK
    assert warrant_count(tenant_a) == before


def test_a_document_at_its_cap_is_accepted(db: None, tenant_a: Tenant) -> None:
    body = CountingBody(warrant_fields(), [("document", "order.pdf", PDF_HEAD, DOCUMENT_MAX_BYTES)])
    response = post_streamed("/api/v1/authorities/warrants", tenant_a.tokens["investigator"], body)
    assert response.status_code == 201, response.content[:500]
    assert body.consumed == body.length


def test_a_probe_over_its_cap_stops_being_read_at_the_cap(
    db: None, tenant_a: Tenant, settings: Any
) -> None:
    settings.PROBE_MAX_BYTES = 2 * MB
    jpeg = photo("obama3.jpg")
    body = CountingBody(search_fields(), [("probe", "probe.jpg", jpeg, 2 * MB + 700 * 1024)])
    with agency_transaction(tenant_a.agency.id):
        before = Search.objects.count()
    response = post_streamed("/api/v1/searches", tenant_a.tokens["investigator"], body)
    assert error_of(response, 413)["code"] == errors.IMAGE_TOO_LARGE
    assert body.consumed < 2 * MB + SLACK
    with agency_transaction(tenant_a.agency.id):
        assert Search.objects.count() == before


def test_a_file_in_a_field_the_endpoint_does_not_take_is_refused_unread(
    db: None, tenant_a: Tenant
) -> None:
    body = CountingBody(search_fields(), [("attachment", "notes.pdf", PDF_HEAD, 3 * MB)])
    response = post_streamed("/api/v1/searches", tenant_a.tokens["investigator"], body)
    error = error_of(response, 400)
    assert error["code"] == errors.INVALID_REQUEST
    assert "attachment" in error["fields"]
    assert body.consumed < SLACK


def enrollment_count(tenant: Tenant) -> int:
    with agency_transaction(tenant.agency.id):
        return EnrollmentBatch.objects.filter(agency_id=tenant.agency.id).count()


def test_an_enrollment_request_over_its_total_is_refused_before_it_is_read(
    db: None, tenant_a: Tenant, settings: Any
) -> None:
    """Each image is under its own cap; together they exceed the request's total."""
    settings.ENROLL_REQUEST_MAX_BYTES = 16 * MB
    jpeg = photo("obama.jpg")
    files = [("images", f"p{i}.jpg", jpeg, 8 * MB) for i in range(3)]
    body = CountingBody({"ref": "total-cap", "display_name": "Total"}, files)
    before = enrollment_count(tenant_a)
    response = post_streamed(
        f"/api/v1/galleries/{tenant_a.gallery.slug}/subjects", tenant_a.tokens["agency_admin"], body
    )
    assert error_of(response, 413)["code"] == errors.PAYLOAD_TOO_LARGE
    assert body.consumed < SLACK
    assert enrollment_count(tenant_a) == before


def test_an_enrollment_image_over_its_cap_stops_being_read_at_the_cap(
    db: None, tenant_a: Tenant
) -> None:
    jpeg = photo("obama.jpg")
    body = CountingBody(
        {"ref": "image-cap", "display_name": "Image"},
        [("images", "big.jpg", jpeg, ENROLL_MAX_BYTES + 600 * 1024)],
    )
    before = enrollment_count(tenant_a)
    response = post_streamed(
        f"/api/v1/galleries/{tenant_a.gallery.slug}/subjects", tenant_a.tokens["agency_admin"], body
    )
    error = error_of(response, 413)
    assert error["code"] == errors.IMAGE_TOO_LARGE
    assert body.consumed < ENROLL_MAX_BYTES + SLACK
    assert enrollment_count(tenant_a) == before


@pytest.mark.parametrize("role", ["investigator", "analyst"])
def test_a_user_who_may_not_enroll_is_refused_before_the_upload_is_read(
    db: None, tenant_a: Tenant, role: str
) -> None:
    body = CountingBody({"ref": "no-role"}, [("images", "p.jpg", photo("obama.jpg"), 5 * MB)])
    response = post_streamed(
        f"/api/v1/galleries/{tenant_a.gallery.slug}/subjects", tenant_a.tokens[role], body
    )
    assert error_of(response, 403)["code"] == errors.PERMISSION_DENIED
    assert body.consumed < SLACK
