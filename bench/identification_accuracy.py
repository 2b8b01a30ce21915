"""Identification accuracy on the labeled set through the service, next to the library's own.

The protocol is the one of the labeled set's ``baseline.json``: every photo is encoded by its
largest detected face (the service's face code, cached); for each identity with two or more
encoded photos the first is the probe and the rest are gallery photos; the other identities'
photos are distractors. The service side enrolls the gallery with ``--several-faces largest``
(every encoded photo) or ``refuse`` (single-face photos only, the old behaviour) into one
agency's partition and searches with ``faces_nearest`` (the held exact scan), one candidate per
subject, as a search ranks them. The library side is face_recognition's own comparison (numpy
Euclidean distances over the same encodings). Also reported: TAR at FAR 1e-3 and 1e-2 over
genuine and (sampled) impostor pairs of the gallery, which does not depend on the search path.

Run: ``.venv/bin/python -m bench.identification_accuracy``
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from typing import Any

import numpy as np

from bench.encodings import PhotoEncoding, encodings_load
from bench.harness import (
    bench_database,
    bench_tenant,
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
from bench.vector_search import faces_copy, subjects_create

RANKS = (1, 10)
SEARCH_LIMIT = 400


def protocol_split(rows: list[PhotoEncoding]) -> tuple[list[PhotoEncoding], list[PhotoEncoding]]:
    """Return (probes, gallery) as the labeled set's baseline defines them."""
    by_identity: dict[str, list[PhotoEncoding]] = defaultdict(list)
    for row in rows:
        if row.encoding is not None:
            by_identity[row.photo.identity].append(row)
    probes, gallery = [], []
    for identity in sorted(by_identity):
        items = sorted(by_identity[identity], key=lambda r: r.photo.file)
        if len(items) >= 2:
            probes.append(items[0])
            gallery.extend(items[1:])
        else:
            gallery.extend(items)
    return probes, gallery


def ranks_of(ordered_identities: list[list[str]], truth: list[str]) -> dict[str, float]:
    """Return rank-k rates: the true identity among the first k distinct identities."""
    out = {}
    for k in RANKS:
        hits = sum(t in ids[:k] for ids, t in zip(ordered_identities, truth, strict=True))
        out[f"rank{k}"] = round(hits / len(truth), 4)
    return out


def library_identify(probes: list[PhotoEncoding], gallery: list[PhotoEncoding]) -> list[list[str]]:
    """Rank identities by face_recognition's distance, nearest photo per identity."""
    import face_recognition

    known = np.stack([g.encoding for g in gallery if g.encoding is not None])
    names = [g.photo.identity for g in gallery]
    ordered = []
    for probe in probes:
        distances = face_recognition.face_distance(known, probe.encoding)
        seen: list[str] = []
        for i in np.argsort(distances, kind="stable"):
            if names[i] not in seen:
                seen.append(names[i])
            if len(seen) >= max(RANKS):
                break
        ordered.append(seen)
    return ordered


def tar_at_far(gallery: list[PhotoEncoding], rng: np.random.Generator) -> dict[str, float]:
    """TAR at FAR 1e-3 and 1e-2 over all genuine and 100,000 sampled impostor pairs."""
    vectors = np.stack([g.encoding for g in gallery if g.encoding is not None])
    labels = np.array([g.photo.identity for g in gallery])
    genuine = [
        float(np.linalg.norm(vectors[i] - vectors[j]))
        for i in range(len(vectors))
        for j in range(i + 1, len(vectors))
        if labels[i] == labels[j]
    ]
    a, b = rng.integers(0, len(vectors), 300_000), rng.integers(0, len(vectors), 300_000)
    keep = labels[a] != labels[b]
    impostor = np.linalg.norm(vectors[a[keep]][:100_000] - vectors[b[keep]][:100_000], axis=1)
    out = {}
    for far in (1e-3, 1e-2):
        threshold = float(np.quantile(impostor, far))
        out[f"tar_at_far_{far:g}"] = round(float(np.mean(np.array(genuine) <= threshold)), 4)
    return out


def service_identify(
    probes: list[PhotoEncoding], gallery: list[PhotoEncoding]
) -> tuple[list[list[str]], list[float]]:
    """Enroll the gallery into a fresh agency and rank subjects through ``faces_nearest``."""
    from matching.searches.execute import _best_face_per_subject
    from matching.selectors import faces_nearest

    tenant = bench_tenant()
    refs = sorted({g.photo.identity for g in gallery})
    sids, pids = subjects_create(tenant.agency.id, tenant.gallery.pk, refs)
    index = {ref: i for i, ref in enumerate(refs)}
    rows = np.array([index[g.photo.identity] for g in gallery])
    vectors = np.stack([g.encoding for g in gallery if g.encoding is not None]).astype(np.float32)
    faces_copy(tenant.agency.id, tenant.gallery.pk, vectors, sids[rows], pids[rows], "bench-eval")
    name_of = {int(sids[i]): ref for i, ref in enumerate(refs)}
    ordered, seconds = [], []
    for probe in probes:
        assert probe.encoding is not None
        began = time.perf_counter()
        found = faces_nearest(
            agency_id=tenant.agency.id,
            gallery_id=tenant.gallery.pk,
            embedding=probe.encoding,
            limit=SEARCH_LIMIT,
            max_distance=10.0,
        )
        seconds.append(time.perf_counter() - began)
        ordered.append([name_of[n.subject_id] for n in _best_face_per_subject(found)])
    return ordered, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out = stdout_reserve()
    load_at_start = load_average()
    info = django_start()
    rows = encodings_load(eval_photos(eval_faces_dir()))
    probes, gallery = protocol_split(rows)
    truth = [p.photo.identity for p in probes]
    document: dict[str, Any] = {
        "benchmark": "identification_accuracy",
        "probes": len(probes),
        "gallery_photos": len(gallery),
        "gallery_photos_with_several_faces": sum(g.faces > 1 for g in gallery),
    }
    progress("library: face_recognition.face_distance over the same encodings")
    document["library"] = ranks_of(library_identify(probes, gallery), truth)
    with bench_database():
        for mode in ("largest", "refuse"):
            enrolled = gallery if mode == "largest" else [g for g in gallery if g.faces == 1]
            progress(f"service, several faces = {mode}: {len(enrolled)} gallery photos")
            ordered, seconds = service_identify(probes, enrolled)
            document[f"service_several_faces_{mode}"] = {
                **ranks_of(ordered, truth),
                "gallery_photos": len(enrolled),
                "faces_nearest_ms": latency_summary(seconds),
            }
    document["verification"] = tar_at_far(gallery, np.random.default_rng(args.seed))
    largest = document["service_several_faces_largest"]
    document["meets_target"] = all(
        largest[f"rank{k}"] >= document["library"][f"rank{k}"] for k in RANKS
    )
    document["setup"] = info
    document["environment"] = environment(load_at_start)
    json_emit(out, document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
