"""The two-pass scan of large galleries gives exactly the full scan's answer, and prunes."""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray

from matching.gallery_vectors import GalleryVectors, ProjectionBound, Snapshot


def _faces(rng: np.random.Generator, people: int, each: int) -> NDArray[np.float32]:
    """Face-like vectors: a centre per person, photos scattered around it (dlib-like scale)."""
    centres = rng.normal(0.0, 0.09, size=(people, 128))
    photos = centres[:, None, :] + rng.normal(0.0, 0.025, size=(people, each, 128))
    return photos.reshape(-1, 128).astype(np.float32)


def _held(vectors: NDArray[np.float32], bound: bool) -> GalleryVectors:
    ids = np.arange(1, len(vectors) + 1, dtype=np.int64)
    held = GalleryVectors(
        ids=ids, subjects=ids.copy(), vectors=vectors.copy(),
        norms=np.einsum("ij,ij->i", vectors, vectors), seen=Snapshot(0, ()),
        synced_at=time.monotonic(),
    )
    held.bound = ProjectionBound.fit(held.vectors, held.norms) if bound else None
    return held


def _plain(
    held: GalleryVectors, probe: NDArray[np.float32], limit: int, ceiling: float
) -> list[int]:
    squared = held.norms - 2.0 * (held.vectors @ probe) + float(probe @ probe)
    within = np.flatnonzero(squared <= ceiling * ceiling + 1e-4)
    within = within[np.argsort(squared[within], kind="stable")][:limit]
    return [int(i) for i in held.ids[within]]


def test_the_bounded_scan_returns_exactly_what_the_full_scan_returns() -> None:
    rng = np.random.default_rng(7)
    vectors = _faces(rng, 6_000, 5)
    pruned, full = _held(vectors, bound=True), _held(vectors, bound=False)
    assert pruned.bound is not None and full.bound is None
    for trial in range(40):
        probe = (vectors[rng.integers(len(vectors))] + rng.normal(0, 0.02, 128)).astype(np.float32)
        for max_distance in (0.35, 0.6, 1.2, 3.0):
            expected = _plain(full, probe, 40, max_distance)
            assert pruned.nearest(probe, limit=40, max_distance=max_distance) == expected, (
                trial, max_distance)


def test_the_bound_never_exceeds_the_true_distance_and_prunes_most_faces() -> None:
    rng = np.random.default_rng(11)
    vectors = _faces(rng, 5_000, 5)
    held = _held(vectors, bound=True)
    assert held.bound is not None
    probe = vectors[123] + np.float32(0.01)
    true = held.norms - 2.0 * (held.vectors @ probe) + float(probe @ probe)
    lower = held.bound.lower(probe)
    assert np.all(lower <= true + 1e-3)
    assert np.count_nonzero(lower <= 0.6 * 0.6) < len(vectors) // 10


def test_changes_keep_the_two_passes_exact() -> None:
    rng = np.random.default_rng(3)
    vectors = _faces(rng, 4_500, 5)
    pruned, full = _held(vectors, bound=True), _held(vectors, bound=False)
    gone = np.array(sorted(rng.choice(len(vectors), 7_000, replace=False) + 1), dtype=np.int64)
    added = _faces(rng, 400, 5)
    rows = [(len(vectors) + 1 + i, 999, "[" + ",".join(f"{x:.7f}" for x in v) + "]")
            for i, v in enumerate(added)]
    for held in (pruned, full):
        held.apply(gone, rows)  # a quarter gone: compaction runs too
    assert pruned.tombstones == 0 and pruned.bound is not None
    assert len(pruned.bound.projected) == len(pruned.ids)
    for _ in range(20):
        probe = added[rng.integers(len(added))] + np.float32(0.005)
        assert pruned.nearest(probe, limit=20, max_distance=0.6) == full.nearest(
            probe, limit=20, max_distance=0.6)
        assert not set(pruned.nearest(probe, limit=50, max_distance=3.0)) & set(gone.tolist())
