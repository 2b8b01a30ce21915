"""Upload caps enforced while a multipart body streams in, before any of it is buffered.

``CappedUploadHandler`` is first in ``FILE_UPLOAD_HANDLERS``. It refuses a body whose declared
length exceeds the endpoint's total before reading a byte, and stops reading a file the moment
it passes its field's cap, so an oversized upload costs one parser chunk (64 KiB), never its own
size in memory or on disk. An API class declares its caps with an ``upload_limits``
classmethod; a view that declares none takes any file up to ``UPLOAD_DEFAULT_MAX_BYTES``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, QueryDict
from django.utils.datastructures import MultiValueDict

from tenants import errors
from tenants.errors import UploadRefusedError

FORM_FIELDS_ALLOWANCE = 1024 * 1024


@dataclass(frozen=True)
class FileCap:
    """The most bytes one file field may carry, and the error code past it."""

    max_bytes: int
    code: str = errors.PAYLOAD_TOO_LARGE


@dataclass(frozen=True)
class UploadLimits:
    """What one endpoint takes: caps per file field and for the whole body.

    ``other_files`` caps a file in a field not named in ``files``; ``None`` refuses it.
    """

    total_bytes: int
    files: Mapping[str, FileCap] = field(default_factory=dict)
    other_files: FileCap | None = None


def upload_limits_default() -> UploadLimits:
    """Return the caps of a view that declares none."""
    cap = settings.UPLOAD_DEFAULT_MAX_BYTES
    return UploadLimits(total_bytes=cap + FORM_FIELDS_ALLOWANCE, other_files=FileCap(cap))


def upload_limits_for(request: HttpRequest | None) -> UploadLimits:
    """Return the caps the view a request was routed to declares."""
    match = getattr(request, "resolver_match", None)
    view_class = getattr(match.func, "view_class", None) if match is not None else None
    declared = getattr(view_class, "upload_limits", None)
    if callable(declared):
        limits = declared()
        if isinstance(limits, UploadLimits):
            return limits
    return upload_limits_default()


class CappedUploadHandler(FileUploadHandler):
    """Stop reading a multipart body as soon as it passes a cap; buffer nothing itself."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limits = upload_limits_for(request)
        self.cap = FileCap(0)
        self.file_bytes = 0
        self.body_bytes = 0

    def handle_raw_input(
        self,
        input_data: IO[bytes],
        META: dict[str, Any],  # noqa: N803
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> tuple[QueryDict, MultiValueDict[str, Any]] | None:
        if content_length > self.limits.total_bytes:
            raise UploadRefusedError(
                errors.PAYLOAD_TOO_LARGE,
                f"The request body ({content_length} bytes) is larger than the "
                f"{self.limits.total_bytes} bytes this endpoint takes.",
            )
        return None

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        cap = self.limits.files.get(field_name, self.limits.other_files)
        if cap is None:
            raise UploadRefusedError(
                errors.INVALID_REQUEST,
                f"This endpoint takes no file named '{field_name}'.",
                http_status=400,
                fields={field_name: ["Unexpected file."]},
            )
        self.cap = cap
        self.file_bytes = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.file_bytes += len(raw_data)
        self.body_bytes += len(raw_data)
        if self.file_bytes > self.cap.max_bytes:
            raise UploadRefusedError(
                self.cap.code,
                f"The '{self.field_name}' file is larger than {self.cap.max_bytes} bytes.",
            )
        if self.body_bytes > self.limits.total_bytes:
            raise UploadRefusedError(
                errors.PAYLOAD_TOO_LARGE,
                f"The files are larger than the {self.limits.total_bytes} bytes this endpoint "
                "takes in one request.",
            )
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
