"""The size the face boxes are measured in, read from the header alone, equals the decoded one."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.test import override_settings
from PIL import Image

from matching.images import image_decode, image_upright_size
from tests.conftest import photo


def _sideways_jpeg() -> bytes:
    upright = Image.open(io.BytesIO(photo("obama3.jpg")))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    upright.rotate(90, expand=True).save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def _png() -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(photo("biden.jpg"))).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("make", [lambda: photo("obama3.jpg"), _sideways_jpeg, _png])
def test_the_header_gives_the_decoded_upright_size(make: Callable[[], bytes]) -> None:
    data = make()
    assert image_upright_size(data) == image_decode(data).size


def test_a_jpeg_decoded_at_a_smaller_scale_gives_that_scales_size() -> None:
    data = _sideways_jpeg()
    width, height = Image.open(io.BytesIO(data)).size
    with override_settings(IMAGE_DECODE_MAX_PIXELS=width * height // 3):
        decoded = image_decode(data)
        assert decoded.info["decode_scale"] == 2
        assert image_upright_size(data) == decoded.size
