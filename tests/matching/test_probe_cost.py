"""The cost of one probe is bounded, and an image whose scan data is incomplete is refused.

Decoding keeps to a pixel budget (JPEG by scaled decoding, PNG by a hard cap checked before the
policy is asked), detection runs on a copy within its own budget, and a file that would decode
to fill (a truncated JPEG with an end marker appended, a PNG whose data stops early) is refused.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import numpy as np
import pytest
from PIL import Image

from matching.enrollment import UploadItem, enrollment_batch_create, enrollment_batch_process
from matching.images import ImageRejectedError, image_decode, image_inspect, image_pixels
from matching.models import EnrollmentBatch
from tenants import errors
from tenants.context import agency_transaction
from tests.conftest import Tenant, photo
from tests.matching.test_bad_input import post_search, rejected, upload


def jpeg_cut_with_end_marker(data: bytes, keep: float = 1 / 3) -> bytes:
    """Cut a JPEG inside its scan data and append an end-of-image marker."""
    sos = data.rfind(b"\xff\xda")
    return data[: sos + int((len(data) - sos) * keep)] + b"\xff\xd9"


def jpeg_claiming(data: bytes, width: int, height: int) -> bytes:
    """Rewrite the frame header of a real JPEG to claim another size; the scan data stays."""
    sos = data.rfind(b"\xff\xda")
    sof = max(data.rfind(marker, 0, sos) for marker in (b"\xff\xc0", b"\xff\xc2"))
    return data[: sof + 5] + struct.pack(">HH", height, width) + data[sof + 9 :]


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_rgb(
    width: int, height: int, *, rows: int | None = None, interlaced: bool = False, value: int = 0x80
) -> bytes:
    """Return a well-formed gray RGB PNG whose data holds ``rows`` rows (default: all)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 1 if interlaced else 0)
    packer = zlib.compressobj(9)
    row = b"\x00" + bytes([value]) * 3 * width
    stream = b"".join(packer.compress(row) for _ in range(height if rows is None else rows))
    stream += packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", stream)
        + png_chunk(b"IEND", b"")
    )


def png_interlaced(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", interlace=1)
    return out.getvalue()


def decode_refused(data: bytes) -> str:
    with pytest.raises(ImageRejectedError) as caught:
        image_decode(data)
    return caught.value.code


def test_the_cut_jpeg_passes_the_container_check() -> None:
    """What makes this probe dangerous: its structure is fine, only its scan data is short."""
    cut = jpeg_cut_with_end_marker(photo("obama3.jpg"))
    info = image_inspect(cut, declared_type="image/jpeg")
    assert (info.width, info.height) == (1434, 2333)


def test_a_truncated_jpeg_with_an_end_marker_is_refused_not_decoded_as_gray() -> None:
    assert decode_refused(jpeg_cut_with_end_marker(photo("obama3.jpg"))) == errors.IMAGE_TRUNCATED


@pytest.mark.parametrize("keep", [0.05, 0.5, 0.98])
def test_a_cut_anywhere_in_the_scan_data_is_refused(keep: float) -> None:
    cut = jpeg_cut_with_end_marker(photo("obama.jpg"), keep)
    assert decode_refused(cut) in {errors.IMAGE_TRUNCATED, errors.IMAGE_CORRUPT}


def test_a_jpeg_whose_frame_header_claims_6324_square_is_refused() -> None:
    crafted = jpeg_claiming(photo("obama.jpg"), 6324, 6324)
    assert image_inspect(crafted, declared_type="image/jpeg").width == 6324
    assert decode_refused(crafted) in {errors.IMAGE_TRUNCATED, errors.IMAGE_CORRUPT}


def progressive(name: str) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(photo(name))).convert("RGB").save(
        out, format="JPEG", quality=90, progressive=True
    )
    return out.getvalue()


@pytest.mark.parametrize("scans_kept", [1, 3, 9])
def test_a_progressive_jpeg_cut_between_scans_is_refused_at_submission(
    db: None, tenant_a: Tenant, scans_kept: int
) -> None:
    """Cut at a scan boundary it decodes, coarse or colourless, and no decoder warns."""
    whole = progressive("obama.jpg")
    starts = [i for i in range(len(whole) - 1) if whole[i : i + 2] == b"\xff\xda"]
    assert len(starts) == 10
    cut = whole[: starts[scans_kept]] + b"\xff\xd9"
    rejected(tenant_a, 400, errors.IMAGE_TRUNCATED, upload(cut, "probe.jpg"))


def test_a_complete_progressive_jpeg_is_accepted(db: None, tenant_a: Tenant) -> None:
    response = post_search(tenant_a.client(), upload(progressive("obama.jpg"), "probe.jpg"))
    assert response.status_code == 201, response.content


def test_a_png_whose_data_stops_early_is_refused() -> None:
    short = png_rgb(120, 80, rows=10)
    assert image_inspect(short, declared_type="image/png").height == 80
    assert decode_refused(short) == errors.IMAGE_TRUNCATED


def png_idat(data: bytes) -> tuple[int, bytes]:
    """Return where the first IDAT chunk starts and the data of all IDAT chunks joined."""
    first, joined, at = -1, b"", 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        if data[at + 4 : at + 8] == b"IDAT":
            first = at if first < 0 else first
            joined += data[at + 8 : at + 8 + length]
        at += length + 12
    return first, joined


def test_an_interlaced_png_whose_data_stops_early_is_refused() -> None:
    whole = png_interlaced(Image.open(io.BytesIO(photo("astronaut.png"))).convert("RGB"))
    start, idat = png_idat(whole)
    cut = zlib.decompress(idat)[:100_000]
    short = whole[:start] + png_chunk(b"IDAT", zlib.compress(cut)) + png_chunk(b"IEND", b"")
    assert image_inspect(short, declared_type="image/png").width == 512
    assert decode_refused(short) == errors.IMAGE_TRUNCATED


@pytest.mark.parametrize("name", ["obama.jpg", "obama3.jpg", "biden.jpg", "astronaut.png"])
def test_complete_photos_still_decode_unchanged(name: str) -> None:
    data = photo(name)
    reference = Image.open(io.BytesIO(data))
    reference.load()
    decoded = image_decode(data)
    assert decoded.mode == "RGB"
    assert decoded.size == reference.size
    assert np.array_equal(image_pixels(decoded), np.asarray(reference.convert("RGB")))


@pytest.mark.parametrize(
    ("mode", "options"),
    [
        ("L", {}),
        ("CMYK", {}),
        ("RGB", {"progressive": True}),
        ("RGB", {"subsampling": 2, "optimize": True}),
    ],
    ids=["grayscale", "cmyk", "progressive", "subsampled-optimized"],
)
def test_complete_jpegs_of_every_kind_pass_the_strict_check(
    mode: str, options: dict[str, Any], settings: Any
) -> None:
    source = Image.open(io.BytesIO(photo("obama.jpg"))).convert(mode)
    out = io.BytesIO()
    source.save(out, format="JPEG", quality=90, **options)
    decoded = image_decode(out.getvalue())
    assert decoded.size == source.size
    settings.IMAGE_DECODE_MAX_PIXELS = 300_000
    assert image_decode(out.getvalue()).size == (455, 569)
    assert decode_refused(jpeg_cut_with_end_marker(out.getvalue())) in {
        errors.IMAGE_TRUNCATED,
        errors.IMAGE_CORRUPT,
    }


def test_an_interlaced_png_decodes() -> None:
    original = Image.open(io.BytesIO(photo("astronaut.png"))).convert("RGB")
    decoded = image_decode(png_interlaced(original))
    assert np.array_equal(image_pixels(decoded), np.asarray(original))


def test_a_jpeg_above_the_budget_is_decoded_scaled_down_to_it(settings: Any) -> None:
    settings.IMAGE_DECODE_MAX_PIXELS = 1_000_000
    decoded = image_decode(photo("obama3.jpg"))
    assert decoded.width * decoded.height <= 1_000_000
    assert (decoded.width, decoded.height) == (717, 1167)
    assert decoded.info["decode_scale"] == 2


def test_the_scaled_decode_keeps_the_exif_orientation(settings: Any) -> None:
    source = Image.open(io.BytesIO(photo("obama3.jpg")))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display turns it 90° clockwise
    out = io.BytesIO()
    source.save(out, format="JPEG", quality=90, exif=exif)
    settings.IMAGE_DECODE_MAX_PIXELS = 1_000_000
    decoded = image_decode(out.getvalue())
    assert (decoded.width, decoded.height) == (1167, 717)


def test_a_png_above_the_decode_budget_is_refused_at_submission(
    db: None, tenant_a: Tenant, settings: Any
) -> None:
    """The 39.9-megapixel PNG of ~116 KB: under the declared-size limit, over the PNG cap."""
    bomb = png_rgb(6320, 6320)
    assert len(bomb) < 130_000
    assert settings.IMAGE_MAX_PIXELS > 6320 * 6320
    rejected(tenant_a, 400, errors.IMAGE_DECOMPRESSION_BOMB, upload(bomb, "probe.png"))


def test_a_png_within_the_budget_is_accepted(db: None, tenant_a: Tenant) -> None:
    response = post_search(tenant_a.client(), upload(photo("astronaut.png"), "probe.png"))
    assert response.status_code == 201, response.content


def test_enrollment_refuses_a_cut_jpeg_with_its_code(db: None, tenant_a: Tenant) -> None:
    cut = jpeg_cut_with_end_marker(photo("obama3.jpg"))
    batch = enrollment_batch_create(
        gallery=tenant_a.gallery,
        enqueue=False,
        items=[UploadItem(subject_ref="cut-probe", filename="cut.jpg", content=cut)],
    )
    enrollment_batch_process(agency_id=tenant_a.agency.id, batch_id=batch.id)
    with agency_transaction(tenant_a.agency.id):
        done = EnrollmentBatch.objects.get(id=batch.id)
    assert [(r["status"], r["reason"]) for r in done.results] == [
        ("rejected", errors.IMAGE_TRUNCATED)
    ]


class DetectorSpy:
    """Record the size of each image the real HOG detector is given."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import face_recognition

        self.shapes: list[tuple[int, ...]] = []
        real = face_recognition.face_locations

        def spy(pixels: Any, *args: Any, **kwargs: Any) -> Any:
            self.shapes.append(pixels.shape)
            return real(pixels, *args, **kwargs)

        monkeypatch.setattr(face_recognition, "face_locations", spy)


def iou(a: Any, b: Any) -> float:
    left, top = max(a.left, b.left), max(a.top, b.top)
    right, bottom = min(a.right, b.right), min(a.bottom, b.bottom)
    inter = max(0, right - left) * max(0, bottom - top)
    area = (a.right - a.left) * (a.bottom - a.top) + (b.right - b.left) * (b.bottom - b.top)
    return float(inter / (area - inter))


def test_detection_runs_on_a_copy_within_its_budget_and_boxes_map_back(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matching.faces import faces_detect

    pixels = image_pixels(image_decode(photo("obama3.jpg")))
    spy = DetectorSpy(monkeypatch)
    settings.FACE_UPSAMPLE = 0
    settings.FACE_DETECT_FIRST_PIXELS = settings.FACE_DETECT_MAX_PIXELS = 10_000_000
    (full,) = faces_detect(pixels)
    settings.FACE_UPSAMPLE = 1
    settings.FACE_DETECT_FIRST_PIXELS = settings.FACE_DETECT_MAX_PIXELS = 250_000
    (small,) = faces_detect(pixels)
    assert spy.shapes[0][:2] == (2333, 1434)
    height, width = spy.shapes[1][:2]
    assert height * width <= 250_000
    assert iou(full, small) > 0.7
    assert 0 <= small.left < small.right <= 1434
    assert 0 <= small.top < small.bottom <= 2333


def test_an_image_within_the_detection_budget_is_detected_as_it_is(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matching.faces import faces_detect

    spy = DetectorSpy(monkeypatch)
    settings.FACE_DETECT_FIRST_PIXELS = settings.FACE_DETECT_MAX_PIXELS = 300_000
    small = image_pixels(image_decode(photo("astronaut.png")))
    assert small.shape[0] * small.shape[1] <= 300_000
    faces_detect(small)
    assert spy.shapes == [small.shape]


def frame_with(face_photo: str, *, face_scale: float) -> Any:
    """A 1920x1080 frame of flat gray with ``face_photo`` scaled by ``face_scale`` in it."""
    face = Image.open(io.BytesIO(photo(face_photo))).convert("RGB")
    face = face.resize((round(face.width * face_scale), round(face.height * face_scale)))
    canvas = Image.new("RGB", (1920, 1080), (128, 128, 128))
    canvas.paste(face, (700, 300))
    return np.asarray(canvas, dtype=np.uint8)


def test_a_large_frame_is_detected_small_first_when_its_face_is_found_there(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matching.faces import faces_detect

    settings.FACE_DETECT_FIRST_PIXELS = 500_000
    settings.FACE_DETECT_MAX_PIXELS = 2_100_000
    # The face is about 270 px wide, about 130 px in the first pass's copy: large enough there
    # that its box is kept as found.
    pixels = frame_with("obama.jpg", face_scale=1.0)
    spy = DetectorSpy(monkeypatch)
    (box,) = faces_detect(pixels)
    assert len(spy.shapes) == 1
    height, width = spy.shapes[0][:2]
    assert height * width <= 500_000
    assert 700 <= box.left < box.right <= 700 + 910
    assert 300 <= box.top < box.bottom <= 1080


def test_a_face_found_small_in_the_first_pass_is_detected_again_at_full_scale_around_itself(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matching.faces import faces_detect

    pixels = frame_with("obama.jpg", face_scale=0.4)  # a face of about 107 px
    settings.FACE_DETECT_FIRST_PIXELS = settings.FACE_DETECT_MAX_PIXELS = 2_100_000
    (full,) = faces_detect(pixels)
    settings.FACE_DETECT_FIRST_PIXELS = 500_000
    spy = DetectorSpy(monkeypatch)
    (box,) = faces_detect(pixels)
    first, crop = (s[:2] for s in spy.shapes)
    assert first[0] * first[1] <= 500_000
    # Detected again at full scale in a crop of three times the face around it, not the frame.
    assert crop[0] * crop[1] <= 9 * (full.right - full.left) * (full.bottom - full.top) * 1.2
    # The same face as the full pass finds (HOG's boxes move by a cell between scans).
    assert iou(box, full) > 0.6


def test_a_detection_the_full_scale_does_not_confirm_comes_after_the_confirmed_ones(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import face_recognition

    from matching.faces import faces_detect

    settings.FACE_DETECT_FIRST_PIXELS = 500_000
    settings.FACE_DETECT_MAX_PIXELS = 2_100_000
    pixels = frame_with("obama.jpg", face_scale=0.4)
    real = face_recognition.face_locations
    calls: list[tuple[int, ...]] = []

    def with_a_ghost(image: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(image.shape)
        found = real(image, *args, **kwargs)
        if len(calls) == 1:  # the first pass also "sees" a larger face in the flat background
            found = [*found, (20, 100, 100, 20)]
        return found

    monkeypatch.setattr(face_recognition, "face_locations", with_a_ghost)
    real_face, ghost = faces_detect(pixels)
    assert (ghost.right - ghost.left) > (real_face.right - real_face.left)
    assert real_face.left >= 700 and real_face.top >= 300
    assert ghost.left < 100 and ghost.top < 100
    assert len(calls) == 3  # the first pass, then one crop per face found small


def test_a_frame_whose_only_face_is_too_small_for_the_first_pass_is_detected_again_larger(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matching.faces import faces_detect

    pixels = frame_with("obama.jpg", face_scale=0.16)
    settings.FACE_DETECT_FIRST_PIXELS = settings.FACE_DETECT_MAX_PIXELS = 500_000
    assert faces_detect(pixels) == []
    settings.FACE_DETECT_MAX_PIXELS = 2_100_000
    spy = DetectorSpy(monkeypatch)
    (box,) = faces_detect(pixels)
    assert [s[0] * s[1] <= 500_000 for s in spy.shapes] == [True, False]
    assert spy.shapes[1][:2] == (1080, 1920)
    assert 700 <= box.left < box.right and 300 <= box.top < box.bottom


def test_an_image_with_no_face_costs_two_passes_only_when_it_is_above_the_first_budget(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matching.faces import faces_detect

    settings.FACE_DETECT_FIRST_PIXELS = 500_000
    settings.FACE_DETECT_MAX_PIXELS = 2_100_000
    spy = DetectorSpy(monkeypatch)
    assert faces_detect(np.full((600, 800, 3), 128, dtype=np.uint8)) == []
    assert faces_detect(np.full((1080, 1920, 3), 128, dtype=np.uint8)) == []
    first, second, third = (s[:2] for s in spy.shapes)
    assert first == (600, 800)
    assert second[0] * second[1] <= 500_000
    assert third == (1080, 1920)
