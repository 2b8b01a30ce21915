"""Enrollment throughput per worker: the service's batch path against the face library alone.

K labeled photos (a seeded sample, each filed under its identity as the subject) are enrolled
through ``enrollment_batch_create`` and a real Celery worker (solo pool, a thread of this
process; ``--in-process`` calls ``enrollment_batch_process`` instead). The baseline runs
face_recognition directly on the same photos in the same process: decode, detect, and encode
the face when there is exactly one, which is the only case the service encodes. The photos
go in ``--chunks`` batches, each run through the library and through the service back to back
(alternating which goes first), so a change in machine load during the run biases neither
side. Per-image times inside the worker come from timing the service's per-subject step (a
subject's time is shared evenly by its photos); thread CPU time is kept beside wall-clock time
because other load on the machine inflates the latter.

Run: ``.venv/bin/python -m bench.enrollment_throughput [--photos 200] [--in-process]``
"""

from __future__ import annotations

import argparse
import io
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench.harness import (
    BenchTenant,
    EvalPhoto,
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

BATCH_TIMEOUT_SECONDS = 1800.0


@dataclass
class LibraryRun:
    """Per-photo wall and CPU seconds of the library path, by stage, and what it found."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    stages: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    single_face: int = 0
    total_wall: float = 0.0


def library_enroll(photos: list[EvalPhoto], run: LibraryRun) -> None:
    """Decode, detect and (for exactly one face) encode each photo with face_recognition."""
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
        if len(locations) == 1:
            face_recognition.face_encodings(
                image, known_face_locations=locations, num_jitters=1, model="small"
            )
            run.stages["encode"].append(time.perf_counter() - detected)
            run.single_face += 1
        run.cpu.append(time.thread_time() - began_cpu)
        run.wall.append(time.perf_counter() - began)
    run.total_wall += time.perf_counter() - began_all


@dataclass
class ServiceRun:
    """What the service did with every batch, and what the timing wrappers saw inside it."""

    wall: float = 0.0
    batch_create: list[float] = field(default_factory=list)
    subjects: list[tuple[int, float, float]] = field(default_factory=list)
    examine: list[float] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    reasons: set[str] = field(default_factory=set)


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
    """Name the steps of the service's photo examination worth timing one by one."""
    import matching.enrollment
    import matching.faces

    return {
        "inspect": (matching.enrollment, "image_inspect"),
        "decode": (matching.enrollment, "image_decode"),
        "detect": (matching.faces, "faces_detect"),
        "encode": (matching.faces, "face_encode"),
        "reencode_jpeg": (matching.enrollment, "image_reencode_jpeg"),
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


def service_enroll(
    tenant: BenchTenant, photos: list[EvalPhoto], run: ServiceRun, finished: TaskFinished | None
) -> None:
    """Enroll the photos as one batch, by the worker unless ``finished`` is None."""
    from matching.enrollment import UploadItem, enrollment_batch_create, enrollment_batch_process
    from matching.models import EnrollmentBatch
    from tenants.context import agency_transaction

    agency_id = tenant.agency.id
    items = [
        UploadItem(
            subject_ref=p.identity,
            filename=p.file,
            content=p.path.read_bytes(),
            display_name=p.identity.replace("_", " "),
        )
        for p in photos
    ]
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
    run.counts.update(
        {
            "batches": 1,
            "enrolled": done.enrolled,
            "rejected": done.rejected,
            "skipped": done.skipped,
            f"status_{done.status}": 1,
        }
    )
    run.reasons.update(r["reason"] for r in done.results if r.get("reason"))


def faces_in_gallery(tenant: BenchTenant) -> int:
    """Count the faces the service stored, to check them against the batches' counts."""
    from matching.models import Face
    from tenants.context import agency_transaction

    with agency_transaction(tenant.agency.id):
        return Face.objects.filter(agency_id=tenant.agency.id, gallery_id=tenant.gallery.id).count()


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
    args = parser.parse_args(argv)
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
    library_enroll([warmup], LibraryRun())
    with bench_database():
        tenant = bench_tenant()
        with ExitStack() as stack:
            finished = None
            if not args.in_process:
                stack.enter_context(celery_worker())
                finished = stack.enter_context(TaskFinished())
            stack.enter_context(service_timed(service))
            steps = stack.enter_context(calls_timed(service_steps()))
            for i, chunk in enumerate(chunks, start=1):
                progress(f"batch {i}/{len(chunks)}: {len(chunk)} photos, library and service")
                if i % 2:
                    library_enroll(chunk, library)
                    service_enroll(tenant, chunk, service, finished)
                else:
                    service_enroll(tenant, chunk, service, finished)
                    library_enroll(chunk, library)
        stored_faces = faces_in_gallery(tenant)
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
            "(exactly one face)",
            "images_per_second": round(library_ips, 3),
            "images_per_cpu_second": round(count / sum(library.cpu), 3),
            "per_image_ms": library_ms,
            "stages_ms_p50": {
                name: latency_summary(values)["p50"] for name, values in library.stages.items()
            },
            "wall_seconds": round(library.total_wall, 2),
            "single_face_photos": library.single_face,
        },
        "overhead_pct": round(100 * (library_ips / service_ips - 1), 1),
        "overhead_pct_per_image_p50": round(100 * (service_ms["p50"] / library_ms["p50"] - 1), 1),
        "overhead_pct_cpu": round(100 * (sum(per_image_cpu) / sum(library.cpu) - 1), 1),
        "setup": info,
        "environment": environment(load_at_start),
        "runtime_seconds": round(time.perf_counter() - started, 1),
    }
    json_emit(out, document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
