"""Erasing 1 % of a large gallery: what it costs, whether searches stall, when the table is clean.

One agency's gallery of ``--faces`` (the project's gallery model) is loaded by binary COPY.
Then, with the partition's HNSW index and again without it: 1 % of the faces (random) are
deleted in one transaction through the app role (row-level security applies, the change log
trigger fires), searches run through ``faces_nearest`` while ``VACUUM`` cleans the partition,
and the erased faces are checked never to come back. Baseline in the same run: the same
searches before the deletion.

Run: ``nice -n 10 .venv/bin/python -m bench.erasure [--faces 300000]``
"""

from __future__ import annotations

import argparse
import threading
import time
from typing import Any

import numpy as np

from bench.encodings import encodings_load
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
from bench.search_latency import probe_split
from bench.vector_search import (
    faces_copy,
    gallery_ids,
    held_search,
    hnsw_build,
    hnsw_drop,
    model_fit,
    subjects_create,
    synthetic_gallery,
)

ERASED_FRACTION = 0.01


def vacuum_with_searches(
    agency_id: str, gallery_id: int, probes: Any, erased: set[int]
) -> dict[str, Any]:
    """VACUUM the partition in a thread while searching; return timings and leaks."""
    from django.db import connections

    from matching.partitions import partition_name

    done = threading.Event()
    vacuum_s: list[float] = []

    def vacuum() -> None:
        began = time.perf_counter()
        with connections["owner"].cursor() as cursor:
            cursor.execute(f'VACUUM "{partition_name(agency_id)}"')
        vacuum_s.append(time.perf_counter() - began)
        connections["owner"].close()
        done.set()

    thread = threading.Thread(target=vacuum)
    thread.start()
    seconds, leaked, i = [], 0, 0
    while not done.is_set() or i < len(probes):
        probe = probes[i % len(probes)]
        began = time.perf_counter()
        found = held_search(agency_id, gallery_id, probe)
        seconds.append(time.perf_counter() - began)
        leaked += len(erased & set(found))
        i += 1
    thread.join()
    return {
        "vacuum_s": round(vacuum_s[0], 2),
        "searches_during_vacuum_ms": latency_summary(seconds),
        "erased_faces_returned": leaked,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--faces", type=int, default=300_000)
    parser.add_argument("--probes", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out = stdout_reserve()
    load_at_start = load_average()
    info = django_start()
    split = probe_split(encodings_load(eval_photos(eval_faces_dir())))
    model = model_fit(split.enrolled)
    rng = np.random.default_rng(args.seed)
    document: dict[str, Any] = {
        "benchmark": "erasure",
        "faces": args.faces,
        "erased_fraction": ERASED_FRACTION,
        "runs": {},
    }
    with bench_database():
        from django.db import connection

        from tenants.context import agency_transaction

        for with_hnsw in (True, False):
            label = "with_hnsw_index" if with_hnsw else "without_hnsw_index"
            progress(label)
            tenant = bench_tenant()
            agency_id, gallery_id = tenant.agency.id, tenant.gallery.pk
            faces, subjects, _ = synthetic_gallery(model, "project", args.faces, rng)
            sids, pids = subjects_create(
                agency_id, gallery_id, [f"e-{s}" for s in range(int(subjects.max()) + 1)]
            )
            hnsw_drop(agency_id)
            faces_copy(agency_id, gallery_id, faces, sids[subjects], pids[subjects], "bench-e")
            build = hnsw_build(agency_id) if with_hnsw else None
            ids, _ = gallery_ids(agency_id, gallery_id)
            picked = rng.choice(len(ids), size=args.probes, replace=False)
            probes = faces[picked]
            before = []
            for probe in probes:
                began = time.perf_counter()
                held_search(agency_id, gallery_id, probe)
                before.append(time.perf_counter() - began)
            # The probes' own faces are among the erased, so a stale copy would show at once.
            extra = rng.choice(len(ids), size=int(len(ids) * ERASED_FRACTION), replace=False)
            doomed = sorted({int(ids[i]) for i in np.concatenate([picked, extra])})
            began = time.perf_counter()
            with agency_transaction(agency_id), connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM matching_face WHERE agency_id = %s AND id = ANY(%s)",
                    [agency_id, doomed],
                )
            delete_s = time.perf_counter() - began
            first_after = time.perf_counter()
            found = held_search(agency_id, gallery_id, probes[0])
            first_after_s = time.perf_counter() - first_after
            during = vacuum_with_searches(agency_id, gallery_id, probes, set(doomed))
            document["runs"][label] = {
                "hnsw_build_s": round(build, 2) if build is not None else None,
                "erased": len(doomed),
                "delete_s": round(delete_s, 2),
                "first_search_after_delete_ms": round(first_after_s * 1000, 1),
                "first_search_returned_erased": bool(set(found) & set(doomed)),
                "searches_before_ms": latency_summary(before),
                **during,
            }
    document["setup"] = info
    document["environment"] = environment(load_at_start)
    json_emit(out, document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
