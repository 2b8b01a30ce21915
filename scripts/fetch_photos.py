"""Fetch the real face photos the demo and the tests use into var/photos/.

The photos ship inside public packages on the package index (face_recognition's source archive
and scikit-image's wheel). They are downloaded with pip, extracted by
member name and checked against pinned SHA-256 digests; nothing else of those packages is used.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "cache" / "photo-packages"
PHOTOS = ROOT / "var" / "photos"

# archive (pip requirement, pip options) -> {member path: (local name, sha256)}
SOURCES: dict[tuple[str, tuple[str, ...]], dict[str, tuple[str, str]]] = {
    ("face_recognition==1.3.0", ("--no-binary", ":all:")): {
        "face_recognition-1.3.0/tests/test_images/obama.jpg": (
            "obama.jpg",
            "0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6",
        ),
        "face_recognition-1.3.0/tests/test_images/obama2.jpg": (
            "obama2.jpg",
            "a7efcc907375274796f39646510704aa86672d59f6d5469d69af3c85590976a6",
        ),
        "face_recognition-1.3.0/tests/test_images/obama3.jpg": (
            "obama3.jpg",
            "76ac6bf97c36dc2da0ad16a537d6a5ac1b10f48d49aac29a0cca9a17cdbc3ca3",
        ),
        "face_recognition-1.3.0/tests/test_images/biden.jpg": (
            "biden.jpg",
            "3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c",
        ),
        "face_recognition-1.3.0/tests/test_images/obama_partial_face.jpg": (
            "obama_partial_face.jpg",
            "c2d1f09e7ef3042352b41e41286e6eb0522f64f88308be13886991b95db52117",
        ),
    },
    ("scikit-image==0.26.0", ("--only-binary", ":all:")): {
        "skimage/data/astronaut.png": (
            "astronaut.png",
            "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
        ),
    },
}


def _have_all(members: dict[str, tuple[str, str]]) -> bool:
    for name, digest in members.values():
        path = PHOTOS / name
        if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            return False
    return True


def _download(requirement: str, options: tuple[str, ...]) -> Path:
    name = requirement.split("==")[0].replace("-", "_").lower()
    for existing in CACHE.glob("*"):
        if existing.name.replace("-", "_").lower().startswith(name):
            return existing
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            *options,
            "-d",
            str(CACHE),
            requirement,
        ],
        check=True,
    )
    for existing in CACHE.glob("*"):
        if existing.name.replace("-", "_").lower().startswith(name):
            return existing
    raise RuntimeError(f"download of {requirement} produced no archive")


def _read_member(archive: Path, member: str) -> bytes:
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as wheel:
            return wheel.read(member)
    with tarfile.open(archive, "r:gz") as tar:
        handle = tar.extractfile(member)
        if handle is None:
            raise RuntimeError(f"{member} missing from {archive.name}")
        return handle.read()


def fetch() -> None:
    """Make sure every photo is present with its pinned digest."""
    PHOTOS.mkdir(parents=True, exist_ok=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    for (requirement, options), members in SOURCES.items():
        if _have_all(members):
            continue
        archive = _download(requirement, options)
        for member, (name, digest) in members.items():
            data = _read_member(archive, member)
            if hashlib.sha256(data).hexdigest() != digest:
                raise RuntimeError(f"{member} in {archive.name} does not match its pinned digest")
            (PHOTOS / name).write_bytes(data)
    print(f"photos ready in {PHOTOS}")


if __name__ == "__main__":
    fetch()
