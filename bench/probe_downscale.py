"""How far a large probe can be scaled down before face detection without losing accuracy.

The labeled set's probes (the protocol of ``bench.identification_accuracy``) are placed in
1920x1080 frames at several face sizes: each photo is scaled by a factor and pasted at a seeded
position on a smooth, face-free background, then saved as a JPEG, as a still from a camera would
arrive. Each frame goes through the service's own decode, detection (``faces_detect``, with
each detection plan in turn) and encoding of the largest face, and is
ranked against the gallery photos' encodings by Euclidean distance (the library's comparison).
A plan is ``FIRST:MAX``: detection runs on a copy of at most FIRST pixels
(``FACE_DETECT_FIRST_PIXELS``) and, only if that finds no face, on one of at most MAX
(``FACE_DETECT_MAX_PIXELS``); ``MAX:MAX`` is a single pass. The baseline in the same run is the
original photo, which no plan scales. Reported per plan and face size: faces found, rank-1 and
rank-10, and detection + encoding time per frame.

Run: ``.venv/bin/python -m bench.probe_downscale [--probes N] [--plans 500000:2100000,...]``
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.encodings import PhotoEncoding, encodings_load
from bench.frames import FRAME, LABELED_SIDE, frame_of
from bench.harness import (
    django_start,
    environment,
    eval_faces_dir,
    eval_photos,
    json_emit,
    latency_summary,
    load_average,
    progress,
    stdout_reserve,
)
from bench.identification_accuracy import RANKS, protocol_split, ranks_of

SCALES = (0.8, 1.5, 3.0, 4.32)
PLANS = ("2100000:2100000", "1000000:2100000", "500000:2100000", "300000:2100000")


def frame_encode(content: bytes) -> tuple[int, NDArray[np.float64] | None, float]:
    """Return (faces found, the largest face's encoding, seconds) through the service's code."""
    from matching.faces import face_encode, faces_detect
    from matching.images import image_decode, image_pixels

    began = time.perf_counter()
    pixels = image_pixels(image_decode(content))
    boxes = faces_detect(pixels)
    encoding = face_encode(pixels, boxes[0]) if boxes else None
    return len(boxes), encoding, time.perf_counter() - began


def ranked(
    encodings: list[NDArray[np.float64] | None], gallery: list[PhotoEncoding]
) -> list[list[str]]:
    """Identities nearest first, one per identity; a frame with no face ranks nobody."""
    known = np.stack([g.encoding for g in gallery if g.encoding is not None])
    names = [g.photo.identity for g in gallery]
    out: list[list[str]] = []
    for encoding in encodings:
        if encoding is None:
            out.append([])
            continue
        seen: list[str] = []
        for i in np.argsort(np.linalg.norm(known - encoding, axis=1), kind="stable"):
            if names[i] not in seen:
                seen.append(names[i])
            if len(seen) >= max(RANKS):
                break
        out.append(seen)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--probes", type=int, default=0, help="first N probes (0: all)")
    parser.add_argument("--scales", default=",".join(str(s) for s in SCALES))
    parser.add_argument("--plans", default=",".join(PLANS))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    scales = [float(s) for s in args.scales.split(",")]
    plans = [tuple(int(x) for x in p.split(":")) for p in args.plans.split(",")]
    out = stdout_reserve()
    load_at_start = load_average()
    info = django_start()
    from django.test import override_settings

    rows = encodings_load(eval_photos(eval_faces_dir()))
    probes, gallery = protocol_split(rows)
    if args.probes:
        probes = probes[: args.probes]
    truth = [p.photo.identity for p in probes]
    document: dict[str, Any] = {
        "benchmark": "probe_downscale",
        "frame": f"{FRAME[0]}x{FRAME[1]}",
        "probes": len(probes),
        "gallery_photos": len(gallery),
        "baseline_original_photos": ranks_of(ranked([p.encoding for p in probes], gallery), truth),
        "sizes": {},
    }
    for scale in scales:
        rng = np.random.default_rng(args.seed)
        frames = [frame_of(p.photo.path.read_bytes(), scale, rng) for p in probes]
        face_px = [
            round((p.box[1] - p.box[3]) * scale * LABELED_SIDE / max(p.width, p.height))
            for p in probes
            if p.box
        ]
        per_plan: dict[str, Any] = {}
        for first, largest in plans:
            progress(
                f"scale {scale}: {len(frames)} frames, detection plan {first:,}:{largest:,} px"
            )
            with override_settings(FACE_DETECT_FIRST_PIXELS=first, FACE_DETECT_MAX_PIXELS=largest):
                results = [frame_encode(f) for f in frames]
            per_plan[f"{first}:{largest}"] = {
                **ranks_of(ranked([e for _, e, _ in results], gallery), truth),
                "frames_with_a_face": sum(n > 0 for n, _, _ in results),
                "frames_with_several_faces": sum(n > 1 for n, _, _ in results),
                "detect_and_encode_ms": latency_summary([s for _, _, s in results]),
            }
        document["sizes"][str(scale)] = {
            "face_width_px_median": int(np.median(face_px)) if face_px else None,
            "plans": per_plan,
        }
    document["setup"] = info
    document["environment"] = environment(load_at_start)
    json_emit(out, document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
