"""OPA bundle archives: the ``.tar.gz`` OPA servers download, and reading one back safely.

The archive bytes depend only on the bundle's content (fixed order, times and owners, gzip
without a timestamp), so the same revision always has the same bytes and ETag. Reading treats
the archive as untrusted: only regular files at clean relative paths, within size limits.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile
import zlib
from pathlib import PurePosixPath
from typing import Any

from policy.bundles.bundle import DATA_FILE, Bundle

MANIFEST_FILE = ".manifest"
BUNDLE_ROOTS = ("fr",)
REGO_VERSION = 1

MAX_ARCHIVE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 32 * 1024 * 1024
MAX_MEMBER_BYTES = 4 * 1024 * 1024
MAX_MEMBERS = 2000

_PACKAGE_RE = re.compile(r"^\s*package\s+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)
_FILE_MODE = 0o644
_DIR_MODE = 0o755


class BundleArchiveError(ValueError):
    """The archive is not a bundle this service will load."""


def active_bundle() -> Bundle:
    """Return the bundle in force, the one OPA servers and the embedded engine must share.

    It is composed from the active policy revisions, so its revision (the ETag OPA servers
    poll with) changes on every activation.
    """
    from policy.revisions.selectors import active_bundle_revisions

    return active_bundle_revisions()[1]


def bundle_archive(bundle: Bundle, *, roots: tuple[str, ...] = BUNDLE_ROOTS) -> bytes:
    """Return the bundle as OPA's gzipped tarball, byte-identical for identical content."""
    _check_roots(bundle, roots)
    manifest = {
        "revision": bundle.revision,
        "roots": list(roots),
        "rego_version": REGO_VERSION,
    }
    members: list[tuple[str, bytes]] = [
        (MANIFEST_FILE, _canonical_json(manifest)),
        (DATA_FILE, _canonical_json(bundle.data)),
    ]
    members += [
        (_clean_path(path).as_posix(), bundle.modules[path].encode())
        for path in sorted(bundle.modules, key=lambda p: _clean_path(p).as_posix())
    ]
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = _FILE_MODE
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(content))
    archive = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=archive, mtime=0, compresslevel=9) as gz:
        gz.write(tar_bytes.getvalue())
    return archive.getvalue()


def bundle_from_archive(
    archive: bytes,
    *,
    verify_revision: bool = True,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
    max_member_bytes: int = MAX_MEMBER_BYTES,
) -> Bundle:
    """Load a bundle from an untrusted ``.tar.gz``; raise ``BundleArchiveError`` if unsafe.

    With ``verify_revision`` the manifest's revision must match the content, so an edited
    archive cannot pass for the revision that was approved.
    """
    if len(archive) > MAX_ARCHIVE_BYTES:
        raise BundleArchiveError(f"archive is larger than {MAX_ARCHIVE_BYTES} bytes")
    tar_bytes = _gunzip_capped(archive, limit=max_unpacked_bytes)
    modules: dict[str, str] = {}
    data: dict[str, Any] = {}
    manifest: dict[str, Any] | None = None
    seen: set[str] = set()
    try:
        with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:") as tar:
            for count, member in enumerate(tar, start=1):
                if count > MAX_MEMBERS:
                    raise BundleArchiveError(f"archive has more than {MAX_MEMBERS} members")
                path = _member_path(member.name)
                if member.isdir():
                    continue
                if not member.isreg():
                    raise BundleArchiveError(f"{member.name!r} is not a regular file")
                if member.size > max_member_bytes:
                    raise BundleArchiveError(
                        f"{member.name!r} is larger than {max_member_bytes} bytes"
                    )
                name = path.as_posix()
                if name in seen:
                    raise BundleArchiveError(f"{name!r} appears twice")
                seen.add(name)
                content = _member_bytes(tar, member)
                if name == MANIFEST_FILE:
                    manifest = _json_object(content, name)
                elif path.name == DATA_FILE:
                    _merge_data(data, path.parent.parts, _json_object(content, name), name)
                elif path.suffix == ".rego":
                    modules[name] = _utf8(content, name)
                else:
                    raise BundleArchiveError(
                        f"{name!r} is not a Rego module, data.json or .manifest"
                    )
    except tarfile.TarError as exc:
        raise BundleArchiveError(f"not a tar archive: {exc}") from exc
    if manifest is None:
        raise BundleArchiveError("archive has no .manifest")
    bundle = Bundle(modules=modules, data=data)
    if verify_revision and manifest.get("revision") != bundle.revision:
        raise BundleArchiveError("manifest revision does not match the archive's content")
    return bundle


def _check_roots(bundle: Bundle, roots: tuple[str, ...]) -> None:
    """Refuse to build a bundle OPA would reject for writing outside its roots."""
    outside = sorted(key for key in bundle.data if key not in roots)
    for path, text in bundle.modules.items():
        match = _PACKAGE_RE.search(text)
        if match is None or match.group(1) not in roots:
            outside.append(path)
    if outside:
        raise BundleArchiveError(f"outside the bundle roots {list(roots)}: {', '.join(outside)}")


def _canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _clean_path(path: str) -> PurePosixPath:
    return _member_path(path.replace("\\", "/"))


def _member_path(name: str) -> PurePosixPath:
    """Return a member's path relative to the bundle root, refusing anything that escapes it."""
    if not name or "\0" in name or "\\" in name:
        raise BundleArchiveError(f"{name!r} is not a valid member name")
    raw = PurePosixPath(name)
    if raw.is_absolute():
        raise BundleArchiveError(f"{name!r} is an absolute path")
    if ".." in raw.parts:
        raise BundleArchiveError(f"{name!r} leaves the bundle root")
    parts = [part for part in raw.parts if part != "."]
    if not parts:
        return PurePosixPath(".")
    return PurePosixPath(*parts)


def _gunzip_capped(archive: bytes, *, limit: int) -> bytes:
    """Decompress every gzip member, stopping as soon as the output would exceed ``limit``."""
    output = bytearray()
    remaining = archive
    while remaining:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            output += inflater.decompress(remaining, limit + 1 - len(output))
        except zlib.error as exc:
            raise BundleArchiveError(f"not a gzip archive: {exc}") from exc
        if len(output) > limit or inflater.unconsumed_tail:
            raise BundleArchiveError(f"archive unpacks to more than {limit} bytes")
        if not inflater.eof:
            raise BundleArchiveError("gzip stream is truncated")
        remaining = inflater.unused_data
    return bytes(output)


def _member_bytes(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    stream = tar.extractfile(member)
    if stream is None:
        raise BundleArchiveError(f"{member.name!r} has no content")
    with stream:
        return stream.read()


def _json_object(content: bytes, name: str) -> dict[str, Any]:
    try:
        value = json.loads(_utf8(content, name))
    except (ValueError, RecursionError) as exc:
        raise BundleArchiveError(f"{name!r} is not valid JSON") from exc
    if not isinstance(value, dict):
        raise BundleArchiveError(f"{name!r} is not a JSON object")
    return value


def _utf8(content: bytes, name: str) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BundleArchiveError(f"{name!r} is not UTF-8") from exc


def _merge_data(
    data: dict[str, Any], parts: tuple[str, ...], value: dict[str, Any], name: str
) -> None:
    """Place a ``data.json`` at the data path its directory names, as OPA does."""
    target = data
    for part in parts:
        child = target.setdefault(part, {})
        if not isinstance(child, dict):
            raise BundleArchiveError(f"{name!r} overlaps data from another file")
        target = child
    overlap = sorted(set(target) & set(value))
    if overlap:
        raise BundleArchiveError(f"{name!r} redefines {', '.join(overlap)}")
    target.update(value)
