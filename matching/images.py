"""Image checks: what is safe to learn from an upload before the policy allows a search.

``image_inspect`` reads only the container (signature, header, segment structure, PNG chunk
CRCs) and never decodes a pixel, so it may run on a probe before the policy decision.
``image_decode`` decodes pixels and is called only after an allow (or for enrollment). It keeps
the cost of one image bounded: a JPEG is decoded scaled down to ``IMAGE_DECODE_MAX_PIXELS`` (a
PNG above it is refused by ``image_inspect``), and scan data that ends early or is corrupt is
refused instead of being filled with gray.
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
import zlib
from dataclasses import dataclass

import numpy as np
import simplejpeg
from django.conf import settings
from numpy.typing import NDArray
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from tenants import errors

JPEG = "JPEG"
PNG = "PNG"
CONTENT_TYPES = {JPEG: "image/jpeg", PNG: "image/png"}
ACCEPTED_DECLARED_TYPES = {
    "image/jpeg",
    "image/jpg",
    "image/pjpeg",
    "image/png",
    "application/octet-stream",
    "",
}


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


_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_SOF_PROGRESSIVE = frozenset({0xC2, 0xC6, 0xCA, 0xCE})


def _entropy_data_end(data: bytes, at: int) -> int:
    """Return where the next marker starts after entropy-coded data (stuffing and RSTn skipped)."""
    while True:
        at = data.find(b"\xff", at)
        if at == -1 or at + 1 >= len(data):
            return -1
        following = data[at + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            at += 2
        elif following == 0xFF:
            at += 1
        else:
            return at


def _jpeg_scans_cover(data: bytes) -> bool:
    """Return whether the scans carry every coefficient of every component at full precision.

    A JPEG may send its image in several scans (always, when progressive). Cut after a complete
    scan and closed with an end marker, it decodes without a warning from any decoder, coarse
    or missing components. So the scan headers are checked against the frame header: each of a
    component's 64 coefficients must be in some scan that leaves no bits for later (Al = 0).
    Only segment headers are read; the entropy-coded data is skipped, not decoded.
    """
    missing: dict[int, set[int]] = {}
    progressive = False
    at = 2
    try:
        while at + 4 <= len(data):
            if data[at] != 0xFF:
                return False
            marker = data[at + 1]
            if marker == 0xFF:
                at += 1
                continue
            if marker == 0xD9:
                break
            if 0xD0 <= marker <= 0xD7 or marker == 0x01:
                at += 2
                continue
            (length,) = struct.unpack(">H", data[at + 2 : at + 4])
            segment = data[at + 4 : at + 2 + length]
            at += 2 + length
            if marker in _SOF_MARKERS and not missing:
                progressive = marker in _SOF_PROGRESSIVE
                missing = {segment[6 + 3 * i]: set(range(64)) for i in range(segment[5])}
            elif marker == 0xDA:
                count = segment[0]
                first, last, approximation = segment[1 + 2 * count : 4 + 2 * count]
                if not progressive:
                    first, last, approximation = 0, 63, 0
                if approximation & 0x0F == 0:
                    for component in segment[1 : 1 + 2 * count : 2]:
                        missing.get(component, set()).difference_update(range(first, last + 1))
                at = _entropy_data_end(data, at)
                if at == -1:
                    return False
    except (IndexError, ValueError, struct.error):
        return False
    return bool(missing) and not any(missing.values())


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
            if fmt == PNG and width * height > settings.IMAGE_DECODE_MAX_PIXELS:
                raise ImageRejectedError(
                    errors.IMAGE_DECOMPRESSION_BOMB,
                    f"The PNG declares {width}x{height} pixels; a PNG may have at most "
                    f"{settings.IMAGE_DECODE_MAX_PIXELS} (a JPEG may be larger).",
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
    if fmt == JPEG and not _jpeg_scans_cover(data):
        raise ImageRejectedError(
            errors.IMAGE_TRUNCATED, "The JPEG's scans stop before the whole image is sent."
        )
    return ImageInfo(
        format=fmt,
        content_type=CONTENT_TYPES[fmt],
        width=width,
        height=height,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


JPEG_SCALES = (1, 2, 4, 8)
EXIF_ORIENTATION = 0x0112
# Orientations that turn the image a quarter: width and height trade places.
TURNED_ORIENTATIONS = (5, 6, 7, 8)
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)


def _jpeg_scan_check(data: bytes) -> None:
    """Decode a JPEG's scan data strictly at 1/8 scale; refuse data that ends early or is corrupt.

    Pillow's decoder fills missing scan data with gray and reports nothing, so a cut file with an
    end marker appended would be searched as a gray image. libjpeg-turbo's warnings, raised as
    errors by simplejpeg's strict mode, are the only signal; the 1/8 scale keeps the check cheap
    (every coefficient is still entropy-decoded).
    """
    try:
        colorspace = simplejpeg.decode_jpeg_header(data)[2]
        simplejpeg.decode_jpeg(
            data,
            colorspace="CMYK" if colorspace in ("CMYK", "YCCK") else "GRAY",
            min_height=1,
            min_width=1,
            min_factor=8,
            strict=True,
        )
    except ValueError as exc:
        ended_early = "premature end" in str(exc).lower()
        raise ImageRejectedError(
            errors.IMAGE_TRUNCATED if ended_early else errors.IMAGE_CORRUPT,
            "The JPEG's image data ends early."
            if ended_early
            else "The JPEG's image data is corrupt.",
        ) from exc


def _png_scan_check(data: bytes) -> None:
    """Refuse a PNG whose compressed data holds fewer rows than its header declares.

    Pillow stops silently when the zlib stream ends before the last row and leaves the rest
    black, so the rows are counted here by inflating the data (in bounded pieces, kept nowhere).
    """
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    bits = _PNG_CHANNELS.get(color, 4) * depth

    def rows_bytes(columns: int, rows: int) -> int:
        return rows * (1 + (columns * bits + 7) // 8) if columns and rows else 0

    if interlace:
        expected = sum(
            rows_bytes(math.ceil(max(0, width - x) / dx), math.ceil(max(0, height - y) / dy))
            for x, y, dx, dy in _ADAM7
        )
    else:
        expected = rows_bytes(width, height)
    inflater = zlib.decompressobj()
    produced, at, view = 0, 8, memoryview(data)
    try:
        while at + 8 <= len(data) and produced < expected:
            length, kind = struct.unpack(">I4s", data[at : at + 8])
            if kind == b"IEND":
                break
            if kind == b"IDAT":
                pending: bytes | memoryview = view[at + 8 : at + 8 + length]
                while pending and produced < expected:
                    produced += len(inflater.decompress(pending, 1 << 20))
                    pending = inflater.unconsumed_tail
            at += length + 12
    except zlib.error as exc:
        raise ImageRejectedError(errors.IMAGE_CORRUPT, "The PNG's image data is corrupt.") from exc
    if produced < expected:
        raise ImageRejectedError(errors.IMAGE_TRUNCATED, "The PNG's image data ends early.")


def _jpeg_scale(width: int, height: int) -> int:
    """Return the smallest JPEG decoding scale that fits the pixel budget."""
    budget = settings.IMAGE_DECODE_MAX_PIXELS
    for scale in JPEG_SCALES:
        if math.ceil(width / scale) * math.ceil(height / scale) <= budget:
            return scale
    raise ImageRejectedError(errors.IMAGE_DECOMPRESSION_BOMB, "Too many pixels to decode.")


def image_decode(data: bytes) -> Image.Image:
    """Decode an inspected image within the pixel budget, upright per its EXIF orientation, as RGB.

    A JPEG above ``IMAGE_DECODE_MAX_PIXELS`` is decoded scaled by 1/2, 1/4 or 1/8 (DCT scaling,
    so the full image is never held); the factor is in ``info["decode_scale"]`` (1 otherwise),
    and face boxes found in the result are in its pixels. A PNG above it is refused.
    """
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    fmt = _sniff(data)
    if fmt is None:
        raise ImageRejectedError(errors.IMAGE_TYPE_UNSUPPORTED, "Only JPEG and PNG images.", 415)
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            width, height = image.size
            if width * height > settings.IMAGE_MAX_PIXELS:
                raise ImageRejectedError(errors.IMAGE_DECOMPRESSION_BOMB, "Too many pixels.")
            if fmt == JPEG:
                _jpeg_scan_check(data)
                scale = _jpeg_scale(width, height)
                if scale > 1:
                    image.draft(None, (width // scale, height // scale))
            else:
                if width * height > settings.IMAGE_DECODE_MAX_PIXELS:
                    raise ImageRejectedError(
                        errors.IMAGE_DECOMPRESSION_BOMB, "Too many pixels for a PNG."
                    )
                _png_scan_check(data)
            image.load()
            upright = ImageOps.exif_transpose(image).convert("RGB")
            upright.info["decode_scale"] = round(width / image.size[0])
            return upright
    except ImageRejectedError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageRejectedError(errors.IMAGE_DECOMPRESSION_BOMB, "Too many pixels.") from exc
    except (UnidentifiedImageError, SyntaxError, OSError, ValueError, struct.error) as exc:
        code = errors.IMAGE_TRUNCATED if "truncat" in str(exc).lower() else errors.IMAGE_CORRUPT
        raise ImageRejectedError(code, "The image file is corrupt or truncated.") from exc


def image_upright_size(data: bytes) -> tuple[int, int]:
    """Return the size ``image_decode`` gives an inspected image, reading its header only.

    That is its width and height once turned upright per its EXIF orientation, divided by the
    JPEG decoding scale a large image is decoded at.
    """
    fmt = _sniff(data)
    with Image.open(io.BytesIO(data), formats=[fmt] if fmt else None) as image:
        width, height = image.size
        orientation = image.getexif().get(EXIF_ORIENTATION, 1)
    scale = _jpeg_scale(width, height) if fmt == JPEG else 1
    width, height = math.ceil(width / scale), math.ceil(height / scale)
    return (height, width) if orientation in TURNED_ORIENTATIONS else (width, height)


def image_pixels(image: Image.Image) -> NDArray[np.uint8]:
    """Return the RGB pixel array the face model expects."""
    return np.asarray(image, dtype=np.uint8)


def image_reencode_jpeg(image: Image.Image, *, quality: int = 90) -> bytes:
    """Re-encode as JPEG without metadata (EXIF, GPS, comments are dropped)."""
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()
