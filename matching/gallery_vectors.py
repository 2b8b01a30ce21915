"""Exact nearest-face search over a gallery's vectors held in the worker's memory.

PostgreSQL stays the system of record: a gallery's vectors are read from ``matching_face`` in
the agency's row-level-security context, and before every search the copy is brought up to
date from ``matching_face_change`` (written by a trigger in the writer's transaction) in the
same context. The scan is exact (float32, every face of the gallery), so recall does not decay
with gallery size the way a fixed HNSW ``ef_search`` does; the faces it picks are read back
from PostgreSQL, under row-level security, for the distances the service records.

Why this and not an index: at one million faces a float32 scan costs ~30-40 ms on two cores,
while HNSW needs an ``ef_search`` (and build parameters) that cost more than that before its
recall@10 reaches 0.99 (see the README's benchmark section).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection
from numpy.typing import NDArray
from psycopg import sql

from matching.models import EMBEDDING_DIMENSIONS

# A sync that finds more changed faces than this reloads the gallery in one COPY instead.
RELOAD_AFTER_CHANGES = 20_000
# The change log is purged after this age (``face_changes_purge``); a copy synced longer ago
# than this may have missed purged entries, so it reloads instead of following the log.
CHANGE_LOG_RETENTION_SECONDS = 24 * 3600
FOLLOW_LOG_FOR_SECONDS = CHANGE_LOG_RETENTION_SECONDS // 2

# pgvector's binary COPY row: field count, then (length, value) for id, subject_id, embedding.
_COPY_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("id_len", ">i4"),
        ("id", ">i8"),
        ("subject_len", ">i4"),
        ("subject", ">i8"),
        ("vec_len", ">i4"),
        ("dim", ">u2"),
        ("unused", ">u2"),
        ("vec", ">f4", (EMBEDDING_DIMENSIONS,)),
    ]
)
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00"

_SNAPSHOT_SQL = "SELECT pg_current_snapshot()::text"
# A change the held copy has not applied was written by a transaction its last snapshot did
# not see: one still running then (its ``xip`` list) or one that began later (``xid >= xmax``).
# Both are index ranges, so a long-running transaction elsewhere in the cluster does not make
# every sync re-read everything since it began. One statement: the snapshot returned is the
# one the changes are read in; in the common case (nothing changed) a sync is one round trip.
_CHANGED_SQL = """
SELECT pg_current_snapshot()::text, ARRAY(
    SELECT DISTINCT face_id FROM matching_face_change
    WHERE agency_id = %(agency)s AND gallery_id = %(gallery)s
      AND (xid >= %(xmax)s::xid8 OR xid = ANY(%(xip)s::xid8[]))
    LIMIT %(limit)s
)
"""
_CHANGED_ROWS_SQL = """
SELECT f.id, f.subject_id, f.embedding::text
FROM unnest(%(ids)s::bigint[]) AS changed (id)
CROSS JOIN LATERAL (
    SELECT id, subject_id, gallery_id, embedding FROM matching_face
    WHERE agency_id = %(agency)s AND id = changed.id LIMIT 1
) AS f
WHERE f.gallery_id = %(gallery)s
"""
_COUNT_SQL = "SELECT count(*) FROM matching_face WHERE agency_id = %s AND gallery_id = %s"


class GalleryTooLargeError(Exception):
    """The gallery does not fit in the memory budget for held galleries."""


@dataclass
class GalleryVectors:
    """One gallery's faces: ids sorted ascending, tombstoned rows have an infinite norm."""

    ids: NDArray[np.int64]
    subjects: NDArray[np.int64]
    vectors: NDArray[np.float32]
    norms: NDArray[np.float32]
    seen: Snapshot
    synced_at: float
    tombstones: int = 0

    @property
    def live(self) -> int:
        return len(self.ids) - self.tombstones

    def nearest(self, probe: NDArray[np.float32], *, limit: int, max_distance: float) -> list[int]:
        """Return the ids of up to ``limit`` faces within ``max_distance``, nearest first."""
        if not len(self.ids) or limit <= 0:
            return []
        squared = self.norms - 2.0 * (self.vectors @ probe) + float(probe @ probe)
        # A little slack: float32 rounding must not drop a face the database would keep.
        within = np.flatnonzero(squared <= max_distance * max_distance + 1e-4)
        if len(within) > limit:
            within = within[np.argpartition(squared[within], limit - 1)[:limit]]
        order = within[np.argsort(squared[within], kind="stable")]
        return [int(i) for i in self.ids[order]]

    def apply(self, changed: NDArray[np.int64], rows: list[tuple[int, int, str]]) -> None:
        """Drop every changed face, then add back those that still exist."""
        left = np.searchsorted(self.ids, changed, side="left")
        right = np.searchsorted(self.ids, changed, side="right")
        for start, stop in zip(left, right, strict=True):
            for position in range(int(start), int(stop)):
                if np.isfinite(self.norms[position]):
                    self.norms[position] = np.inf
                    self.tombstones += 1
        if rows:
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            subjects = np.array([r[1] for r in rows], dtype=np.int64)
            vectors = np.array([np.fromstring(r[2][1:-1], sep=",") for r in rows], dtype=np.float32)
            self.ids = np.concatenate([self.ids, ids])
            self.subjects = np.concatenate([self.subjects, subjects])
            self.vectors = np.concatenate([self.vectors, vectors])
            self.norms = np.concatenate([self.norms, np.einsum("ij,ij->i", vectors, vectors)])
        if self.tombstones * 4 > len(self.ids) or not _ascending(self.ids):
            self._compact()

    def _compact(self) -> None:
        keep = np.flatnonzero(np.isfinite(self.norms))
        keep = keep[np.argsort(self.ids[keep], kind="stable")]
        self.ids, self.subjects = self.ids[keep], self.subjects[keep]
        self.vectors, self.norms = self.vectors[keep], self.norms[keep]
        self.tombstones = 0


def _ascending(ids: NDArray[np.int64]) -> bool:
    return bool(len(ids) < 2 or np.all(ids[1:] > ids[:-1]))


@dataclass(frozen=True)
class Snapshot:
    """What a snapshot had not seen: transactions in progress, and every xid from ``xmax``."""

    xmax: int
    in_progress: tuple[int, ...]

    @classmethod
    def parse(cls, text: str) -> Snapshot:
        """Parse ``pg_snapshot``'s text form, ``xmin:xmax:xip,...``."""
        _, xmax, xip = text.split(":")
        return cls(int(xmax), tuple(int(x) for x in xip.split(",") if x))


def _snapshot() -> Snapshot:
    with connection.cursor() as cursor:
        cursor.execute(_SNAPSHOT_SQL)
        row = cursor.fetchone()
    if row is None:
        raise RuntimeError("no snapshot")
    return Snapshot.parse(str(row[0]))


def gallery_vectors_load(*, agency_id: str, gallery_id: int, max_faces: int) -> GalleryVectors:
    """Read a gallery's faces in one binary COPY; call inside the agency's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_SQL, [agency_id, gallery_id])
        count_row = cursor.fetchone()
        if count_row is not None and int(count_row[0]) > max_faces:
            raise GalleryTooLargeError(f"{count_row[0]} faces, budget {max_faces}")
    seen = _snapshot()
    query = sql.SQL(
        "COPY (SELECT id, subject_id, embedding FROM matching_face "
        "WHERE agency_id = {} AND gallery_id = {}) TO STDOUT (FORMAT binary)"
    ).format(sql.Literal(agency_id), sql.Literal(gallery_id))
    buffer = bytearray()
    with connection.cursor() as cursor, cursor.cursor.copy(query) as copy:
        for block in copy:
            buffer += block
    rows = _copy_rows(bytes(buffer))
    order = np.argsort(rows["id"], kind="stable")
    vectors = np.ascontiguousarray(rows["vec"][order], dtype=np.float32)
    return GalleryVectors(
        ids=rows["id"][order].astype(np.int64),
        subjects=rows["subject"][order].astype(np.int64),
        vectors=vectors,
        norms=np.einsum("ij,ij->i", vectors, vectors),
        seen=seen,
        synced_at=time.monotonic(),
    )


def _copy_rows(data: bytes) -> NDArray[np.void]:
    if not data.startswith(_COPY_HEADER):
        raise ValueError("not a binary COPY stream")
    extension = int.from_bytes(data[15:19], "big")
    body = data[19 + extension : len(data) - 2]
    if data[len(data) - 2 :] != b"\xff\xff" or len(body) % _COPY_ROW.itemsize:
        raise ValueError("unexpected binary COPY layout")
    rows = np.frombuffer(body, dtype=_COPY_ROW)
    shaped = np.all(rows["fields"] == 3) and np.all(rows["dim"] == EMBEDDING_DIMENSIONS)
    if len(rows) and not shaped:
        raise ValueError("unexpected binary COPY row")
    return rows


def gallery_vectors_sync(*, held: GalleryVectors, agency_id: str, gallery_id: int) -> bool:
    """Apply the change log since the held copy's snapshot; False if a reload is cheaper.

    A face listed as changed is dropped and, if it still exists when its row is read (a
    later snapshot, so at least as new), added back: the order in which inserts, updates
    and deletions committed does not matter.
    """
    if time.monotonic() - held.synced_at > FOLLOW_LOG_FOR_SECONDS:
        return False
    params: dict[str, str | int | list[str]] = {
        "agency": agency_id,
        "gallery": gallery_id,
        "xmax": str(held.seen.xmax),
        "xip": [str(x) for x in held.seen.in_progress],
        "limit": RELOAD_AFTER_CHANGES + 1,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CHANGED_SQL, params)
        row = cursor.fetchone()
        if row is None:
            raise RuntimeError("no snapshot")
        seen, changed_ids = Snapshot.parse(str(row[0])), list(row[1])
        if len(changed_ids) > RELOAD_AFTER_CHANGES:
            return False
        rows: list[tuple[int, int, str]] = []
        if changed_ids:
            cursor.execute(_CHANGED_ROWS_SQL, {**params, "ids": changed_ids})
            rows = [(int(r[0]), int(r[1]), str(r[2])) for r in cursor.fetchall()]
    if changed_ids:
        held.apply(np.unique(np.array(changed_ids, dtype=np.int64)), rows)
    held.seen, held.synced_at = seen, time.monotonic()
    return True


def face_changes_purge(*, agency_id: str) -> int:
    """Delete the agency's change-log entries older than the retention; return how many.

    A held copy synced more recently than half the retention has nothing left to read there,
    and an older one reloads instead of following the log (``gallery_vectors_sync``).
    """
    from tenants.context import agency_transaction

    with agency_transaction(agency_id), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM matching_face_change WHERE agency_id = %s "
            "AND created_at < now() - make_interval(secs => %s)",
            [agency_id, CHANGE_LOG_RETENTION_SECONDS],
        )
        return int(cursor.rowcount)


class HeldGalleries:
    """The galleries this process holds, least recently searched evicted first."""

    def __init__(self, max_faces: int) -> None:
        self.max_faces = max_faces
        self._held: OrderedDict[tuple[str, int], GalleryVectors] = OrderedDict()
        self._lock = threading.Lock()

    def nearest(
        self,
        *,
        agency_id: str,
        gallery_id: int,
        probe: NDArray[np.float32],
        limit: int,
        max_distance: float,
    ) -> list[int]:
        """Bring the gallery up to date and scan it; call inside the agency's transaction."""
        key = (agency_id, gallery_id)
        with self._lock:
            held = self._held.pop(key, None)
            if held is None or not gallery_vectors_sync(
                held=held, agency_id=agency_id, gallery_id=gallery_id
            ):
                held = gallery_vectors_load(
                    agency_id=agency_id, gallery_id=gallery_id, max_faces=self.max_faces
                )
                while self._held and self.faces_held() + held.live > self.max_faces:
                    self._held.popitem(last=False)
            self._held[key] = held
            return held.nearest(probe, limit=limit, max_distance=max_distance)

    def faces_held(self) -> int:
        """Return how many live faces this process holds."""
        return sum(g.live for g in self._held.values())

    def clear(self) -> None:
        """Forget every held gallery (the next search reloads from PostgreSQL)."""
        with self._lock:
            self._held.clear()


HELD_GALLERIES = HeldGalleries(settings.VECTOR_HELD_MAX_FACES)
