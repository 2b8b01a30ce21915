"""Detect and encode the labeled photos once, exactly as the service does, and cache the result.

Encoding 1,440 photos takes minutes on two cores; the cache (``var/bench-cache/encodings.npz``)
is keyed by file and content hash, and by the model version and detector settings, so a rerun
only encodes what changed and a model upgrade re-encodes everything.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.harness import PROJECT_DIR, EvalPhoto, progress

CACHE_PATH = PROJECT_DIR / "var" / "bench-cache" / "encodings.npz"
DIMENSIONS = 128


@dataclass(frozen=True)
class PhotoEncoding:
    """What the service's face code finds in one photo: all boxes, and the largest one encoded."""

    photo: EvalPhoto
    sha256: str
    faces: int
    box: tuple[int, int, int, int] | None
    encoding: NDArray[np.float64] | None
    width: int
    height: int


def _model_key() -> str:
    from django.conf import settings

    from matching.faces import DETECTION_VERSION, MODEL_VERSION

    return (
        f"{MODEL_VERSION}|{DETECTION_VERSION}|{settings.FACE_DETECTOR}"
        f"|upsample={settings.FACE_UPSAMPLE}"
        f"|detect_max_px={settings.FACE_DETECT_MAX_PIXELS}"
        f"|detect_first_px={settings.FACE_DETECT_FIRST_PIXELS}"
        f"|decode_max_px={settings.IMAGE_DECODE_MAX_PIXELS}"
    )


def _photo_encode(path: str) -> tuple[int, list[int], list[float], int, int]:
    """Return (faces, largest box, its encoding, width, height) via the service's own code."""
    from matching.faces import face_encode, faces_detect
    from matching.images import image_decode, image_pixels

    image = image_decode(Path(path).read_bytes())
    pixels = image_pixels(image)
    boxes = faces_detect(pixels)
    if not boxes:
        return 0, [0, 0, 0, 0], [], image.width, image.height
    encoding = face_encode(pixels, boxes[0])
    return len(boxes), boxes[0].as_list(), [float(x) for x in encoding], image.width, image.height


def _cache_read(key: str) -> dict[tuple[str, str], tuple[Any, ...]]:
    if not CACHE_PATH.exists():
        return {}
    with np.load(CACHE_PATH, allow_pickle=False) as cached:
        if str(cached["model_key"]) != key:
            progress("encoding cache was made with another model or detector; re-encoding")
            return {}
        return {
            (str(f), str(h)): (int(n), [int(x) for x in b], e, int(w), int(hh))
            for f, h, n, b, e, w, hh in zip(
                cached["files"],
                cached["sha256"],
                cached["faces"],
                cached["boxes"],
                cached["encodings"],
                cached["width"],
                cached["height"],
                strict=True,
            )
        }


def _cache_write(key: str, rows: list[PhotoEncoding]) -> None:
    CACHE_PATH.parent.mkdir(parents=True, exist_ok=True)
    encodings = np.full((len(rows), DIMENSIONS), np.nan)
    for i, row in enumerate(rows):
        if row.encoding is not None:
            encodings[i] = row.encoding
    tmp = CACHE_PATH.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp,
        model_key=np.array(key),
        files=np.array([r.photo.file for r in rows]),
        sha256=np.array([r.sha256 for r in rows]),
        faces=np.array([r.faces for r in rows]),
        boxes=np.array([list(r.box) if r.box else [0, 0, 0, 0] for r in rows]),
        encodings=encodings,
        width=np.array([r.width for r in rows]),
        height=np.array([r.height for r in rows]),
    )
    tmp.replace(CACHE_PATH)


def encodings_load(photos: list[EvalPhoto], *, workers: int | None = None) -> list[PhotoEncoding]:
    """Return every photo's faces and encoding, encoding only photos the cache lacks.

    Missing photos are encoded in forked worker processes (one per core); call this before
    any database connection is opened so no child inherits one.
    """
    key = _model_key()
    cached = _cache_read(key)
    digests = [hashlib.sha256(p.path.read_bytes()).hexdigest() for p in photos]
    todo = [
        i for i, (p, h) in enumerate(zip(photos, digests, strict=True)) if (p.file, h) not in cached
    ]
    results: dict[int, tuple[Any, ...]] = {
        i: cached[(p.file, h)]
        for i, (p, h) in enumerate(zip(photos, digests, strict=True))
        if (p.file, h) in cached
    }
    if todo:
        count = workers or os.cpu_count() or 1
        progress(
            f"encoding {len(todo)} photos with the service's face code on {count} processes "
            f"(cached: {len(results)}); this is done once"
        )
        started = time.perf_counter()
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
            paths = [str(photos[i].path) for i in todo]
            for done, (i, outcome) in enumerate(
                zip(todo, pool.map(_photo_encode, paths, chunksize=8), strict=True), start=1
            ):
                results[i] = outcome
                if done % 200 == 0:
                    progress(
                        f"  {done}/{len(todo)} encoded ({time.perf_counter() - started:.0f} s)"
                    )
    rows = []
    for i, photo in enumerate(photos):
        faces, box, encoding, width, height = results[i]
        vector = np.asarray(encoding, dtype=np.float64)
        has_face = faces > 0 and vector.size == DIMENSIONS and not np.isnan(vector).any()
        rows.append(
            PhotoEncoding(
                photo=photo,
                sha256=digests[i],
                faces=faces,
                box=(box[0], box[1], box[2], box[3]) if has_face else None,
                encoding=vector if has_face else None,
                width=width,
                height=height,
            )
        )
    if todo:
        _cache_write(key, rows)
    return rows
