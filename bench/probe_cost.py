"""Cost of the worst-case probes through decode and face detection, before and after the budget.

The probes, made at run time: a 39.9-megapixel PNG of 126 KiB (one gray colour, which deflate
compresses about 1000:1), and from the project's test photos a JPEG whose frame header claims
6324x6324 over a 910x1137 photo's scan data, the 1434x2333 photo itself, a complete 6324x6324
JPEG (the worst JPEG still accepted) and a 4000x4000 PNG (about the largest PNG accepted).

Each probe goes through two paths, each run in a fresh process so its peak memory is its own:

- ``before``, the baseline: the decode and detection the service used before the pixel budget,
  reproduced here: Pillow's full decode, then HOG on every pixel with one upsampling.
- ``after``: the service's own ``image_inspect`` (what the web process checks before the policy
  is asked), ``image_decode``, ``image_pixels`` and ``faces_detect``.

Reported per path: wall and CPU seconds (CPU is the figure to compare on a loaded machine),
the memory the probe added (the peak resident size while it ran, the peak having been reset
once the face model was loaded, minus the resident size then), the process's own peak, and
the outcome (faces found, or the error code the probe was refused with).

Run: ``.venv/bin/python -m bench.probe_cost [--repeat 1] [--only NAME ...]``
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

from bench.harness import (
    PROJECT_DIR,
    environment,
    json_emit,
    load_average,
    progress,
    stdout_reserve,
)

PHOTOS = PROJECT_DIR / "var" / "photos"
# The children need settings, never a database: a URL that is never connected to keeps
# config.settings from starting the embedded PostgreSQL.
CHILD_DATABASE_URL = "postgresql://bench@127.0.0.1:1/unused"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_uniform(width: int, height: int, value: int = 0x80) -> bytes:
    """Return a gray RGB PNG compressed row by row (never held whole)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    packer = zlib.compressobj(9)
    row = b"\x00" + bytes([value]) * 3 * width
    stream = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", stream)
        + _png_chunk(b"IEND", b"")
    )


def jpeg_claiming(data: bytes, width: int, height: int) -> bytes:
    """Rewrite a JPEG's frame header to claim another size; the scan data stays as it was."""
    sos = data.rfind(b"\xff\xda")
    sof = max(data.rfind(marker, 0, sos) for marker in (b"\xff\xc0", b"\xff\xc2"))
    return data[: sof + 5] + struct.pack(">HH", height, width) + data[sof + 9 :]


def photo_on_canvas(name: str, size: int, fmt: str, *, fill: bool) -> bytes:
    """Return a square image of ``size`` px with the photo scaled to fill it, or pasted as is."""
    from PIL import Image

    source = Image.open(PHOTOS / name).convert("RGB")
    canvas = Image.new("RGB", (size, size), (128, 128, 128))
    if fill:
        scale = size / max(source.size)
        source = source.resize(
            (round(source.width * scale), round(source.height * scale)), Image.Resampling.BICUBIC
        )
    canvas.paste(source, ((size - source.width) // 2, (size - source.height) // 2))
    out = io.BytesIO()
    canvas.save(out, format=fmt, **({"quality": 90} if fmt == "JPEG" else {"compress_level": 6}))
    return out.getvalue()


def probes_make(directory: Path) -> dict[str, Path]:
    """Write the probes to ``directory``; return their paths by name."""
    made = {
        "png_39_9_megapixels": png_uniform(6320, 6320),
        "jpeg_header_claims_6324x6324": jpeg_claiming(
            (PHOTOS / "obama.jpg").read_bytes(), 6324, 6324
        ),
        "photo_1434x2333": (PHOTOS / "obama3.jpg").read_bytes(),
        "jpeg_6324x6324_complete": photo_on_canvas("obama3.jpg", 6324, "JPEG", fill=True),
        "png_4000x4000": photo_on_canvas("obama3.jpg", 4000, "PNG", fill=False),
    }
    paths = {}
    for name, data in made.items():
        path = directory / f"{name}.{'png' if name.startswith('png') else 'jpg'}"
        path.write_bytes(data)
        paths[name] = path
    return paths


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_reset() -> bool:
    """Reset this process's peak resident size (Linux ``clear_refs``), so VmHWM is the probe's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _decode_before(data: bytes) -> Any:
    """The service's decode before the pixel budget: Pillow, whole image, upright, RGB."""
    from django.conf import settings
    from PIL import Image, ImageFile, ImageOps

    from matching.images import ImageRejectedError
    from tenants import errors

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    with Image.open(io.BytesIO(data)) as image:
        if image.size[0] * image.size[1] > settings.IMAGE_MAX_PIXELS:
            raise ImageRejectedError(errors.IMAGE_DECOMPRESSION_BOMB, "Too many pixels.")
        image.load()
        return ImageOps.exif_transpose(image).convert("RGB")


def child_run(path: Path, mode: str) -> dict[str, Any]:
    """Run one probe through one path in this process; return timings and the outcome."""
    os.environ["DATABASE_URL"] = os.environ.get(
        "PROBITY_BENCH_CHILD_DATABASE_URL", CHILD_DATABASE_URL
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import face_recognition
    import numpy as np
    from django.conf import settings

    from matching.faces import faces_detect
    from matching.images import ImageRejectedError, image_decode, image_inspect, image_pixels

    data = path.read_bytes()
    declared = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    rss_loaded = _status_mb("VmRSS")
    peak_reset = _peak_reset()
    wall, cpu = time.perf_counter(), time.process_time()
    stages: dict[str, float] = {}
    result: dict[str, Any] = {}
    try:
        began = time.perf_counter()
        if mode == "before":
            # The container check was the same, less the PNG cap the budget added.
            settings.IMAGE_DECODE_MAX_PIXELS = settings.IMAGE_MAX_PIXELS
        image_inspect(data, declared_type=declared, max_bytes=len(data))
        stages["inspect"] = time.perf_counter() - began
        began = time.perf_counter()
        image = _decode_before(data) if mode == "before" else image_decode(data)
        pixels = np.asarray(image, dtype=np.uint8) if mode == "before" else image_pixels(image)
        stages["decode"] = time.perf_counter() - began
        result["decoded"] = f"{pixels.shape[1]}x{pixels.shape[0]}"
        began = time.perf_counter()
        if mode == "before":
            found = face_recognition.face_locations(
                pixels, number_of_times_to_upsample=1, model="hog"
            )
        else:
            found = faces_detect(pixels)
        stages["detect"] = time.perf_counter() - began
        result["outcome"] = f"{len(found)} face(s) found"
    except ImageRejectedError as exc:
        result["outcome"] = f"refused: {exc.code}"
    return {
        **result,
        "wall_s": round(time.perf_counter() - wall, 3),
        "cpu_s": round(time.process_time() - cpu, 3),
        "stages_s": {k: round(v, 3) for k, v in stages.items()},
        "rss_after_model_load_mb": round(rss_loaded, 1),
        "peak_rss_during_probe_mb": round(_status_mb("VmHWM"), 1) if peak_reset else None,
    }


def case_measure(path: Path, mode: str) -> dict[str, Any]:
    """Run one probe through one path in a fresh process; add that process's peak memory."""
    child = subprocess.Popen(  # noqa: S603 - our own interpreter running our own module
        [sys.executable, "-m", "bench.probe_cost", "--child", str(path), mode],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        return {"error": f"exited with status {child.returncode}"}
    measured: dict[str, Any] = json.loads(output)
    measured["process_peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)  # kilobytes on Linux
    during = measured["peak_rss_during_probe_mb"]
    if during is None:  # no clear_refs: the process's peak includes loading the model
        during = measured["process_peak_rss_mb"]
    measured["added_by_probe_mb"] = round(during - measured["rss_after_model_load_mb"], 1)
    return measured


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    if any("error" in r for r in runs):
        return runs[0]
    summary = dict(runs[-1])
    summary["wall_s"] = round(statistics.median(r["wall_s"] for r in runs), 3)
    summary["cpu_s"] = round(statistics.median(r["cpu_s"] for r in runs), 3)
    summary["process_peak_rss_mb"] = max(r["process_peak_rss_mb"] for r in runs)
    summary["added_by_probe_mb"] = max(r["added_by_probe_mb"] for r in runs)
    summary["runs"] = len(runs)
    return summary


def main(argv: list[str] | None = None) -> int:
    """Measure every probe through both paths and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--repeat", type=int, default=1, help="runs per probe and path")
    parser.add_argument("--only", action="append", default=[], help="probe names to run")
    parser.add_argument("--child", nargs=2, metavar=("PATH", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        out = stdout_reserve()
        json_emit(out, child_run(Path(args.child[0]), args.child[1]))
        return 0
    out = stdout_reserve()
    load_at_start = load_average()
    os.environ["DATABASE_URL"] = os.environ.get(
        "PROBITY_BENCH_CHILD_DATABASE_URL", CHILD_DATABASE_URL
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    cases: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="probity-probe-cost-") as tmp:
        probes = probes_make(Path(tmp))
        for name, path in probes.items():
            if args.only and name not in args.only:
                continue
            from PIL import Image

            with Image.open(path) as image:
                declared = f"{image.width}x{image.height}"
            case: dict[str, Any] = {"file_bytes": path.stat().st_size, "declared": declared}
            for mode in ("before", "after"):
                progress(f"{name}: {mode}")
                case[mode] = _summary([case_measure(path, mode) for _ in range(args.repeat)])
            before, after = case["before"], case["after"]
            if "error" not in before and "error" not in after:
                case["wall_ratio_before_to_after"] = round(
                    before["wall_s"] / max(after["wall_s"], 1e-6), 1
                )
                case["added_memory_mb_saved"] = round(
                    before["added_by_probe_mb"] - after["added_by_probe_mb"], 1
                )
            cases[name] = case
    json_emit(
        out,
        {
            "benchmark": "probe_cost",
            "settings": {
                name: getattr(settings, name)
                for name in (
                    "IMAGE_MAX_PIXELS",
                    "IMAGE_DECODE_MAX_PIXELS",
                    "FACE_DETECT_MAX_PIXELS",
                    "FACE_UPSAMPLE",
                    "FACE_DETECTOR",
                )
            },
            "baseline": "before: Pillow full decode + HOG (1 upsampling) on every pixel, as the "
            "service did before the pixel budget; each path in a fresh process",
            "cases": cases,
            "environment": environment(load_at_start),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
