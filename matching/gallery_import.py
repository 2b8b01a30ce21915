"""Archive import: a back catalogue loaded into a gallery in chunks of subjects.

The source is a directory ``DIR/<subject>/<images>`` (photos detected and encoded here) or a
manifest of photos whose embeddings were already computed by the same face model (JSON lines: a
first line ``{"model_name": ..., "model_version": ...}``, then one
``{"subject": ref, "photo": path, "embedding": [128 floats], "box": [t, r, b, l]}`` per photo,
paths relative to the manifest). A manifest from another model or version is refused: its
vectors would not be comparable with the gallery's.

Each chunk commits its subjects, sealed photos, faces and the import's counters together, under
the agency's row-level-security context as the application role; faces go in by binary COPY
into a staging table and one INSERT ... SELECT into the agency's partition (PostgreSQL refuses
COPY FROM into a table under row-level security, and the INSERT keeps the policy's check).
A crashed import resumes after its last committed chunk; photos already enrolled are skipped,
so daily enrollment and an import of the same subjects never duplicate a face.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from audit.services import audit_record
from matching.biometric_bytes import photo_content_seal
from matching.face_copy import FACE_COPY_COLUMNS, face_copy_stream
from matching.face_model import face_model_turn
from matching.held_photos import held_photo_keep
from matching.images import (
    ImageRejectedError,
    image_decode,
    image_inspect,
    image_pixels,
    image_reencode_jpeg,
)
from matching.models import (
    EMBEDDING_DIMENSIONS,
    EnrollmentStatus,
    Gallery,
    GalleryImport,
    GalleryImportKind,
    HeldPhoto,
    SeveralFaces,
    Subject,
    SubjectPhoto,
)
from tenants.context import agency_transaction

IMPORT_SOURCE_MISSING = "import_source_missing"
IMPORT_SOURCE_EMPTY = "import_source_empty"
IMPORT_MANIFEST_INVALID = "import_manifest_invalid"
IMPORT_MODEL_MISMATCH = "import_model_mismatch"
NO_FACE = "no_face"
SEVERAL_FACES = "several_faces"
ALREADY_ENROLLED = "already_enrolled"
SUBJECT_PURGED = "subject_purged"
IMPORT_MAX_BYTES = 20 * 1024 * 1024
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}
CHUNK_SUBJECTS = 200


class GalleryImportError(ValueError):
    """A source that cannot be imported, with a stable code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SourcePhoto:
    """One photo of the source; ``embedding`` and ``box`` when precomputed."""

    path: Path
    embedding: tuple[float, ...] | None = None
    box: tuple[int, int, int, int] | None = None


@dataclass
class _Examined:
    source: SourcePhoto
    sha256: str
    jpeg: bytes = b""
    width: int = 0
    height: int = 0
    boxes: list[list[int]] = field(default_factory=list)
    embeddings: list[list[float]] = field(default_factory=list)
    reason: str = ""


def _directory_subjects(root: Path) -> list[tuple[str, list[SourcePhoto]]]:
    subjects = []
    for subject_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        photos = [
            SourcePhoto(path=p)
            for p in sorted(subject_dir.iterdir())
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        ]
        if photos:
            subjects.append((subject_dir.name, photos))
    return subjects


def _manifest_lines(manifest: Path) -> Iterator[dict[str, Any]]:
    with manifest.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise GalleryImportError(
                    IMPORT_MANIFEST_INVALID, f"line {number}: not JSON ({exc.msg})"
                ) from exc
            if not isinstance(row, dict):
                raise GalleryImportError(IMPORT_MANIFEST_INVALID, f"line {number}: not an object")
            yield row


def _manifest_subjects(manifest: Path) -> list[tuple[str, list[SourcePhoto]]]:
    from matching.faces import MODEL_NAME, MODEL_VERSION

    rows = _manifest_lines(manifest)
    header = next(rows, None)
    if header is None or (header.get("model_name"), header.get("model_version")) != (
        MODEL_NAME,
        MODEL_VERSION,
    ):
        raise GalleryImportError(
            IMPORT_MODEL_MISMATCH,
            f"the manifest's embeddings must come from {MODEL_NAME} {MODEL_VERSION}",
        )
    by_subject: dict[str, list[SourcePhoto]] = {}
    for number, row in enumerate(rows, start=2):
        ref, photo, embedding, box = (row.get(k) for k in ("subject", "photo", "embedding", "box"))
        if not (
            isinstance(ref, str)
            and ref
            and isinstance(photo, str)
            and isinstance(embedding, list)
            and len(embedding) == EMBEDDING_DIMENSIONS
            and all(isinstance(x, int | float) for x in embedding)
            and np.all(np.isfinite(embedding))
            and isinstance(box, list)
            and len(box) == 4
            and all(isinstance(x, int) for x in box)
        ):
            raise GalleryImportError(
                IMPORT_MANIFEST_INVALID,
                f"line {number}: needs subject, photo, a {EMBEDDING_DIMENSIONS}-number "
                "embedding and a [top, right, bottom, left] box",
            )
        by_subject.setdefault(ref, []).append(
            SourcePhoto(
                path=manifest.parent / photo,
                embedding=tuple(float(x) for x in embedding),
                box=(box[0], box[1], box[2], box[3]),
            )
        )
    return sorted(by_subject.items())


def import_source_subjects(*, source: Path) -> tuple[str, list[tuple[str, list[SourcePhoto]]]]:
    """Return the source's kind and its subjects in a stable order (the resume order)."""
    if source.is_dir():
        kind, subjects = GalleryImportKind.IMAGES.value, _directory_subjects(source)
    elif source.is_file():
        kind, subjects = GalleryImportKind.EMBEDDINGS.value, _manifest_subjects(source)
    else:
        raise GalleryImportError(IMPORT_SOURCE_MISSING, f"{source} is not a directory or file")
    if not subjects:
        raise GalleryImportError(IMPORT_SOURCE_EMPTY, f"no photos in {source}")
    return kind, subjects


def gallery_import_create(
    *,
    gallery: Gallery,
    source: Path,
    several_faces: str = SeveralFaces.HOLD,
    actor: Any = None,
    enqueue: bool = True,
) -> GalleryImport:
    """Check the source, record the import (audited) and queue it once the record commits."""
    from matching.tasks import gallery_import_run

    if several_faces not in SeveralFaces.values:
        raise ValueError(f"several_faces must be one of {SeveralFaces.values}")
    source = source.resolve()
    kind, subjects = import_source_subjects(source=source)
    agency_id = gallery.agency_id
    with agency_transaction(agency_id):
        record = GalleryImport.objects.create(
            agency_id=agency_id,
            gallery=gallery,
            source=str(source),
            kind=kind,
            several_faces=several_faces,
            subjects_total=len(subjects),
            photos_total=sum(len(p) for _, p in subjects),
        )
        audit_record(
            agency_id=agency_id,
            actor=actor or "cli",
            action="gallery_import.created",
            object_type="gallery_import",
            object_id=str(record.id),
            data={
                "gallery": gallery.slug,
                "source": str(source),
                "kind": kind,
                "subjects": record.subjects_total,
                "photos": record.photos_total,
                "several_faces": several_faces,
            },
        )
        if enqueue:
            rid = str(record.id)
            transaction.on_commit(lambda: gallery_import_run.delay(rid, agency_id), robust=True)
    return record


def _photo_examine(photo: SourcePhoto, several_faces: str) -> _Examined:
    """Decode a photo and find its face: detected here, or the manifest's precomputed one."""
    from matching.faces import face_encode, faces_detect

    try:
        data = photo.path.read_bytes()
    except OSError:
        return _Examined(source=photo, sha256="", reason=IMPORT_SOURCE_MISSING)
    examined = _Examined(source=photo, sha256=hashlib.sha256(data).hexdigest())
    try:
        image_inspect(data, max_bytes=IMPORT_MAX_BYTES)
        image = image_decode(data)
    except ImageRejectedError as exc:
        examined.reason = exc.code
        return examined
    examined.jpeg, examined.width, examined.height = (
        image_reencode_jpeg(image),
        image.width,
        image.height,
    )
    if photo.embedding is not None and photo.box is not None:
        examined.boxes, examined.embeddings = [list(photo.box)], [list(photo.embedding)]
        return examined
    pixels = image_pixels(image)
    with face_model_turn():
        boxes = faces_detect(pixels)
    if not boxes:
        examined.reason = NO_FACE
        return examined
    if len(boxes) > 1 and several_faces == SeveralFaces.REFUSE:
        examined.reason = SEVERAL_FACES
        return examined
    chosen = boxes if several_faces == SeveralFaces.HOLD else boxes[:1]  # largest first
    with face_model_turn():
        examined.embeddings = [[float(x) for x in face_encode(pixels, b)] for b in chosen]
    examined.boxes = [b.as_list() for b in boxes]
    return examined


def _faces_insert(
    *,
    agency_id: str,
    gallery_id: int,
    subject_ids: list[int],
    photo_ids: list[int],
    embeddings: list[list[float]],
    boxes: list[list[int]],
) -> None:
    """COPY faces into a staging table, then INSERT them under the agency's policy."""
    from matching.faces import MODEL_NAME, MODEL_VERSION

    stream = face_copy_stream(
        agency_id=agency_id,
        gallery_id=gallery_id,
        subject_ids=np.array(subject_ids, dtype=np.int64),
        photo_ids=np.array(photo_ids, dtype=np.int64),
        embeddings=np.array(embeddings, dtype=np.float32),
        model_name=MODEL_NAME,
        model_version=MODEL_VERSION,
        created_at=timezone.now(),
        boxes=np.array(boxes, dtype=np.int64),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS import_face_stage "  # noqa: S608
            f"ON COMMIT DELETE ROWS AS SELECT {FACE_COPY_COLUMNS} "
            "FROM matching_face WITH NO DATA"
        )
        with cursor.cursor.copy(
            f"COPY import_face_stage ({FACE_COPY_COLUMNS}) FROM STDIN (FORMAT binary)"
        ) as copy:
            copy.write(stream)
        cursor.execute(
            f"INSERT INTO matching_face ({FACE_COPY_COLUMNS}) "  # noqa: S608
            f"SELECT {FACE_COPY_COLUMNS} FROM import_face_stage"
        )
        cursor.execute("TRUNCATE import_face_stage")


def _chunk_commit(
    record: GalleryImport, chunk: list[tuple[str, list[_Examined]]], start: int
) -> bool:
    """Write one chunk and advance the resume point; False if another run already did."""
    from matching.faces import MODEL_NAME, MODEL_VERSION

    agency_id, gallery_id = record.agency_id, record.gallery_id
    results: list[dict[str, Any]] = []
    counts = {"enrolled": 0, "rejected": 0, "skipped": 0, "held": 0}
    largest: list[dict[str, Any]] = []
    with agency_transaction(agency_id):
        locked = GalleryImport.objects.select_for_update().get(id=record.id)
        if locked.subjects_done != start or locked.status != EnrollmentStatus.RUNNING:
            return False
        refs = [ref for ref, _ in chunk]
        subjects = {s.ref: s for s in Subject.objects.filter(gallery_id=gallery_id, ref__in=refs)}
        known = set(
            SubjectPhoto.objects.filter(subject__in=subjects.values()).values_list(
                "subject__ref", "sha256"
            )
        )
        accepted: list[tuple[str, _Examined]] = []
        for ref, photos in chunk:
            for item in photos:
                row = {"subject": ref, "file": item.source.path.name}
                purged = ref in subjects and subjects[ref].purged_at is not None
                if item.reason or purged:
                    counts["rejected"] += 1
                    results.append(
                        {
                            **row,
                            "status": "rejected",
                            "reason": SUBJECT_PURGED if purged else item.reason,
                        }
                    )
                elif (ref, item.sha256) in known:
                    counts["skipped"] += 1
                    results.append({**row, "status": "skipped", "reason": ALREADY_ENROLLED})
                elif len(item.boxes) > 1 and record.several_faces == SeveralFaces.HOLD:
                    counts["held"] += 1
                    results.append({**row, "status": "held", "reason": SEVERAL_FACES})
                    held_photo_keep(
                        held=HeldPhoto(
                            agency_id=agency_id,
                            gallery_id=gallery_id,
                            subject_ref=ref,
                            sha256=item.sha256,
                            display_name=ref.replace("_", " "),
                            filename=item.source.path.name,
                            width=item.width,
                            height=item.height,
                            boxes=item.boxes,
                            model_name=MODEL_NAME,
                            model_version=MODEL_VERSION,
                        ),
                        content=item.jpeg,
                        embeddings=item.embeddings,
                    )
                else:
                    known.add((ref, item.sha256))
                    accepted.append((ref, item))
        new = [
            Subject(
                agency_id=agency_id,
                gallery_id=gallery_id,
                ref=ref,
                display_name=ref.replace("_", " "),
            )
            for ref in dict.fromkeys(r for r, _ in accepted)
            if ref not in subjects
        ]
        subjects.update({s.ref: s for s in Subject.objects.bulk_create(new)})
        new_photos: list[SubjectPhoto] = []
        for ref, item in accepted:
            photo = SubjectPhoto(
                agency_id=agency_id,
                subject=subjects[ref],
                sha256=item.sha256,
                content_type="image/jpeg",
                width=item.width,
                height=item.height,
                faces_detected=len(item.boxes),
                face_choice="only" if len(item.boxes) == 1 else "largest",
            )
            photo_content_seal(photo=photo, content=item.jpeg)
            new_photos.append(photo)
            if len(item.boxes) > 1:
                largest.append(
                    {
                        "subject": ref,
                        "file": item.source.path.name,
                        "faces_detected": len(item.boxes),
                    }
                )
        SubjectPhoto.objects.bulk_create(new_photos)
        if new_photos:
            _faces_insert(
                agency_id=agency_id,
                gallery_id=gallery_id,
                subject_ids=[subjects[ref].pk for ref, _ in accepted],
                photo_ids=[p.pk for p in new_photos],
                embeddings=[item.embeddings[0] for _, item in accepted],
                boxes=[item.boxes[0] for _, item in accepted],
            )
        counts["enrolled"] = len(new_photos)
        locked.subjects_done = start + len(chunk)
        for name, value in counts.items():
            setattr(locked, name, getattr(locked, name) + value)
        locked.results = [*locked.results, *[r for r in results if r["status"] != "enrolled"]]
        locked.save(update_fields=["subjects_done", *counts, "results"])
        audit_record(
            agency_id=agency_id,
            actor="worker",
            action="gallery_import.chunk_loaded",
            object_type="gallery_import",
            object_id=str(record.id),
            data={
                "subjects": [start, start + len(chunk)],
                **counts,
                "model_version": MODEL_VERSION,
                "largest_face_chosen": largest,
            },
        )
    return True


def gallery_import_process(
    *,
    agency_id: str,
    import_id: uuid.UUID,
    chunk_subjects: int = CHUNK_SUBJECTS,
    stop_after_chunks: int | None = None,
) -> GalleryImport | None:
    """Load the import's pending subjects chunk by chunk, resuming after the last commit.

    ``stop_after_chunks`` ends the run early, as a crash would (for tests of resumption).
    """
    with agency_transaction(agency_id):
        record = GalleryImport.objects.select_for_update().filter(id=import_id).first()
        if record is None or record.status in (EnrollmentStatus.DONE, EnrollmentStatus.FAILED):
            return record
        record.status = EnrollmentStatus.RUNNING
        record.save(update_fields=["status"])
    try:
        _, subjects = import_source_subjects(source=Path(record.source))
    except GalleryImportError as exc:
        with agency_transaction(agency_id):
            record.status, record.error = EnrollmentStatus.FAILED, exc.code
            record.finished_at = timezone.now()
            record.save(update_fields=["status", "error", "finished_at"])
            audit_record(
                agency_id=agency_id,
                actor="worker",
                action="gallery_import.failed",
                object_type="gallery_import",
                object_id=str(record.id),
                data={"error": exc.code},
            )
        return record
    if len(subjects) != record.subjects_total:
        subjects = []  # the source changed under the import: resuming would misalign
    starts = range(record.subjects_done, len(subjects), chunk_subjects)
    for chunks, start in enumerate(starts):
        if stop_after_chunks is not None and chunks >= stop_after_chunks:
            return None
        chunk = [
            (ref, [_photo_examine(p, record.several_faces) for p in photos])
            for ref, photos in subjects[start : start + chunk_subjects]
        ]
        if not _chunk_commit(record, chunk, start):
            return None
    with agency_transaction(agency_id):
        record = GalleryImport.objects.select_for_update().get(id=import_id)
        if record.status != EnrollmentStatus.RUNNING:
            return record
        complete = record.subjects_done == record.subjects_total and subjects
        record.status = EnrollmentStatus.DONE if complete else EnrollmentStatus.FAILED
        record.error = "" if complete else "import_source_changed"
        record.finished_at = timezone.now()
        record.save(update_fields=["status", "error", "finished_at"])
        audit_record(
            agency_id=agency_id,
            actor="worker",
            action=f"gallery_import.{record.status}",
            object_type="gallery_import",
            object_id=str(record.id),
            data={
                "enrolled": record.enrolled,
                "rejected": record.rejected,
                "skipped": record.skipped,
                "held": record.held,
                "error": record.error,
            },
        )
    return record
