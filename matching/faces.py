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


def _detect_within(pixels: NDArray[np.uint8], budget: int) -> list[Box]:
    """Return the face boxes found on a copy of at most ``budget`` pixels, in ``pixels``' pixels."""
    copy, fx, fy = _detection_copy(pixels, budget)
    found = face_recognition.face_locations(
        copy, number_of_times_to_upsample=settings.FACE_UPSAMPLE, model=settings.FACE_DETECTOR
    )
    height, width = pixels.shape[:2]

    def back(value: float, factor: float, limit: int) -> int:
        return min(max(round(value * factor), 0), limit)

    return [
        Box(back(t, fy, height), back(r, fx, width), back(b, fy, height), back(left, fx, width))
        for (t, r, b, left) in found
    ]


def faces_detect(pixels: NDArray[np.uint8]) -> list[Box]:
    """Return every face box in pixels of ``pixels``, largest first.

    Detection first runs on a copy of at most ``FACE_DETECT_FIRST_PIXELS``; only when that finds
    no face does it run again on one of at most ``FACE_DETECT_MAX_PIXELS`` (a large frame whose
    faces are all small). The boxes are mapped back and kept inside the image.
    """
    height, width = pixels.shape[:2]
    largest = settings.FACE_DETECT_MAX_PIXELS
    first = min(settings.FACE_DETECT_FIRST_PIXELS, largest)
    boxes = _detect_within(pixels, first)
    if not boxes and height * width > first:
        boxes = _detect_within(pixels, largest)
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
