"""Enrollment throughput per worker: the service's batch path against the face library alone.

K labeled photos (a seeded sample, each filed under its identity as the subject) are enrolled
through ``enrollment_batch_create`` and a real Celery worker (solo pool, a thread of this
process; ``--in-process`` calls ``enrollment_batch_process`` instead). The baseline runs
face_recognition directly on the same photos in the same process: decode, detect, and encode
every face found, as the service does (one face is enrolled; a photo with several is held for an
admin with all its faces encoded, the batches' default). The photos
go in ``--chunks`` batches, each run through the library and through the service back to back
(alternating which goes first), so a change in machine load during the run biases neither
side. Per-image times inside the worker come from timing the service's per-subject step (a
subject's time is shared evenly by its photos); thread CPU time is kept beside wall-clock time
because other load on the machine inflates the latter.

With ``--workers N`` (N ≥ 2) every chunk is also enrolled with N workers: the service through
``celery worker --pool prefork --concurrency N``, a separate process on a queue of its own, and
the library in N forked processes. The chunk is split N ways by subject (a subject's photos stay
in one batch, as a batch is processed subject by subject), the N batches are submitted at once
into a second agency, and the clock runs from the first submission to the last batch's
``finished_at``. The 1-worker and N-worker pairs take turns going first as the sides do.

Run: ``.venv/bin/python -m bench.enrollment_throughput [--photos 200] [--in-process] [--workers 2]``
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.pool import Pool
from typing import Any

from bench.harness import (
    BenchTenant,
    EvalPhoto,
    TaskFinished,
    bench_database,
    bench_tenant,
    calls_timed,
    celery_worker,
    celery_worker_processes,
    children_cpu_seconds,
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

BATCH_TIMEOUT_SECONDS = 1800.0
POLL_SECONDS = 1.0
TARGET_SHARE_OF_LIBRARY = 0.9


@dataclass
class LibraryRun:
    """Per-photo wall and CPU seconds of the library path, by stage, and what it found."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    stages: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    single_face: int = 0
    several_faces: int = 0
    total_wall: float = 0.0


def library_enroll(photos: list[EvalPhoto], run: LibraryRun) -> None:
    """Decode, detect and encode every face of each photo with face_recognition."""
    import face_recognition
    from django.conf import settings

    began_all = time.perf_counter()
    for photo in photos:
        began, began_cpu = time.perf_counter(), time.thread_time()
        image = face_recognition.load_image_file(io.BytesIO(photo.path.read_bytes()))
        decoded = time.perf_counter()
        locations = face_recognition.face_locations(
            image, number_of_times_to_upsample=settings.FACE_UPSAMPLE, model=settings.FACE_DETECTOR
        )
        detected = time.perf_counter()
        run.stages["decode"].append(decoded - began)
        run.stages["detect"].append(detected - decoded)
        if locations:
            face_recognition.face_encodings(
                image, known_face_locations=locations, num_jitters=1, model="small"
            )
            run.stages["encode"].append(time.perf_counter() - detected)
            run.single_face += len(locations) == 1
            run.several_faces += len(locations) > 1
        run.cpu.append(time.thread_time() - began_cpu)
        run.wall.append(time.perf_counter() - began)
    run.total_wall += time.perf_counter() - began_all


def library_part(photos: list[EvalPhoto]) -> LibraryRun:
    """Run the library path over one part in a pool process and return what it measured."""
    run = LibraryRun()
    library_enroll(photos, run)
    return run


def library_parallel(pool: Pool, parts: list[list[EvalPhoto]], run: LibraryRun) -> None:
    """Run the library path over the parts at once, one per pool process; wall time over all."""
    began = time.perf_counter()
    results = pool.map(library_part, parts, chunksize=1)
    run.total_wall += time.perf_counter() - began
    for part in results:
        run.wall.extend(part.wall)
        run.cpu.extend(part.cpu)
        run.single_face += part.single_face
        run.several_faces += part.several_faces
        for name, values in part.stages.items():
            run.stages[name].extend(values)


def subject_parts(photos: list[EvalPhoto], n: int) -> list[list[EvalPhoto]]:
    """Split the photos into at most ``n`` parts of about equal size, never splitting a subject.

    A batch is processed subject by subject, and two batches writing the same subject at once
    would contend for it, so each subject's photos go to one part: the largest subjects first,
    each to the part with the fewest photos so far. Each part keeps the photos' order; empty
    parts (fewer subjects than ``n``) are left out.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    by_subject: dict[str, list[EvalPhoto]] = defaultdict(list)
    for photo in photos:
        by_subject[photo.identity].append(photo)
    sizes = [0] * n
    part_of: dict[str, int] = {}
    for identity, group in sorted(by_subject.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        target = min(range(n), key=lambda i: (sizes[i], i))
        part_of[identity] = target
        sizes[target] += len(group)
    parts: list[list[EvalPhoto]] = [[] for _ in range(n)]
    for photo in photos:
        parts[part_of[photo.identity]].append(photo)
    return [part for part in parts if part]


@dataclass
class ServiceRun:
    """What the service did with every batch, and what the timing wrappers saw inside it."""

    wall: float = 0.0
    batch_create: list[float] = field(default_factory=list)
    subjects: list[tuple[int, float, float]] = field(default_factory=list)
    examine: list[float] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    reasons: set[str] = field(default_factory=set)
    worker_cpu: float = 0.0


@contextmanager
def service_timed(run: ServiceRun) -> Iterator[None]:
    """Time the service's per-subject step and per-photo examination without changing them."""
    import matching.enrollment as enrollment

    subject_enroll: Callable[..., Any] = enrollment._subject_enroll
    photo_examine: Callable[..., Any] = enrollment._photo_examine

    def subject_timed(batch: Any, ref: str, uploads: list[Any]) -> Any:
        began, began_cpu = time.perf_counter(), time.thread_time()
        try:
            return subject_enroll(batch, ref, uploads)
        finally:
            run.subjects.append(
                (len(uploads), time.perf_counter() - began, time.thread_time() - began_cpu)
            )

    def examine_timed(upload: Any, several_faces: str) -> Any:
        began = time.perf_counter()
        try:
            return photo_examine(upload, several_faces)
        finally:
            run.examine.append(time.perf_counter() - began)

    enrollment._subject_enroll = subject_timed
    enrollment._photo_examine = examine_timed
    try:
        yield
    finally:
        enrollment._subject_enroll = subject_enroll
        enrollment._photo_examine = photo_examine


def service_steps() -> dict[str, tuple[Any, str]]:
    """Name the steps of the service's per-photo work worth timing one by one."""
    import datakeys.store
    import matching.enrollment
    import matching.faces

    return {
        "open_upload": (matching.enrollment, "upload_content_open"),
        "inspect": (matching.enrollment, "image_inspect"),
        "decode": (matching.enrollment, "image_decode"),
        "pixels": (matching.enrollment, "image_pixels"),
        "detect": (matching.faces, "faces_detect"),
        "encode": (matching.faces, "face_encode"),
        "reencode_jpeg": (matching.enrollment, "image_reencode_jpeg"),
        "seal_photo": (matching.enrollment, "photo_content_seal"),
        "uploads_delete": (matching.enrollment, "uploads_delete"),
        "upload_key_destroy": (datakeys.store.KeyStore, "destroy"),
        "batch_lease": (matching.enrollment, "_batch_lease"),
    }


def batch_status(agency_id: str, batch_id: Any) -> str:
    """Return the batch's status as the database has it."""
    from matching.models import EnrollmentBatch
    from tenants.context import agency_transaction

    with agency_transaction(agency_id):
        return str(
            EnrollmentBatch.objects.filter(agency_id=agency_id, id=batch_id)
            .values_list("status", flat=True)
            .first()
        )


def batch_wait(agency_id: str, batch_id: Any, finished: TaskFinished) -> float:
    """Wait until the worker has finished the batch; return when (a ``perf_counter`` value)."""
    from matching.models import EnrollmentStatus

    deadline = time.monotonic() + BATCH_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        at = finished.wait(timeout=5.0)
        status = batch_status(agency_id, batch_id)
        if status in (EnrollmentStatus.DONE, EnrollmentStatus.FAILED):
            return at or time.perf_counter()
        if at is not None:
            finished.arm()
    raise RuntimeError(f"batch {batch_id} not finished; is the worker consuming the bench queue?")


def upload_items(photos: list[EvalPhoto]) -> list[Any]:
    """Return the photos as the service's upload items, each filed under its identity."""
    from matching.enrollment import UploadItem

    return [
        UploadItem(
            subject_ref=p.identity,
            filename=p.file,
            content=p.path.read_bytes(),
            display_name=p.identity.replace("_", " "),
        )
        for p in photos
    ]


def outcome_count(run: ServiceRun, done: Any) -> None:
    """Add a finished batch's counts and rejection reasons to the run."""
    run.counts.update(
        {
            "batches": 1,
            "enrolled": done.enrolled,
            "held": done.held,
            "rejected": done.rejected,
            "skipped": done.skipped,
            f"status_{done.status}": 1,
        }
    )
    run.reasons.update(r["reason"] for r in done.results if r.get("reason"))


def service_enroll(
    tenant: BenchTenant, photos: list[EvalPhoto], run: ServiceRun, finished: TaskFinished | None
) -> None:
    """Enroll the photos as one batch, by the worker unless ``finished`` is None."""
    from matching.enrollment import enrollment_batch_create, enrollment_batch_process
    from matching.models import EnrollmentBatch
    from tenants.context import agency_transaction

    agency_id = tenant.agency.id
    items = upload_items(photos)
    if finished is not None:
        finished.arm()
    began = time.perf_counter()
    batch = enrollment_batch_create(
        gallery=tenant.gallery, items=items, created_by=tenant.user, enqueue=finished is not None
    )
    run.batch_create.append(time.perf_counter() - began)
    if finished is None:
        enrollment_batch_process(agency_id=agency_id, batch_id=batch.id)
        done_at = time.perf_counter()
    else:
        done_at = batch_wait(agency_id, batch.id, finished)
    run.wall += done_at - began
    with agency_transaction(agency_id):
        done = EnrollmentBatch.objects.get(agency_id=agency_id, id=batch.id)
    outcome_count(run, done)


def batches_wait(agency_id: str, batch_ids: list[Any]) -> list[Any]:
    """Poll the database until every batch is done or failed; return the finished batches.

    The workers are other processes, so no in-process signal says when they finish; one query
    a second keeps the poller off the two cores, and the batches' own ``finished_at`` times
    say when the work ended, whatever the polling interval.
    """
    from matching.models import EnrollmentBatch, EnrollmentStatus
    from tenants.context import agency_transaction

    finished = (EnrollmentStatus.DONE, EnrollmentStatus.FAILED)
    deadline = time.monotonic() + BATCH_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        with agency_transaction(agency_id):
            batches = list(EnrollmentBatch.objects.filter(agency_id=agency_id, id__in=batch_ids))
        if len(batches) == len(batch_ids) and all(b.status in finished for b in batches):
            return batches
    raise RuntimeError(f"batches {batch_ids} not finished; are the workers consuming the queue?")


def service_parallel(
    tenant: BenchTenant,
    parts: list[list[EvalPhoto]],
    run: ServiceRun,
    queue: str,
    worker_pid: int,
) -> None:
    """Submit one batch per part at once to the worker processes; wall time until all are done.

    The batches are created without the service's enqueue-on-commit and published right after
    their commit to the worker processes' queue, which is what ``delay`` on commit does, routed
    away from the in-process worker's queue.
    """
    from matching.enrollment import enrollment_batch_create
    from matching.tasks import enrollment_batch_run

    agency_id = tenant.agency.id
    items = [upload_items(part) for part in parts]
    cpu_before = children_cpu_seconds(worker_pid)
    began_at, began = datetime.now().astimezone(), time.perf_counter()
    batch_ids = []
    for part_items in items:
        batch = enrollment_batch_create(
            gallery=tenant.gallery, items=part_items, created_by=tenant.user, enqueue=False
        )
        enrollment_batch_run.apply_async((str(batch.id), agency_id), queue=queue)
        batch_ids.append(batch.id)
    run.batch_create.append(time.perf_counter() - began)
    done = batches_wait(agency_id, batch_ids)
    run.worker_cpu += children_cpu_seconds(worker_pid) - cpu_before
    polled = datetime.now().astimezone()
    ended = max(b.finished_at or polled for b in done)
    run.wall += (ended - began_at).total_seconds()
    for batch in done:
        outcome_count(run, batch)


def faces_in_gallery(tenant: BenchTenant) -> int:
    """Count the faces the service stored, to check them against the batches' counts."""
    from matching.models import Face
    from tenants.context import agency_transaction

    with agency_transaction(tenant.agency.id):
        return Face.objects.filter(agency_id=tenant.agency.id, gallery_id=tenant.gallery.id).count()


LOAD_NOTE = (
    "The machine is shared (its cores also run other people's tests and servers) and was "
    "loaded during the run: see environment.load_average_at_start/at_end and "
    "with_workers.load_average_per_batch. Wall-clock rates and scaling depend on that load; "
    "no more than cpu_count workers can scale, and any other load takes from them."
)


def turn_order(chunk: int, many: bool) -> list[tuple[str, str]]:
    """Return the order in which chunk ``chunk`` (from 1) runs, as (workers, side) pairs.

    The library goes first in odd chunks, the service in even ones; with several workers the
    1-worker pair goes first in chunks 1-2, 5-6, …, the N-worker pair in 3-4, 7-8, …, so over
    four chunks every order occurs once and a change in machine load biases no figure.
    """
    sides = ["library", "service"] if chunk % 2 else ["service", "library"]
    pairs = ["one"]
    if many:
        pairs = ["one", "many"] if (chunk - 1) // 2 % 2 == 0 else ["many", "one"]
    return [(who, side) for who in pairs for side in sides]


def distinct_subjects(
    everything: list[EvalPhoto], chosen: list[EvalPhoto], n: int, seed: int
) -> list[EvalPhoto]:
    """Pick ``n`` photos of ``n`` different identities outside the measured sample."""
    taken = {p.file for p in chosen}
    rest = [p for p in everything if p.file not in taken]
    random.Random(seed + 1).shuffle(rest)
    picked: dict[str, EvalPhoto] = {}
    for photo in rest:
        picked.setdefault(photo.identity, photo)
        if len(picked) == n:
            break
    return list(picked.values())


@contextmanager
def library_pool(n: int) -> Iterator[Pool]:
    """Fork ``n`` processes for the library path, with no database connection open."""
    from django.db import connections

    connections.close_all()
    with multiprocessing.get_context("fork").Pool(n) as pool:
        yield pool


def workers_summary(
    n: int,
    count: int,
    one_worker: tuple[float, float],
    one_worker_cores: tuple[float, float],
    library: LibraryRun,
    service: ServiceRun,
    stored_faces: int,
) -> dict[str, Any]:
    """Describe the N-worker runs beside the 1-worker rates (library, service) of the same run."""
    library_one, service_one = one_worker
    library_ips, service_ips = count / library.total_wall, count / service.wall
    share_one, share_many = service_one / library_one, service_ips / library_ips
    scaling_library, scaling_service = library_ips / library_one, service_ips / service_one
    return {
        "workers": n,
        "service": {
            "path": f"enrollment_batch_create + celery worker --pool prefork --concurrency {n} "
            "(a separate process on a queue of its own); each chunk split by subject into "
            f"{n} batches submitted at once",
            "images_per_second": round(service_ips, 3),
            "images_per_worker_cpu_second": round(count / service.worker_cpu, 3),
            "wall_seconds": round(service.wall, 2),
            "worker_cpu_seconds": round(service.worker_cpu, 2),
            "outcome": {
                **dict(service.counts),
                "faces_in_gallery": stored_faces,
                "reasons": sorted(service.reasons),
            },
        },
        "baseline_library": {
            "path": f"the library path over the same parts in {n} forked processes",
            "images_per_second": round(library_ips, 3),
            "images_per_cpu_second": round(count / sum(library.cpu), 3),
            "wall_seconds": round(library.total_wall, 2),
            "single_face_photos": library.single_face,
            "several_face_photos": library.several_faces,
        },
        "service_over_library": {
            "one_worker": round(share_one, 3),
            "workers": round(share_many, 3),
        },
        # CPU seconds over wall seconds: how many cores each side got (at most ``n``).
        "cores_used": {
            "one_worker": {
                "library": round(one_worker_cores[0], 2),
                "service": round(one_worker_cores[1], 2),
            },
            "workers": {
                "library": round(sum(library.cpu) / library.total_wall, 2),
                "service": round(service.worker_cpu / service.wall, 2),
            },
        },
        "scaling": {
            "service": round(scaling_service, 3),
            "library": round(scaling_library, 3),
            "linear": n,
            "service_over_library": round(scaling_service / scaling_library, 3),
        },
        "target": {
            "service_over_library_min": TARGET_SHARE_OF_LIBRARY,
            "met_per_process": share_one >= TARGET_SHARE_OF_LIBRARY,
            "met_with_workers": share_many >= TARGET_SHARE_OF_LIBRARY,
            "scaling_linear": f"scaling.service near {n}; on a shared machine compare it "
            "with scaling.library, which meets the same load",
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Measure and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument(
        "--chunks",
        type=int,
        default=4,
        help="batches, each run through the library and the service in turn",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="call enrollment_batch_process here instead of a Celery worker",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="N >= 2: also enroll every batch with N worker processes, against the library "
        "in N processes",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.workers > 1 and args.in_process:
        parser.error("--workers needs the Celery workers; it cannot be combined with --in-process")
    out = stdout_reserve()
    load_at_start = load_average()
    started = time.perf_counter()
    info = django_start(worker_queue=not args.in_process)
    everything = eval_photos(eval_faces_dir())
    chosen = random.Random(args.seed).sample(everything, min(args.photos, len(everything)) + 1)
    warmup, photos = chosen[0], sorted(chosen[1:], key=lambda p: p.file)
    size = -(-len(photos) // max(1, args.chunks))
    chunks = [photos[i : i + size] for i in range(0, len(photos), size)]
    library, service = LibraryRun(), ServiceRun()
    library_many, service_many = LibraryRun(), ServiceRun()
    many = args.workers > 1
    warmups_many = distinct_subjects(everything, chosen, args.workers, args.seed) if many else []
    pool_queue = f"{info.get('queue', 'probity-bench')}-workers"
    loads: list[list[float]] = []
    library_enroll([warmup], LibraryRun())
    with ExitStack() as outer:
        # Forked before any database connection or thread of this process exists.
        pool = outer.enter_context(library_pool(args.workers)) if many else None
        if pool is not None:
            pool.map(library_part, [[w] for w in warmups_many], chunksize=1)
        with bench_database():
            tenant = bench_tenant()
            tenant_many = bench_tenant() if many else None
            with ExitStack() as stack:
                finished = None
                if not args.in_process:
                    stack.enter_context(celery_worker())
                    finished = stack.enter_context(TaskFinished())
                worker_pid = 0
                if many:
                    worker_pid = stack.enter_context(
                        celery_worker_processes(concurrency=args.workers, queue=pool_queue)
                    ).pid
                    progress(f"warming up the {args.workers} worker processes")
                    # Each child loads the face model on its first task: one batch each.
                    service_parallel(
                        bench_tenant(),
                        [[w] for w in warmups_many],
                        ServiceRun(),
                        pool_queue,
                        worker_pid,
                    )
                stack.enter_context(service_timed(service))
                steps = stack.enter_context(calls_timed(service_steps()))
                for i, chunk in enumerate(chunks, start=1):
                    parts = subject_parts(chunk, args.workers)
                    loads.append(load_average())
                    progress(
                        f"batch {i}/{len(chunks)}: {len(chunk)} photos, library and service"
                        + (f", 1 and {len(parts)} workers" if many else "")
                    )
                    for who, side in turn_order(i, many):
                        if who == "one" and side == "library":
                            library_enroll(chunk, library)
                        elif who == "one":
                            service_enroll(tenant, chunk, service, finished)
                        elif side == "library" and pool is not None:
                            library_parallel(pool, parts, library_many)
                        elif tenant_many is not None:
                            service_parallel(
                                tenant_many, parts, service_many, pool_queue, worker_pid
                            )
            stored_faces = faces_in_gallery(tenant)
            stored_faces_many = faces_in_gallery(tenant_many) if tenant_many else 0
    count = len(photos)
    library_ips, service_ips = count / library.total_wall, count / service.wall
    per_image_wall = [wall / n for n, wall, _ in service.subjects for _ in range(n)]
    per_image_cpu = [cpu / n for n, _, cpu in service.subjects for _ in range(n)]
    library_ms, service_ms = latency_summary(library.wall), latency_summary(per_image_wall)
    document: dict[str, Any] = {
        "benchmark": "enrollment_throughput",
        "photos": count,
        "subjects": len({p.identity for p in photos}),
        "batches": len(chunks),
        "service": {
            "path": "enrollment_batch_process called in this process"
            if args.in_process
            else "enrollment_batch_create + Celery worker (solo pool, one thread)",
            "images_per_second": round(service_ips, 3),
            "images_per_worker_cpu_second": round(count / sum(per_image_cpu), 3),
            "per_image_ms": service_ms,
            "examine_per_photo_ms": latency_summary(service.examine),
            "steps_ms_per_photo": {
                name: round(1000 * sum(values) / count, 3) for name, values in steps.items()
            },
            "subject_writes_per_photo_ms_mean": round(
                1000 * (sum(w for _, w, _ in service.subjects) - sum(service.examine)) / count, 3
            ),
            "steps_ms_p50": {
                name: latency_summary(values)["p50"] for name, values in steps.items()
            },
            "wall_seconds": round(service.wall, 2),
            "batch_create_ms_p50": latency_summary(service.batch_create)["p50"],
            "outcome": {
                **dict(service.counts),
                "faces_in_gallery": stored_faces,
                "reasons": sorted(service.reasons),
            },
        },
        "baseline_library": {
            "path": "face_recognition load_image_file + face_locations + face_encodings "
            "(every face found)",
            "images_per_second": round(library_ips, 3),
            "images_per_cpu_second": round(count / sum(library.cpu), 3),
            "per_image_ms": library_ms,
            "stages_ms_p50": {
                name: latency_summary(values)["p50"] for name, values in library.stages.items()
            },
            "wall_seconds": round(library.total_wall, 2),
            "single_face_photos": library.single_face,
            "several_face_photos": library.several_faces,
        },
        "overhead_pct": round(100 * (library_ips / service_ips - 1), 1),
        "overhead_pct_per_image_p50": round(100 * (service_ms["p50"] / library_ms["p50"] - 1), 1),
        "overhead_pct_cpu": round(100 * (sum(per_image_cpu) / sum(library.cpu) - 1), 1),
        "setup": info,
        "environment": environment(load_at_start),
        "runtime_seconds": round(time.perf_counter() - started, 1),
    }
    if many:
        document["with_workers"] = workers_summary(
            args.workers,
            count,
            (library_ips, service_ips),
            (sum(library.cpu) / library.total_wall, sum(per_image_cpu) / service.wall),
            library_many,
            service_many,
            stored_faces_many,
        )
        document["with_workers"]["load_average_per_batch"] = loads
        document["with_workers"]["load_note"] = LOAD_NOTE
    json_emit(out, document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
