"""Search latency from submit to candidates ready, on a 10,000-face gallery, against baselines.

The gallery holds the labeled set's real faces (every photo with exactly one face, as
enrollment accepts, minus one held-out probe per identity with two or more such photos), topped
up with synthetic faces to ``--gallery-faces``. Synthetic faces are new people, not noisy copies
of real ones: a noisy copy of a probe's mate would be a near-duplicate filed under another
subject and would turn correct answers into rank-1 misses. Each synthetic subject gets a
centre drawn from a Gaussian with the real faces' between-person covariance and 1 to 10 faces
(the real per-subject distribution) spread by the real within-person covariance; every vector
is then rescaled to a norm drawn from the real encodings' norms. ``synthetic_check`` in the
output compares their distance distributions with the real ones.

Every search goes through the real path: ``search_submit`` (image inspection, the Rego gate,
the decision and audit rows) → Celery on the broker → a real worker (solo pool, a thread of
this process) → decode, detect, encode, ``faces_nearest`` on the agency's HNSW partition →
``awaiting_review``. Searches run one at a time; the clock stops when the worker's
``task_postrun`` signal fires (the status is then read from the database). Baselines from the
same run: (a) face_recognition called directly (decode, detect, encode, numpy brute force over
the same vectors) on the same probes, each right before or after its service search
(alternating), so changes in machine load hit both sides; and (b) the same SQL computed
exactly (no index) against the HNSW scan, with recall@10.

Run: ``.venv/bin/python -m bench.search_latency [--searches 20] [--gallery-faces 10000]``
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from bench.encodings import PhotoEncoding, encodings_load
from bench.frames import FRAME, frame_of
from bench.harness import (
    BenchTenant,
    TaskFinished,
    bench_database,
    bench_tenant,
    calls_timed,
    celery_worker,
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

SEARCH_TIMEOUT_SECONDS = 120.0
WARMUP_SEARCHES = 2
SYNTHETIC_MODEL_VERSION = "bench-synthetic"
# The service's query with the distance ordering moved out of the scan: a materialized CTE
# cannot hand its ORDER BY to the HNSW index, so every face of the gallery is compared.
# (``SET enable_indexscan = off`` does not do it here: PostgreSQL 18 still plans the disabled
# HNSW scan for this partition-pruned query.)
EXACT_SQL = """
WITH gallery_faces AS MATERIALIZED (
    SELECT id, subject_id, embedding <-> %(probe)s::vector AS distance
    FROM matching_face
    WHERE agency_id = %(agency)s AND gallery_id = %(gallery)s
)
SELECT id, subject_id, distance FROM gallery_faces ORDER BY distance LIMIT %(limit)s
"""
# The HNSW query the service ran before its exact held scan, kept as the baseline.
HNSW_SQL = """
SELECT id, subject_id, embedding <-> %(probe)s::vector AS distance
FROM matching_face
WHERE agency_id = %(agency)s AND gallery_id = %(gallery)s
ORDER BY embedding <-> %(probe)s::vector
LIMIT %(limit)s
"""
COPY_FACES = (
    "COPY matching_face (agency_id, gallery_id, subject_id, photo_id, embedding, box, "
    "model_name, model_version, created_at) FROM STDIN"
)


@dataclass(frozen=True)
class ProbeSplit:
    """Which real photos are enrolled, which are held out as probes, and why others are not."""

    enrolled: list[PhotoEncoding]
    probes: list[PhotoEncoding]
    not_enrolled: dict[str, int]


def probe_split(rows: list[PhotoEncoding]) -> ProbeSplit:
    """Hold out the first single-face photo of every identity with two or more of them.

    Photos with no face or several faces are left out because enrollment rejects them; a
    probe with several faces would stop at ``awaiting_face_choice`` instead of matching.
    """
    by_identity: dict[str, list[PhotoEncoding]] = defaultdict(list)
    for row in rows:
        if row.faces == 1 and row.encoding is not None:
            by_identity[row.photo.identity].append(row)
    enrolled: list[PhotoEncoding] = []
    probes: list[PhotoEncoding] = []
    for identity in sorted(by_identity):
        items = sorted(by_identity[identity], key=lambda r: r.photo.file)
        if len(items) >= 2:
            probes.append(items[0])
            enrolled.extend(items[1:])
        else:
            enrolled.extend(items)
    return ProbeSplit(
        enrolled=enrolled,
        probes=probes,
        not_enrolled={
            "no_face": sum(r.faces == 0 for r in rows),
            "several_faces": sum(r.faces > 1 for r in rows),
        },
    )


def _psd_sqrt(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return np.asarray(vectors @ np.diag(np.sqrt(np.clip(values, 0.0, None))) @ vectors.T)


def synthetic_faces(
    enrolled: list[PhotoEncoding], count: int, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Return ``count`` synthetic face vectors and the synthetic subject index of each."""
    real = np.stack([r.encoding for r in enrolled if r.encoding is not None])
    groups: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(enrolled):
        groups[row.photo.identity].append(i)
    residuals, dof = [], 0
    for members in groups.values():
        if len(members) >= 2:
            residuals.append(real[members] - real[members].mean(axis=0))
            dof += len(members) - 1
    stacked = np.vstack(residuals)
    within = stacked.T @ stacked / dof
    between = np.cov(real.T) - within
    spread_between, spread_within = _psd_sqrt(between), _psd_sqrt(within)
    mean = real.mean(axis=0)
    norms = np.linalg.norm(real, axis=1)
    sizes = np.array([len(m) for m in groups.values()])
    vectors = np.empty((count, real.shape[1]))
    subjects = np.empty(count, dtype=np.int64)
    filled, subject = 0, 0
    while filled < count:
        size = min(int(rng.choice(sizes)), count - filled)
        centre = mean + spread_between @ rng.standard_normal(real.shape[1])
        for _ in range(size):
            vector = centre + spread_within @ rng.standard_normal(real.shape[1])
            vectors[filled] = vector * (rng.choice(norms) / np.linalg.norm(vector))
            subjects[filled] = subject
            filled += 1
        subject += 1
    return vectors, subjects


def _pair_medians(
    vectors: NDArray[np.float64], labels: list[str], rng: np.random.Generator
) -> tuple[float, float]:
    """Return the median same-person and different-person distances (sampled)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        groups[label].append(i)
    genuine = [
        float(np.linalg.norm(vectors[a] - vectors[b]))
        for members in groups.values()
        for i, a in enumerate(members)
        for b in members[i + 1 :]
    ][:20000]
    first, second = rng.integers(0, len(labels), 40000), rng.integers(0, len(labels), 40000)
    keep = [i for i in range(first.size) if labels[first[i]] != labels[second[i]]][:20000]
    impostor = np.linalg.norm(vectors[first[keep]] - vectors[second[keep]], axis=1)
    return round(float(np.median(genuine)), 4), round(float(np.median(impostor)), 4)


def synthetic_check(
    real: NDArray[np.float64],
    real_labels: list[str],
    synthetic: NDArray[np.float64],
    synthetic_labels: list[str],
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Compare synthetic and real distance distributions, so the top-up is seen to be fair."""
    real_genuine, real_impostor = _pair_medians(real, real_labels, rng)
    synth_genuine, synth_impostor = _pair_medians(synthetic, synthetic_labels, rng)
    sample = synthetic[rng.choice(len(synthetic), size=min(500, len(synthetic)), replace=False)]
    nearest_real = [float(np.linalg.norm(real - v, axis=1).min()) for v in sample]
    real_nearest_other = []
    for i in rng.choice(len(real), size=min(500, len(real)), replace=False):
        distances = np.linalg.norm(real - real[i], axis=1)
        others = [
            d for d, label in zip(distances, real_labels, strict=True) if label != real_labels[i]
        ]
        real_nearest_other.append(min(others))
    return {
        "real_genuine_median": real_genuine,
        "real_impostor_median": real_impostor,
        "synthetic_genuine_median": synth_genuine,
        "synthetic_impostor_median": synth_impostor,
        "synthetic_to_nearest_real_median": round(float(np.median(nearest_real)), 4),
        "real_to_nearest_other_person_median": round(float(np.median(real_nearest_other)), 4),
        "real_norm_mean": round(float(np.linalg.norm(real, axis=1).mean()), 4),
        "synthetic_norm_mean": round(float(np.linalg.norm(synthetic, axis=1).mean()), 4),
    }


@dataclass
class Gallery:
    """The loaded gallery as numpy sees it: one row per face, with its subject's ref."""

    vectors: NDArray[np.float64]
    refs: list[str]
    ref_by_subject_id: dict[int, str]
    real_faces: int
    synthetic_faces: int
    synthetic_subjects: int
    load_seconds: float = 0.0


def placeholder_jpeg() -> bytes:
    """Return a tiny grey JPEG standing in for a synthetic subject's photo."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "grey").save(out, format="JPEG")
    return out.getvalue()


def gallery_load(
    tenant: BenchTenant,
    enrolled: list[PhotoEncoding],
    synthetic: NDArray[np.float64],
    synthetic_subjects: NDArray[np.int64],
) -> Gallery:
    """Insert subjects and photos through the ORM and every face with one COPY.

    The COPY runs as the owner role: PostgreSQL refuses COPY FROM into a table under
    row-level security, which the app role is always subject to.
    """
    from django.db import connections, transaction
    from django.utils import timezone

    from matching.faces import MODEL_NAME, MODEL_VERSION
    from matching.models import Subject, SubjectPhoto
    from matching.selectors import vector_literal
    from tenants.context import agency_transaction

    started = time.perf_counter()
    agency, gallery = tenant.agency, tenant.gallery
    real_refs = sorted({r.photo.identity for r in enrolled})
    synthetic_count = int(synthetic_subjects.max()) + 1 if synthetic_subjects.size else 0
    synthetic_refs = [f"synthetic-{i:05d}" for i in range(synthetic_count)]
    placeholder = placeholder_jpeg()
    placeholder_sha = hashlib.sha256(placeholder).hexdigest()
    with agency_transaction(agency.id):
        subjects = Subject.objects.bulk_create(
            [
                Subject(agency=agency, gallery=gallery, ref=ref, display_name=ref.replace("_", " "))
                for ref in real_refs + synthetic_refs
            ],
            batch_size=2000,
        )
        subject_id = {s.ref: s.pk for s in subjects}
        photos = SubjectPhoto.objects.bulk_create(
            [
                SubjectPhoto(
                    agency=agency,
                    subject_id=subject_id[r.photo.identity],
                    sha256=r.sha256,
                    content=r.photo.path.read_bytes(),
                    content_type="image/jpeg",
                    width=r.width,
                    height=r.height,
                )
                for r in enrolled
            ]
            + [
                SubjectPhoto(
                    agency=agency,
                    subject_id=subject_id[ref],
                    sha256=placeholder_sha,
                    content=placeholder,
                    content_type="image/jpeg",
                    width=8,
                    height=8,
                )
                for ref in synthetic_refs
            ],
            batch_size=1000,
        )
    real_photo_ids = [p.pk for p in photos[: len(enrolled)]]
    synthetic_photo_ids = [p.pk for p in photos[len(enrolled) :]]
    now = timezone.now()
    with (
        transaction.atomic(using="owner"),
        connections["owner"].cursor() as cursor,
        cursor.cursor.copy(COPY_FACES) as copy,
    ):
        for row, photo_id in zip(enrolled, real_photo_ids, strict=True):
            assert row.encoding is not None
            copy.write_row(
                [
                    agency.id,
                    gallery.id,
                    subject_id[row.photo.identity],
                    photo_id,
                    vector_literal(row.encoding),
                    json.dumps(list(row.box or ())),
                    MODEL_NAME,
                    MODEL_VERSION,
                    now,
                ]
            )
        for vector, subject in zip(synthetic, synthetic_subjects, strict=True):
            copy.write_row(
                [
                    agency.id,
                    gallery.id,
                    subject_id[synthetic_refs[subject]],
                    synthetic_photo_ids[subject],
                    vector_literal(vector),
                    "[0, 8, 8, 0]",
                    MODEL_NAME,
                    SYNTHETIC_MODEL_VERSION,
                    now,
                ]
            )
    with connections["owner"].cursor() as cursor:
        cursor.execute("ANALYZE matching_face")
    vectors = np.vstack(
        [np.stack([r.encoding for r in enrolled if r.encoding is not None]), synthetic]
    )
    refs = [r.photo.identity for r in enrolled] + [synthetic_refs[s] for s in synthetic_subjects]
    return Gallery(
        vectors=vectors.astype(np.float32).astype(np.float64),
        refs=refs,
        ref_by_subject_id={pk: ref for ref, pk in subject_id.items()},
        real_faces=len(enrolled),
        synthetic_faces=len(synthetic),
        synthetic_subjects=synthetic_count,
        load_seconds=time.perf_counter() - started,
    )


def service_steps() -> dict[str, tuple[Any, str]]:
    """Name the service functions whose time inside a search is worth seeing."""
    import matching.faces
    import matching.searches.execute
    import matching.searches.submit
    import matching.tasks

    return {
        "policy_decide": (matching.searches.submit, "policy_evaluate"),
        "search_execute": (matching.tasks, "search_execute"),
        "decode": (matching.searches.execute, "image_decode"),
        "detect": (matching.faces, "faces_detect"),
        "encode": (matching.faces, "face_encode"),
        "faces_nearest": (matching.searches.execute, "faces_nearest"),
    }


def search_request() -> Any:
    """Return the request of an Ontario investigator: robbery, store CCTV, captured yesterday."""
    from django.utils import timezone

    from authorizations.facts import rfc3339
    from matching.searches import SearchRequest

    return SearchRequest(
        gallery="booking",
        purpose="criminal_investigation",
        case_number="2026-123456",
        justification="Armed robbery suspect captured on store CCTV; no other leads.",
        offence={"code": "CC 344", "category": "robbery", "indictable": True},
        probe={
            "source": "cctv",
            "collected_in": "CA-ON",
            "collected_municipality": "Toronto",
            "subject_believed_minor": False,
            "captured_at": rfc3339(timezone.now().astimezone(UTC) - timedelta(days=1)),
        },
    )


@dataclass
class SearchOutcome:
    """One search through the service, timed from the caller's side and from the audit chain."""

    probe: PhotoEncoding
    status: str = ""
    total_s: float = 0.0
    submit_s: float = 0.0
    stages_s: dict[str, float] = field(default_factory=dict)
    top_ref: str = ""
    top_face_id: int | None = None
    top_distance: float | None = None
    candidates: int = 0
    max_candidates: int | None = None
    max_distance: float | None = None


TERMINAL = {"awaiting_review", "awaiting_face_choice", "failed", "denied"}


def search_status(agency_id: str, search_id: Any) -> str:
    """Return the search's status as the database has it."""
    from matching.models import Search
    from tenants.context import agency_transaction

    with agency_transaction(agency_id):
        return str(
            Search.objects.filter(agency_id=agency_id, id=search_id)
            .values_list("status", flat=True)
            .first()
        )


def search_wait(agency_id: str, search_id: Any, finished: TaskFinished) -> tuple[str, float]:
    """Wait until the worker has finished the search; return its status and when it finished.

    Each worker task ends with the signal; a search that is still not final afterwards (a
    retry, say) is waited for again.
    """
    deadline = time.monotonic() + SEARCH_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        at = finished.wait(timeout=1.0)
        status = search_status(agency_id, search_id)
        if status in TERMINAL:
            return status, at or time.perf_counter()
        if at is not None:
            finished.arm()
    raise RuntimeError(
        f"search {search_id} not finished after {SEARCH_TIMEOUT_SECONDS:.0f} s; "
        "is the worker consuming the bench queue?"
    )


def search_one(
    tenant: BenchTenant,
    probe: PhotoEncoding,
    gallery: Gallery,
    finished: TaskFinished,
    data: bytes | None = None,
) -> SearchOutcome:
    """Submit one probe through ``search_submit`` and wait for the worker to finish it.

    ``data`` replaces the probe's own file (a frame made of it); its identity stays the probe's.
    """
    from audit.models import AuditEvent
    from matching.models import Candidate, Search
    from matching.searches import search_submit
    from tenants.context import agency_transaction

    agency_id = tenant.agency.id
    if data is None:
        data = probe.photo.path.read_bytes()
    request = search_request()
    outcome = SearchOutcome(probe=probe)
    finished.arm()
    began = time.perf_counter()
    search = search_submit(
        user=tenant.user,
        mfa_verified=True,
        request=request,
        probe_bytes=data,
        probe_content_type="image/jpeg",
    )
    outcome.submit_s = time.perf_counter() - began
    outcome.status, done_at = search_wait(agency_id, search.id, finished)
    outcome.total_s = done_at - began
    with agency_transaction(agency_id):
        row = Search.objects.get(agency_id=agency_id, id=search.id)
        events = dict(
            AuditEvent.objects.filter(
                agency_id=agency_id, object_type="search", object_id=str(search.id)
            ).values_list("action", "occurred_at")
        )
        top = (
            Candidate.objects.filter(agency_id=agency_id, search_id=search.id)
            .order_by("rank")
            .first()
        )
        outcome.candidates = Candidate.objects.filter(
            agency_id=agency_id, search_id=search.id
        ).count()
    outcome.max_candidates, outcome.max_distance = row.max_candidates, row.max_distance
    if top is not None:
        outcome.top_ref = gallery.ref_by_subject_id[top.subject_id]
        outcome.top_face_id, outcome.top_distance = top.face_id, top.distance
    steps = [
        ("submit_to_queued", "search.submitted", "search.queued"),
        ("queued_to_started", "search.queued", "search.started"),
        ("started_to_completed", "search.started", "search.completed"),
    ]
    for name, first, last in steps:
        if first in events and last in events:
            outcome.stages_s[name] = (events[last] - events[first]).total_seconds()
    if row.completed_at is not None:
        outcome.stages_s["created_to_completed"] = (
            row.completed_at - row.created_at
        ).total_seconds()
    return outcome


def library_search(
    data: bytes, gallery: Gallery, k: int
) -> tuple[dict[str, float], list[int], NDArray[np.float64]]:
    """Find the nearest gallery faces with face_recognition and numpy alone, stage by stage."""
    import face_recognition
    from django.conf import settings

    times: dict[str, float] = {}
    began = time.perf_counter()
    image = face_recognition.load_image_file(io.BytesIO(data))
    times["decode"] = time.perf_counter() - began
    mark = time.perf_counter()
    locations = face_recognition.face_locations(
        image, number_of_times_to_upsample=settings.FACE_UPSAMPLE, model=settings.FACE_DETECTOR
    )
    times["detect"] = time.perf_counter() - mark
    mark = time.perf_counter()
    largest = max(locations, key=lambda b: (b[2] - b[0]) * (b[1] - b[3]))
    (encoding,) = face_recognition.face_encodings(
        image, known_face_locations=[largest], num_jitters=1, model="small"
    )
    times["encode"] = time.perf_counter() - mark
    mark = time.perf_counter()
    distances = np.linalg.norm(gallery.vectors - encoding, axis=1)
    top = np.argpartition(distances, k)[:k]
    top = top[np.argsort(distances[top])]
    times["match"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - began
    return times, [int(i) for i in top], distances[top]


def _plan_outline(plan: dict[str, Any]) -> str:
    """Return a plan as one line: ``Limit > Index Scan using x on y``, siblings in brackets."""
    node = str(plan["Node Type"])
    if "Index Name" in plan:
        node += f" using {plan['Index Name']}"
    if "Relation Name" in plan:
        node += f" on {plan['Relation Name']}"
    if "Subplan Name" in plan:
        node += f" [{plan['Subplan Name']}]"
    children = [_plan_outline(p) for p in plan.get("Plans", [])]
    if not children:
        return node
    if len(children) == 1:
        return f"{node} > {children[0]}"
    return f"{node} > ({' | '.join(children)})"


def sql_nearest(
    agency_id: str,
    gallery_id: int,
    vector: NDArray[np.float64],
    limit: int,
    *,
    exact: bool,
    explain: bool = False,
) -> tuple[float, list[tuple[int, int, float]], str]:
    """Run the service's nearest-face SQL with its session settings, by HNSW or exactly."""
    from django.conf import settings
    from django.db import connection

    from matching.selectors import vector_literal
    from tenants.context import agency_transaction

    sql = EXACT_SQL if exact else HNSW_SQL
    params: dict[str, str | int] = {
        "probe": vector_literal(vector),
        "agency": agency_id,
        "gallery": gallery_id,
        "limit": limit,
    }
    with agency_transaction(agency_id), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('hnsw.ef_search', %s, true)",
            [str(max(settings.HNSW_EF_SEARCH, limit))],
        )
        cursor.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)")
        outline = ""
        if explain:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            document = cursor.fetchone()[0]
            document = json.loads(document) if isinstance(document, str) else document
            outline = _plan_outline(document[0]["Plan"])
        began = time.perf_counter()
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        elapsed = time.perf_counter() - began
    return elapsed, [(int(r[0]), int(r[1]), float(r[2])) for r in rows], outline


def sql_compare(
    tenant: BenchTenant,
    probes: list[PhotoEncoding],
    gallery: Gallery,
    limit: int,
    max_distance: float,
    k: int,
) -> tuple[dict[str, Any], dict[str, tuple[int, float]]]:
    """Compare HNSW and exact SQL on every held-out probe, and rank-1 of ``faces_nearest``."""
    from matching.selectors import faces_nearest

    agency_id, gallery_id = tenant.agency.id, tenant.gallery.id
    vectors = [p.encoding for p in probes if p.encoding is not None]
    _, _, hnsw_plan = sql_nearest(
        agency_id, gallery_id, vectors[0], limit, exact=False, explain=True
    )
    _, _, exact_plan = sql_nearest(
        agency_id, gallery_id, vectors[0], limit, exact=True, explain=True
    )
    for vector in vectors[:5]:
        sql_nearest(agency_id, gallery_id, vector, limit, exact=False)
        sql_nearest(agency_id, gallery_id, vector, limit, exact=True)
    hnsw_s, exact_s, selector_s, recalls = [], [], [], []
    exact_top: dict[str, tuple[int, float]] = {}
    selector_hits = 0
    for probe, vector in zip(probes, vectors, strict=True):
        elapsed, hnsw_rows, _ = sql_nearest(agency_id, gallery_id, vector, limit, exact=False)
        hnsw_s.append(elapsed)
        elapsed, exact_rows, _ = sql_nearest(agency_id, gallery_id, vector, limit, exact=True)
        exact_s.append(elapsed)
        exact_ids = {r[0] for r in exact_rows[:k]}
        recalls.append(len(exact_ids & {r[0] for r in hnsw_rows[:k]}) / len(exact_ids))
        exact_top[probe.photo.file] = (exact_rows[0][0], exact_rows[0][2])
        began = time.perf_counter()
        found = faces_nearest(
            agency_id=agency_id,
            gallery_id=gallery_id,
            embedding=vector,
            limit=limit,
            max_distance=max_distance,
        )
        selector_s.append(time.perf_counter() - began)
        selector_hits += bool(found) and (
            gallery.ref_by_subject_id[found[0].subject_id] == probe.photo.identity
        )
    hnsw_ms, exact_ms = latency_summary(hnsw_s), latency_summary(exact_s)
    return {
        "queries": len(vectors),
        "limit": limit,
        "hnsw_ms": hnsw_ms,
        "exact_ms": exact_ms,
        "exact_over_hnsw_p50": round(exact_ms["p50"] / hnsw_ms["p50"], 2),
        f"recall_at_{k}": round(float(np.mean(recalls)), 4),
        f"queries_with_full_recall_at_{k}": int(sum(r == 1.0 for r in recalls)),
        "hnsw_plan": hnsw_plan,
        "exact_plan": exact_plan,
        "faces_nearest_ms": latency_summary(selector_s),
        "faces_nearest_rank1": round(selector_hits / len(vectors), 4),
    }, exact_top


def library_rank(
    probes: list[PhotoEncoding], gallery: Gallery, max_distance: float
) -> dict[str, Any]:
    """Return exact (numpy) rank-1 and rank-10 of every held-out probe, as a reference."""
    rank1 = rank1_within = rank10 = 0
    for probe in probes:
        assert probe.encoding is not None
        distances = np.linalg.norm(gallery.vectors - probe.encoding, axis=1)
        order = np.argsort(distances)
        top_refs = [gallery.refs[i] for i in order[:10]]
        rank1 += top_refs[0] == probe.photo.identity
        rank1_within += top_refs[0] == probe.photo.identity and distances[order[0]] <= max_distance
        rank10 += probe.photo.identity in top_refs
    count = len(probes)
    return {
        "probes": count,
        "rank1": round(rank1 / count, 4),
        "rank1_within_max_distance": round(rank1_within / count, 4),
        "rank10": round(rank10 / count, 4),
    }


def main(argv: list[str] | None = None) -> int:
    """Measure and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--searches", type=int, default=20)
    parser.add_argument("--gallery-faces", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--frame-face-scale",
        type=float,
        default=0.0,
        help="search 1920x1080 frames holding each probe at this scale (bench.probe_downscale)",
    )
    args = parser.parse_args(argv)
    out = stdout_reserve()
    load_at_start = load_average()
    started = time.perf_counter()
    info = django_start(worker_queue=True)
    from django.conf import settings

    from bench.vector_search import HNSW_EF_CONSTRUCTION, HNSW_M, hnsw_build

    rows = encodings_load(eval_photos(eval_faces_dir()))
    encode_seconds = time.perf_counter() - started
    split = probe_split(rows)
    synthetic_count = args.gallery_faces - len(split.enrolled)
    if synthetic_count < 0:
        raise SystemExit(f"--gallery-faces must be at least {len(split.enrolled)}")
    rng = np.random.default_rng(args.seed)
    synthetic, synthetic_subjects = synthetic_faces(split.enrolled, synthetic_count, rng)
    real_matrix = np.stack([r.encoding for r in split.enrolled if r.encoding is not None])
    check = synthetic_check(
        real_matrix,
        [r.photo.identity for r in split.enrolled],
        synthetic,
        [str(s) for s in synthetic_subjects],
        rng,
    )
    picker = random.Random(args.seed)
    chosen = picker.sample(split.probes, min(len(split.probes), args.searches + WARMUP_SEARCHES))
    warmup, measured = chosen[:WARMUP_SEARCHES], chosen[WARMUP_SEARCHES:]
    frames = np.random.default_rng(args.seed)

    def probe_data(probe: PhotoEncoding) -> bytes:
        content = probe.photo.path.read_bytes()
        if not args.frame_face_scale:
            return content
        return frame_of(content, args.frame_face_scale, frames)

    content_of = {p.photo.file: probe_data(p) for p in chosen}
    k = 10
    with bench_database():
        tenant = bench_tenant()
        progress(f"loading {len(split.enrolled)} real and {synthetic_count} synthetic faces")
        gallery = gallery_load(tenant, split.enrolled, synthetic, synthetic_subjects)
        hnsw_build(tenant.agency.id)  # the baseline's index; the service does not use one
        progress(f"gallery loaded in {gallery.load_seconds:.1f} s; starting the worker")
        with celery_worker(), TaskFinished() as finished:
            for probe in warmup:
                search_one(tenant, probe, gallery, finished, content_of[probe.photo.file])
            library_search(content_of[warmup[0].photo.file], gallery, k)
            outcomes = []
            library: dict[str, list[float]] = defaultdict(list)
            with calls_timed(service_steps()) as steps:
                for i, probe in enumerate(measured, start=1):
                    data = content_of[probe.photo.file]
                    if i % 2:
                        outcomes.append(search_one(tenant, probe, gallery, finished, data))
                    times, _, _ = library_search(data, gallery, k)
                    if not i % 2:
                        outcomes.append(search_one(tenant, probe, gallery, finished, data))
                    for stage, seconds in times.items():
                        library[stage].append(seconds)
                    progress(
                        f"  search {i}/{len(measured)}: {outcomes[-1].status} in "
                        f"{outcomes[-1].total_s * 1000:.0f} ms (library "
                        f"{times['total'] * 1000:.0f} ms)"
                    )
        limit = outcomes[0].max_candidates or 20
        max_distance = outcomes[0].max_distance or 0.6
        progress(f"HNSW against exact SQL on {len(split.probes)} probe vectors")
        sql, exact_top = sql_compare(tenant, split.probes, gallery, limit, max_distance, k)
    done = [o for o in outcomes if o.status == "awaiting_review"]
    hits = sum(o.top_ref == o.probe.photo.identity for o in done)
    same_top = sum(
        o.top_face_id == exact_top[o.probe.photo.file][0] for o in done if o.top_face_id is not None
    )
    with_top = [o for o in done if o.top_distance is not None]
    distance_drift = max(
        (
            abs((o.top_distance or 0.0) - exact_top[o.probe.photo.file][1])
            for o in with_top
            if o.top_face_id == exact_top[o.probe.photo.file][0]
        ),
        default=0.0,
    )
    service_ms = latency_summary([o.total_s for o in outcomes])
    library_ms = latency_summary(library["total"])
    stages = {
        name: latency_summary([o.stages_s[name] for o in outcomes if name in o.stages_s])
        for name in (
            "submit_to_queued",
            "queued_to_started",
            "started_to_completed",
            "created_to_completed",
        )
    }
    document: dict[str, Any] = {
        "benchmark": "search_latency",
        "probes_as": (
            f"{FRAME[0]}x{FRAME[1]} JPEG frames, each probe at {args.frame_face_scale}x "
            "the labeled size (bench.frames)"
            if args.frame_face_scale
            else "the labeled photos as they are"
        ),
        "gallery": {
            "faces": len(gallery.refs),
            "real_faces": gallery.real_faces,
            "real_subjects": len({r.photo.identity for r in split.enrolled}),
            "synthetic_faces": gallery.synthetic_faces,
            "synthetic_subjects": gallery.synthetic_subjects,
            "eval_photos": len(rows),
            "eval_photos_not_enrolled": split.not_enrolled,
            "held_out_probes": len(split.probes),
            "load_seconds": round(gallery.load_seconds, 1),
        },
        "synthetic_check": check,
        "service": {
            "searches": len(outcomes),
            "warmup_searches": len(warmup),
            "statuses": dict(Counter(o.status for o in outcomes)),
            "submit_to_candidates_ms": service_ms,
            "search_submit_call_ms": latency_summary([o.submit_s for o in outcomes]),
            "stages_ms": stages,
            "steps_ms_p50": {
                name: latency_summary(values)["p50"] for name, values in steps.items()
            },
            "rank1_hit_rate": round(hits / len(outcomes), 4),
            "rank1_hits": hits,
            "top1_same_face_as_exact_sql": same_top,
            "top1_distance_max_abs_diff_vs_cached_encoding": round(distance_drift, 6),
            "limits": {"max_candidates": limit, "max_distance": round(max_distance, 4)},
            "completion": "Celery task_postrun signal of the in-process worker, status then "
            "read from the database",
        },
        "baseline_library": {
            "path": "face_recognition load_image_file + face_locations + face_encodings "
            "+ numpy brute force over the same vectors",
            "total_ms": library_ms,
            "stages_ms_p50": {
                s: latency_summary(library[s])["p50"]
                for s in ("decode", "detect", "encode", "match")
            },
        },
        "service_overhead_ms_p50": round(service_ms["p50"] - library_ms["p50"], 3),
        "service_over_library_p50": round(service_ms["p50"] / library_ms["p50"], 2),
        "sql": sql,
        "matching_all_probes_exact_numpy": library_rank(split.probes, gallery, max_distance),
        "setup": {
            **info,
            "hnsw": {
                "m": HNSW_M,
                "ef_construction": HNSW_EF_CONSTRUCTION,
                "ef_search": max(settings.HNSW_EF_SEARCH, limit),
                "iterative_scan": "relaxed_order",
            },
            "worker": "celery solo pool, thread of this process",
            "encode_or_cache_seconds": round(encode_seconds, 1),
        },
        "environment": environment(load_at_start),
        "runtime_seconds": round(time.perf_counter() - started, 1),
    }
    json_emit(out, document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
