"""The enrollment benchmark's split of a chunk among workers, and the order of its turns."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.enrollment_throughput import subject_parts, turn_order
from bench.harness import EvalPhoto


def _photos(counts: dict[str, int]) -> list[EvalPhoto]:
    return [
        EvalPhoto(identity, f"{identity}/{identity}_{i:04d}.jpg", Path("/nowhere"))
        for identity, n in counts.items()
        for i in range(n)
    ]


def test_every_photo_lands_in_one_part_and_no_subject_is_split() -> None:
    photos = _photos({"a": 5, "b": 1, "c": 3, "d": 2, "e": 2, "f": 1, "g": 4})
    parts = subject_parts(photos, 3)
    assert len(parts) == 3
    assert sorted(p.file for part in parts for p in part) == sorted(p.file for p in photos)
    owners = {p.identity: i for i, part in enumerate(parts) for p in part}
    for i, part in enumerate(parts):
        assert all(owners[p.identity] == i for p in part)
        assert part == [p for p in photos if owners[p.identity] == i]  # order kept


def test_parts_are_balanced_by_photo_count() -> None:
    photos = _photos({"a": 6, "b": 3, "c": 3, "d": 2, "e": 2, "f": 1, "g": 1})
    sizes = sorted(len(part) for part in subject_parts(photos, 2))
    assert sizes == [9, 9]


def test_one_part_is_the_chunk_itself_and_missing_subjects_leave_no_empty_part() -> None:
    photos = _photos({"a": 2, "b": 1})
    assert subject_parts(photos, 1) == [photos]
    parts = subject_parts(photos, 4)
    assert len(parts) == 2
    assert Counter(len(p) for p in parts) == Counter({2: 1, 1: 1})
    with pytest.raises(ValueError, match="at least 1"):
        subject_parts(photos, 0)


def test_one_worker_order_alternates_sides_as_before() -> None:
    assert turn_order(1, False) == [("one", "library"), ("one", "service")]
    assert turn_order(2, False) == [("one", "service"), ("one", "library")]


def test_four_chunks_with_workers_cover_every_order_once() -> None:
    orders = [turn_order(chunk, True) for chunk in range(1, 5)]
    assert len({tuple(o) for o in orders}) == 4
    for order in orders:
        assert sorted(order) == sorted(
            [("one", "library"), ("one", "service"), ("many", "library"), ("many", "service")]
        )
    firsts = Counter(order[0] for order in orders)
    assert firsts == Counter(
        {
            ("one", "library"): 1,
            ("one", "service"): 1,
            ("many", "library"): 1,
            ("many", "service"): 1,
        }
    )
