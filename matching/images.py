"""Image checks: what is safe to learn from an upload before the policy allows a search.

``image_inspect`` reads only the container (signature, header, segment structure, PNG chunk
CRCs) and never decodes a pixel, so it may run on a probe before the policy decision.
``image_decode`` decodes pixels and is called only after an allow (or for enrollment).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from numpy.typing import NDArray
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from tenants import errors

JPEG = "JPEG"
PNG = "PNG"
CONTENT_TYPES = {JPEG: "image/jpeg", PNG: "image/png"}
ACCEPTED_DECLARED_TYPES = {"image/jpeg", "image/jpg", "image/pjpeg", "image/png",
                           "application/octet-stream", ""}


class ImageRejectedError(Exception):
    """An upload that is not an acceptable image; ``code`` is a stable error code."""

    def __init__(self, code: str, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status


@dataclass(frozen=True)
class ImageInfo:
    """What the container says about an image, learned without decoding it."""

    format: str
    content_type: str
    width: int
    height: int
    size: int
    sha256: str


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def _jpeg_complete(data: bytes) -> bool:
    """Return whether an end-of-image marker follows the last start-of-scan marker."""
    sos = data.rfind(b"\xff\xda")
    return sos != -1 and data.find(b"\xff\xd9", sos) != -1


def image_inspect(
    data: bytes, *, declared_type: str = "", max_bytes: int | None = None
) -> ImageInfo:
    """Validate an upload's type, size, dimensions and structure without decoding pixels."""
    limit = max_bytes if max_bytes is not None else settings.PROBE_MAX_BYTES
    if not data:
        raise ImageRejectedError(errors.IMAGE_MISSING, "The image is empty.")
    if len(data) > limit:
        raise ImageRejectedError(
            errors.IMAGE_TOO_LARGE, f"The image is larger than {limit} bytes.", 413
        )
    declared = declared_type.split(";")[0].strip().lower()
    fmt = _sniff(data)
    if declared not in ACCEPTED_DECLARED_TYPES or fmt is None:
        raise ImageRejectedError(
            errors.IMAGE_TYPE_UNSUPPORTED, "Only JPEG and PNG images are accepted.", 415
        )
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            width, height = image.size
            if width * height > settings.IMAGE_MAX_PIXELS or width <= 0 or height <= 0:
                raise ImageRejectedError(
                    errors.IMAGE_DECOMPRESSION_BOMB,
                    f"The image declares {width}x{height} pixels, above the limit.",
                )
            if fmt == PNG:
                image.verify()
    except ImageRejectedError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageRejectedError(
            errors.IMAGE_DECOMPRESSION_BOMB, "The image declares too many pixels."
        ) from exc
    except (UnidentifiedImageError, SyntaxError, OSError, ValueError) as exc:
        code = errors.IMAGE_TRUNCATED if "truncat" in str(exc).lower() else errors.IMAGE_CORRUPT
        raise ImageRejectedError(code, "The image file is corrupt or truncated.") from exc
    if fmt == JPEG and not _jpeg_complete(data):
        raise ImageRejectedError(errors.IMAGE_TRUNCATED, "The JPEG image is truncated.")
    return ImageInfo(
        format=fmt,
        content_type=CONTENT_TYPES[fmt],
        width=width,
        height=height,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def image_decode(data: bytes) -> Image.Image:
    """Decode an inspected image fully, upright per its EXIF orientation, as RGB."""
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    fmt = _sniff(data)
    if fmt is None:
        raise ImageRejectedError(errors.IMAGE_TYPE_UNSUPPORTED, "Only JPEG and PNG images.", 415)
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            if image.size[0] * image.size[1] > settings.IMAGE_MAX_PIXELS:
                raise ImageRejectedError(errors.IMAGE_DECOMPRESSION_BOMB, "Too many pixels.")
            image.load()
            upright = ImageOps.exif_transpose(image)
            return upright.convert("RGB")
    except ImageRejectedError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageRejectedError(errors.IMAGE_DECOMPRESSION_BOMB, "Too many pixels.") from exc
    except (UnidentifiedImageError, SyntaxError, OSError, ValueError) as exc:
        code = errors.IMAGE_TRUNCATED if "truncat" in str(exc).lower() else errors.IMAGE_CORRUPT
        raise ImageRejectedError(code, "The image file is corrupt or truncated.") from exc


def image_pixels(image: Image.Image) -> NDArray[np.uint8]:
    """Return the RGB pixel array the face model expects."""
    return np.asarray(image, dtype=np.uint8)


def image_reencode_jpeg(image: Image.Image, *, quality: int = 90) -> bytes:
    """Re-encode as JPEG without metadata (EXIF, GPS, comments are dropped)."""
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()
