"""Camera-sized frames made of the labeled photos, for the benchmarks of large probes."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

FRAME = (1920, 1080)
LABELED_SIDE = 250


def background(rng: np.random.Generator) -> Image.Image:
    """Return a smooth colour field of the frame's size: nothing a detector takes for a face."""
    coarse = rng.integers(40, 215, size=(9, 16, 3), dtype=np.uint8)
    return Image.fromarray(coarse).resize(FRAME, Image.Resampling.BICUBIC)


def frame_of(photo: bytes, scale: float, rng: np.random.Generator) -> bytes:
    """Return a 1920x1080 JPEG with ``photo`` at ``scale`` times the labeled set's size.

    The labeled photos are 250x250 with the face about 110 px wide; a larger photo is first
    brought to that size so ``scale`` means the same face size for every probe.
    """
    face = Image.open(io.BytesIO(photo)).convert("RGB")
    factor = scale * LABELED_SIDE / max(face.width, face.height)
    size = (round(face.width * factor), round(face.height * factor))
    face = face.resize(size, Image.Resampling.LANCZOS)
    face = face.crop((0, 0, min(face.width, FRAME[0]), min(face.height, FRAME[1])))
    canvas = background(rng)
    x = int(rng.integers(0, FRAME[0] - face.width + 1))
    y = int(rng.integers(0, FRAME[1] - face.height + 1))
    canvas.paste(face, (x, y))
    out = io.BytesIO()
    canvas.save(out, format="JPEG", quality=90)
    return out.getvalue()
