"""Enrollment throughput per worker: the service's batch path against the face library alone.

K labeled photos (a seeded sample, each filed under its identity as the subject) are enrolled
through ``enrollment_batch_create`` and a real Celery worker (solo pool, a thread of this
process; ``--in-process`` calls ``enrollment_batch_process`` instead). The baseline runs
face_recognition directly on the same photos in the same process, once before and once after
the service (their mean is the baseline, so a change in machine load during the run biases
neither side): decode, detect, and encode the face when there is exactly one, which is the
only case the service encodes. Per-image times inside the worker come from timing the
service's per-subject step (a subject's time is shared evenly by its photos); thread CPU time
is kept beside wall-clock time because other load on the machine inflates the latter.

Run: ``.venv/bin/python -m bench.enrollment_throughput [--photos 200] [--in-process]``
"""

from __future__ import annotations

import argparse
import io
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench.harness import (
    BenchTenant,
    EvalPhoto,
    TaskFinished,
    bench_database,
    bench_tenant,
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

BATCH_TIMEOUT_SECONDS = 1800.0


@dataclass
class LibraryRun:
    """Per-photo wall and CPU seconds of the library path, and what it found."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    single_face: int = 0
    total_wall: float = 0.0


def library_enroll(photos: list[EvalPhoto]) -> LibraryRun:
    """Decode, detect and (for exactly one face) encode each photo with face_recognition."""
    import face_recognition
    from django.conf import settings

    run = LibraryRun()
    began_all = time.perf_counter()
    for photo in photos:
        began, began_cpu = time.perf_counter(), time.thread_time()
        image = face_recognition.load_image_file(io.BytesIO(photo.path.read_bytes()))
        locations = face_recognition.face_locations(
            image, number_of_times_to_upsample=settings.FACE_UPSAMPLE,
            model=settings.FACE_DETECTOR)
        if len(locations) == 1:
            face_recognition.face_encodings(image, known_face_locations=locations,
                                            num_jitters=1, model="small")
            run.single_face += 1
        run.cpu.append(time.thread_time() - began_cpu)
        run.wall.append(time.perf_counter() - began)
    run.total_wall = time.perf_counter() - began_all
    return run


@dataclass
class ServiceTimings:
    """What the timing wrappers saw inside the service, per subject and per photo."""

    subjects: list[tuple[int, float, float]] = field(default_factory=list)
    examine: list[float] = field(default_factory=list)


@contextmanager
def service_timed(timings: ServiceTimings) -> Iterator[None]:
    """Time the service's per-subject step and per-photo examination without changing them."""
    import matching.enrollment as enrollment

    subject_enroll: Callable[..., Any] = enrollment._subject_enroll
    photo_examine: Callable[..., Any] = enrollment._photo_examine

    def subject_timed(batch: Any, ref: str, uploads: list[Any]) -> Any:
        began, began_cpu = time.perf_counter(), time.thread_time()
        try:
            return subject_enroll(batch, ref, uploads)
        finally:
            timings.subjects.append(
                (len(uploads), time.perf_counter() - began, time.thread_time() - began_cpu))

    def examine_timed(upload: Any) -> Any:
        began = time.perf_counter()
        try:
            return photo_examine(upload)
        finally:
            timings.examine.append(time.perf_counter() - began)

    enrollment._subject_enroll = subject_timed
    enrollment._photo_examine = examine_timed
    try:
        yield
    finally:
        enrollment._subject_enroll = subject_enroll
        enrollment._photo_examine = photo_examine


def batch_status(agency_id: str, batch_id: Any) -> str:
    """Return the batch's status as the database has it."""
    from matching.models import EnrollmentBatch
    from tenants.context import agency_transaction

    with agency_transaction(agency_id):
        return str(EnrollmentBatch.objects.filter(agency_id=agency_id, id=batch_id)
                   .values_list("status", flat=True).first())


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


def service_enroll(
    tenant: BenchTenant, photos: list[EvalPhoto], *, in_process: bool
) -> dict[str, Any]:
    """Enroll the photos through the service and return timings and the batch's counts."""
    from matching.enrollment import UploadItem, enrollment_batch_create, enrollment_batch_process
    from matching.models import EnrollmentBatch, Face
    from tenants.context import agency_transaction

    agency_id = tenant.agency.id
    items = [UploadItem(subject_ref=p.identity, filename=p.file, content=p.path.read_bytes(),
                        display_name=p.identity.replace("_", " ")) for p in photos]
    timings = ServiceTimings()
    with service_timed(timings), TaskFinished() as task_finished:
        task_finished.arm()
        began = time.perf_counter()
        batch = enrollment_batch_create(gallery=tenant.gallery, items=items,
                                        created_by=tenant.user, enqueue=not in_process)
        created = time.perf_counter()
        if in_process:
            enrollment_batch_process(agency_id=agency_id, batch_id=batch.id)
            finished = time.perf_counter()
        else:
            finished = batch_wait(agency_id, batch.id, task_finished)
    with agency_transaction(agency_id):
        done = EnrollmentBatch.objects.get(agency_id=agency_id, id=batch.id)
        faces = Face.objects.filter(agency_id=agency_id, gallery_id=tenant.gallery.id).count()
    per_image_wall = [seconds / count for count, seconds, _ in timings.subjects
                      for _ in range(count)]
    per_image_cpu = [cpu / count for count, _, cpu in timings.subjects for _ in range(count)]
    return {
        "wall_seconds": finished - began,
        "batch_create_seconds": created - began,
        "per_image_wall": per_image_wall,
        "per_image_cpu": per_image_cpu,
        "examine": timings.examine,
        "status": done.status,
        "enrolled": done.enrolled,
        "rejected": done.rejected,
        "skipped": done.skipped,
        "faces_in_gallery": faces,
        "reasons": sorted({r["reason"] for r in done.results if r.get("reason")}),
    }


def main(argv: list[str] | None = None) -> int:
    """Measure and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--in-process", action="store_true",
                        help="call enrollment_batch_process here instead of a Celery worker")
    args = parser.parse_args(argv)
    out = stdout_reserve()
    load_at_start = load_average()
    started = time.perf_counter()
    info = django_start(worker_queue=not args.in_process)
    everything = eval_photos(eval_faces_dir())
    chosen = random.Random(args.seed).sample(everything, min(args.photos, len(everything)) + 1)
    warmup, photos = chosen[0], sorted(chosen[1:], key=lambda p: p.file)
    progress(f"library baseline on {len(photos)} photos (first of two runs)")
    library_enroll([warmup])
    before = library_enroll(photos)
    with bench_database():
        tenant = bench_tenant()
        progress(f"service enrollment of the same {len(photos)} photos")
        if args.in_process:
            service = service_enroll(tenant, photos, in_process=True)
        else:
            with celery_worker():
                service = service_enroll(tenant, photos, in_process=False)
    progress(f"library baseline on {len(photos)} photos (second run)")
    after = library_enroll(photos)
    library = LibraryRun(wall=before.wall + after.wall, cpu=before.cpu + after.cpu,
                         single_face=before.single_face,
                         total_wall=(before.total_wall + after.total_wall) / 2)
    count = len(photos)
    library_ips = count / library.total_wall
    service_ips = count / service["wall_seconds"]
    library_ms = latency_summary(library.wall)
    service_ms = latency_summary(service["per_image_wall"])
    document: dict[str, Any] = {
        "benchmark": "enrollment_throughput",
        "photos": count,
        "subjects": len({p.identity for p in photos}),
        "service": {
            "path": "enrollment_batch_process called in this process" if args.in_process
                    else "enrollment_batch_create + Celery worker (solo pool, one thread)",
            "images_per_second": round(service_ips, 3),
            "images_per_worker_cpu_second": round(count / sum(service["per_image_cpu"]), 3),
            "per_image_ms": service_ms,
            "examine_per_photo_ms": latency_summary(service["examine"]),
            "wall_seconds": round(service["wall_seconds"], 2),
            "batch_create_ms": round(service["batch_create_seconds"] * 1000, 1),
            "outcome": {k: service[k] for k in ("status", "enrolled", "rejected", "skipped",
                                                "faces_in_gallery", "reasons")},
        },
        "baseline_library": {
            "path": "face_recognition load_image_file + face_locations + face_encodings "
                    "(exactly one face)",
            "images_per_second": round(library_ips, 3),
            "images_per_cpu_second": round(len(library.cpu) / sum(library.cpu), 3),
            "per_image_ms": library_ms,
            "wall_seconds_per_run": [round(before.total_wall, 2), round(after.total_wall, 2)],
            "images_per_second_per_run": [round(count / before.total_wall, 3),
                                          round(count / after.total_wall, 3)],
            "single_face_photos": library.single_face,
        },
        "overhead_pct": round(100 * (library_ips / service_ips - 1), 1),
        "overhead_pct_per_image_p50": round(100 * (service_ms["p50"] / library_ms["p50"] - 1), 1),
        "overhead_pct_cpu": round(
            100 * (sum(service["per_image_cpu"]) / (sum(library.cpu) / 2) - 1), 1),
        "setup": info,
        "environment": environment(load_at_start),
        "runtime_seconds": round(time.perf_counter() - started, 1),
    }
    json_emit(out, document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
