"""Face detection and encoding. Imported only by workers, never by the web process.

Importing this module loads dlib's models; nothing in the request path imports it, so no probe
can be detected or encoded before a worker picks up an allowed search.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib.metadata import version

import dlib
import face_recognition
import numpy as np
from django.conf import settings
from numpy.typing import NDArray
from PIL import Image, ImageFile

# face_recognition switches Pillow to accept truncated files process-wide; undo that.
ImageFile.LOAD_TRUNCATED_IMAGES = False

MODEL_NAME = "dlib_face_recognition_resnet_model_v1"
MODEL_VERSION = f"fr-{version('face_recognition')}+dlib-{dlib.__version__}"
# How faces are found before the model encodes them (the passes of ``faces_detect``); a change
# here changes which box of a large image is encoded, so cached encodings depend on it too.
DETECTION_VERSION = "first-pass-then-full-2"


@dataclass(frozen=True)
class Box:
    """A face box in pixels of the upright image."""

    top: int
    right: int
    bottom: int
    left: int

    def as_list(self) -> list[int]:
        """Return ``[top, right, bottom, left]``."""
        return [self.top, self.right, self.bottom, self.left]

    def as_rect(self) -> dict[str, int]:
        """Return ``{x, y, w, h}`` as clients draw it."""
        return {
            "x": self.left,
            "y": self.top,
            "w": self.right - self.left,
            "h": self.bottom - self.top,
        }

    def center_within(self, rect: dict[str, int]) -> bool:
        """Return whether the box's centre lies inside ``rect`` (``{x, y, w, h}``)."""
        cx, cy = (self.left + self.right) / 2, (self.top + self.bottom) / 2
        return rect["x"] <= cx <= rect["x"] + rect["w"] and rect["y"] <= cy <= rect["y"] + rect["h"]


def _detection_copy(
    pixels: NDArray[np.uint8], budget: int
) -> tuple[NDArray[np.uint8], float, float]:
    """Return the image detection runs on and its x and y factors back to ``pixels``.

    HOG's cost grows with the pixel count (four times per upsampling), so an image above
    ``budget`` pixels is detected on a copy scaled down to it. A face must be about 40 px wide
    in the copy to be found with one upsampling: the budget trades the smallest face found
    against the cost of one probe.
    """
    height, width = pixels.shape[:2]
    if height * width <= budget:
        return pixels, 1.0, 1.0
    shrink = math.sqrt(budget / (height * width))
    size = (max(1, int(width * shrink)), max(1, int(height * shrink)))
    copy = Image.fromarray(pixels).resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(copy, dtype=np.uint8), width / size[0], height / size[1]


# A face found narrower than this in the first pass's copy is near the detector's smallest
# (80 px at one upsampling, in the upsampled image), where its box is coarse: it is detected
# again in a crop around it at the full budget's scale.
REFINE_BELOW_PX = 120


def _detect_within(pixels: NDArray[np.uint8], budget: int) -> tuple[list[Box], float]:
    """Return the face boxes found on a copy of at most ``budget`` pixels, in ``pixels``' pixels.

    Also return how many of ``pixels``' pixels one pixel of the copy spans (1.0: no copy).
    """
    copy, fx, fy = _detection_copy(pixels, budget)
    found = face_recognition.face_locations(
        copy, number_of_times_to_upsample=settings.FACE_UPSAMPLE, model=settings.FACE_DETECTOR
    )
    height, width = pixels.shape[:2]

    def back(value: float, factor: float, limit: int) -> int:
        return min(max(round(value * factor), 0), limit)

    boxes = [
        Box(back(t, fy, height), back(r, fx, width), back(b, fy, height), back(left, fx, width))
        for (t, r, b, left) in found
    ]
    return boxes, fx


def _overlap(a: Box, b: Box) -> float:
    """Return the intersection over union of two boxes."""
    inter_w = min(a.right, b.right) - max(a.left, b.left)
    inter_h = min(a.bottom, b.bottom) - max(a.top, b.top)
    if inter_w <= 0 or inter_h <= 0:
        return 0.0
    inter = inter_w * inter_h
    area = (a.right - a.left) * (a.bottom - a.top) + (b.right - b.left) * (b.bottom - b.top)
    return inter / (area - inter)


def _refined(pixels: NDArray[np.uint8], box: Box, scale: float) -> Box | None:
    """Return ``box`` as a detection at ``scale`` (copy pixels per image pixel) draws it.

    The face is detected again in a crop of three times its size around it (the detector needs
    context around a face to find it); the crop's detection that
    overlaps it most replaces it. None when the crop holds no such face: the full scale does not
    confirm the coarse copy's detection (often a false one at low resolution, sometimes a true
    face the crop's edges hide from the detector).
    """
    height, width = pixels.shape[:2]
    margin_w, margin_h = box.right - box.left, box.bottom - box.top
    top, bottom = max(0, box.top - margin_h), min(height, box.bottom + margin_h)
    left, right = max(0, box.left - margin_w), min(width, box.right + margin_w)
    crop = pixels[top:bottom, left:right]
    found, _ = _detect_within(crop, max(1, int(crop.shape[0] * crop.shape[1] * scale * scale)))
    moved = [Box(f.top + top, f.right + left, f.bottom + top, f.left + left) for f in found]
    best = max(moved, key=lambda f: _overlap(f, box), default=None)
    return best if best is not None and _overlap(best, box) >= 0.3 else None


def faces_detect(pixels: NDArray[np.uint8]) -> list[Box]:
    """Return every face box in pixels of ``pixels``, largest first (confirmed ones first).

    Detection first runs on a copy of at most ``FACE_DETECT_FIRST_PIXELS``; only when that finds
    no face does it run again on one of at most ``FACE_DETECT_MAX_PIXELS`` (a large frame whose
    faces are all small). A face the first pass found small is detected again around itself at
    the larger budget's scale (``_refined``): its box is then drawn at a full pass's detail, and a
    detection the full scale does not confirm comes after every confirmed one. The boxes are
    mapped back and kept inside the image.
    """
    height, width = pixels.shape[:2]
    largest = settings.FACE_DETECT_MAX_PIXELS
    first = min(settings.FACE_DETECT_FIRST_PIXELS, largest)
    boxes, factor = _detect_within(pixels, first)
    full_scale = min(1.0, math.sqrt(largest / (height * width)))
    if not boxes and height * width > first:
        boxes, _ = _detect_within(pixels, largest)
    elif factor * full_scale > 1.0 + 1e-9:
        confirmed, unconfirmed = [], []
        for box in boxes:
            if (box.right - box.left) / factor >= REFINE_BELOW_PX:
                confirmed.append(box)
            elif (refined := _refined(pixels, box, full_scale)) is not None:
                confirmed.append(refined)
            else:
                unconfirmed.append(box)
        return _largest_first(confirmed) + _largest_first(unconfirmed)
    return _largest_first(boxes)


def _largest_first(boxes: list[Box]) -> list[Box]:
    return sorted(boxes, key=lambda b: (b.bottom - b.top) * (b.right - b.left), reverse=True)


def face_encode(pixels: NDArray[np.uint8], box: Box) -> NDArray[np.float64]:
    """Return the 128-d embedding of the one face in ``box``; no other face is encoded."""
    (encoding,) = face_recognition.face_encodings(
        pixels,
        known_face_locations=[(box.top, box.right, box.bottom, box.left)],
        num_jitters=1,
        model="small",
    )
    return np.asarray(encoding, dtype=np.float64)
