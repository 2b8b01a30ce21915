"""The bundle endpoint OPA polls, and building and reading bundle archives."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from policy.bundle import Bundle, bundle_from_directory
from policy.bundle_archive import (
    BundleArchiveError,
    bundle_archive,
    bundle_from_archive,
)
from policy.bundles.archive import active_bundle
from policy.embedded import EmbeddedRegoEngine
from tenants.errors import NOT_AUTHENTICATED, NOT_FOUND

# The endpoint serves the active policy revisions, which live in the database.
pytestmark = pytest.mark.django_db

BUNDLE_TOKEN = "bundle-token-for-tests"
BUNDLE_URL = "/api/v1/policy/bundles/probity.tar.gz"

MAIN_REGO = """package fr.main

import rego.v1

default decision := {
	"allow": false,
	"reasons": [{"code": "no_purpose", "kind": "deny"}],
	"obligations": {},
}

decision := {"allow": true, "reasons": [], "obligations": data.fr.obligations} if {
	input.purpose == "criminal_investigation"
}
"""

MAIN_TEST_REGO = """package fr.main_test

import rego.v1

import data.fr.main

test_allow if main.decision.allow with input as {"purpose": "criminal_investigation"}
"""

DATA = {"fr": {"obligations": {"max_candidates": 5, "min_similarity": 0.6}}}


@pytest.fixture
def rego_dir(tmp_path: Path) -> Path:
    (tmp_path / "fr" / "main").mkdir(parents=True)
    (tmp_path / "fr" / "main" / "main.rego").write_text(MAIN_REGO)
    (tmp_path / "fr" / "main" / "main_test.rego").write_text(MAIN_TEST_REGO)
    (tmp_path / "data.json").write_text(json.dumps(DATA))
    return tmp_path


@pytest.fixture
def bundle_settings(settings, rego_dir):
    settings.POLICY_BUNDLE_TOKEN = BUNDLE_TOKEN
    settings.POLICY_REGO_DIR = rego_dir
    return settings


def _get(client, **headers: str):
    return client.get(BUNDLE_URL, headers=headers)


def _authorized_get(client, **headers: str):
    return _get(client, Authorization=f"Bearer {BUNDLE_TOKEN}", **headers)


def _tar_members(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        return {
            member.name: tar.extractfile(member).read()  # type: ignore[union-attr]
            for member in tar
        }


def test_route_is_the_documented_url():
    assert reverse("policy-bundle") == BUNDLE_URL


def test_disabled_without_a_configured_token(client, settings, rego_dir):
    settings.POLICY_BUNDLE_TOKEN = ""
    settings.POLICY_REGO_DIR = rego_dir

    response = _get(client, Authorization="Bearer anything")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == NOT_FOUND


def test_missing_token_is_unauthorized(client, bundle_settings):
    response = _get(client)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == NOT_AUTHENTICATED
    assert response["WWW-Authenticate"].startswith("Bearer ")


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer wrong-token",
        f"Bearer {BUNDLE_TOKEN}x",
        f"Basic {BUNDLE_TOKEN}",
        BUNDLE_TOKEN,
        "Bearer ",
        "Bearer jeton-ébauché",
    ],
    ids=["wrong", "longer", "basic-scheme", "no-scheme", "empty", "non-ascii"],
)
def test_wrong_token_is_unauthorized(client, bundle_settings, authorization):
    response = _get(client, Authorization=authorization)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == NOT_AUTHENTICATED
    assert not response.content.startswith(b"\x1f\x8b")


def test_api_user_token_auth_is_not_used(client, bundle_settings):
    response = _get(client, Authorization="Token some-api-token")

    assert response.status_code == 401


def test_serves_the_active_revisions_as_gzip_tar(client, bundle_settings):
    expected = active_bundle()

    response = _authorized_get(client)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/gzip"
    assert response["ETag"] == f'"{expected.revision}"'
    members = _tar_members(response.content)
    assert sorted(members) == sorted([".manifest", "data.json", *expected.modules])
    manifest = json.loads(members[".manifest"])
    assert manifest["revision"] == expected.revision
    assert manifest["roots"] == ["fr"]
    assert json.loads(members["data.json"]) == expected.data
    assert members["fr/main/main.rego"].decode() == expected.modules["fr/main/main.rego"]
    assert not any(name.endswith("_test.rego") for name in members)


def test_scheme_is_case_insensitive(client, bundle_settings):
    response = _get(client, Authorization=f"bearer {BUNDLE_TOKEN}")

    assert response.status_code == 200


def test_if_none_match_current_revision_is_not_modified(client, bundle_settings):
    etag = _authorized_get(client)["ETag"]

    response = _authorized_get(client, **{"If-None-Match": etag})

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


@pytest.mark.parametrize("template", ["W/{etag}", '"older", {etag}', "*"])
def test_if_none_match_forms(client, bundle_settings, template):
    etag = _authorized_get(client)["ETag"]

    response = _authorized_get(client, **{"If-None-Match": template.format(etag=etag)})

    assert response.status_code == 304


def test_stale_etag_gets_the_active_bundle(client, bundle_settings):
    current = _authorized_get(client)["ETag"]
    stale = f'"{bundle_from_directory(bundle_settings.POLICY_REGO_DIR).revision}"'
    assert stale != current

    response = _authorized_get(client, **{"If-None-Match": stale})

    assert response.status_code == 200
    assert response["ETag"] == current == f'"{active_bundle().revision}"'


def test_etag_checked_only_after_authentication(client, bundle_settings):
    etag = _authorized_get(client)["ETag"]

    response = _get(client, **{"If-None-Match": etag})

    assert response.status_code == 401


def test_served_archive_decides_like_the_active_revisions(client, bundle_settings):
    archive = _authorized_get(client).content
    from_archive = EmbeddedRegoEngine(bundle_from_archive(archive))
    in_force = EmbeddedRegoEngine(active_bundle())

    for policy_input in [{"purpose": "criminal_investigation"}, {"purpose": "other"}, {}]:
        served = from_archive.decide(policy_input)
        local = in_force.decide(policy_input)
        assert (served.allow, served.reasons, served.obligations) == (
            local.allow,
            local.reasons,
            local.obligations,
        )
        assert served.bundle_revision == local.bundle_revision


def _real_policy_inputs() -> list[Any]:
    cases_dir = Path(django_settings.BASE_DIR) / "policy" / "fixtures" / "cases"
    inputs: list[Any] = [{}, {"actor": 42, "request": "malformed"}, []]
    for path in sorted(cases_dir.glob("**/*.json"))[:50]:
        case = json.loads(path.read_text())
        inputs.append(case.get("input", case) if isinstance(case, dict) else case)
    return inputs


def test_real_policy_round_trips_through_the_endpoint(client, settings):
    real_dir = Path(django_settings.BASE_DIR) / "policy" / "rego"
    if not (real_dir / "fr" / "main" / "main.rego").exists():
        pytest.skip("policy/rego/fr/main/main.rego is not written yet; nothing to round-trip")
    settings.POLICY_BUNDLE_TOKEN = BUNDLE_TOKEN
    settings.POLICY_REGO_DIR = real_dir

    archive = _authorized_get(client).content
    from_archive = EmbeddedRegoEngine(bundle_from_archive(archive))
    from_directory = EmbeddedRegoEngine.from_directory(real_dir)

    for policy_input in _real_policy_inputs():
        served = from_archive.decide(policy_input)
        local = from_directory.decide(policy_input)
        assert served.as_output() == local.as_output()
        assert served.reasons == local.reasons
        assert served.bundle_revision == local.bundle_revision


def test_archive_round_trip_preserves_the_bundle(rego_dir):
    bundle = bundle_from_directory(rego_dir)

    assert bundle_from_archive(bundle_archive(bundle)) == bundle


def test_archive_bytes_are_deterministic(rego_dir):
    first = bundle_archive(bundle_from_directory(rego_dir))
    for path in rego_dir.rglob("*"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
    second = bundle_archive(bundle_from_directory(rego_dir))

    assert first == second
    reordered = Bundle(
        modules=dict(reversed(list(bundle_from_directory(rego_dir).modules.items()))),
        data=json.loads(json.dumps(DATA)),
    )
    assert bundle_archive(reordered) == first


def test_archive_header_fields_are_fixed(rego_dir):
    archive = bundle_archive(bundle_from_directory(rego_dir))

    assert archive[4:8] == b"\0\0\0\0"
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar:
            assert (member.mtime, member.uid, member.gid) == (0, 0, 0)
            assert member.uname == member.gname == ""
            assert member.isreg()


def test_bundle_outside_roots_is_refused():
    bundle = Bundle(modules={"x.rego": "package other\n"}, data={"elsewhere": 1})

    with pytest.raises(BundleArchiveError, match="outside the bundle roots"):
        bundle_archive(bundle)


def _hostile_archive(
    entries: list[tarfile.TarInfo | tuple[str, bytes]], *, manifest: bool = True
) -> bytes:
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as tar:
        if manifest:
            content = json.dumps({"revision": "x", "roots": ["fr"]}).encode()
            info = tarfile.TarInfo(".manifest")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tar.addfile(entry)
            else:
                name, content = entry
                info = tarfile.TarInfo(name)
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return gzip.compress(tar_bytes.getvalue(), mtime=0)


def _link(name: str, target: str, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([("../x.rego", b"package fr.x\n")], "leaves the bundle root"),
        ([("fr/../../x.rego", b"package fr.x\n")], "leaves the bundle root"),
        ([("/etc/x.rego", b"package fr.x\n")], "absolute path"),
        ([("fr\\..\\x.rego", b"package fr.x\n")], "not a valid member name"),
        ([_link("fr/x.rego", "/etc/passwd", tarfile.SYMTYPE)], "not a regular file"),
        ([_link("fr/x.rego", ".manifest", tarfile.LNKTYPE)], "not a regular file"),
        ([_link("fr/dev", "", tarfile.CHRTYPE)], "not a regular file"),
        ([("fr/a.rego", b"package fr.a\n"), ("./fr/a.rego", b"package fr.a\n")], "twice"),
        ([("fr/notes.txt", b"hello")], "is not a Rego module"),
        ([("data.json", b"[1]")], "not a JSON object"),
        ([("data.json", b"{")], "not valid JSON"),
        ([("fr/a.rego", b"\xff\xfe")], "not UTF-8"),
    ],
    ids=[
        "dot-dot",
        "nested-dot-dot",
        "absolute",
        "backslash",
        "symlink",
        "hardlink",
        "device",
        "duplicate",
        "unknown-file",
        "data-not-object",
        "data-not-json",
        "rego-not-utf8",
    ],
)
def test_hostile_archive_is_rejected(entries, message):
    with pytest.raises(BundleArchiveError, match=message):
        bundle_from_archive(_hostile_archive(entries), verify_revision=False)


def test_oversized_member_is_rejected():
    archive = _hostile_archive([("fr/big.rego", b"#" * 5000)])

    with pytest.raises(BundleArchiveError, match="larger than 1000 bytes"):
        bundle_from_archive(archive, verify_revision=False, max_member_bytes=1000)


def test_decompression_bomb_is_rejected():
    archive = _hostile_archive([("fr/big.rego", b"\0" * 2_000_000)])
    assert len(archive) < 20_000

    with pytest.raises(BundleArchiveError, match="unpacks to more than"):
        bundle_from_archive(archive, verify_revision=False, max_unpacked_bytes=100_000)


@pytest.mark.parametrize(
    "archive",
    [b"", b"not gzip at all", gzip.compress(b"not a tar archive" * 40, mtime=0)],
    ids=["empty", "not-gzip", "gzip-not-tar"],
)
def test_garbage_is_rejected(archive):
    with pytest.raises(BundleArchiveError):
        bundle_from_archive(archive)


def test_truncated_archive_is_rejected(rego_dir):
    archive = bundle_archive(bundle_from_directory(rego_dir))

    with pytest.raises(BundleArchiveError):
        bundle_from_archive(archive[: len(archive) // 2])


def test_missing_manifest_is_rejected():
    archive = _hostile_archive([("fr/a.rego", b"package fr.a\n")], manifest=False)

    with pytest.raises(BundleArchiveError, match=r"no \.manifest"):
        bundle_from_archive(archive)


def test_tampered_content_fails_revision_check(rego_dir):
    members = _tar_members(bundle_archive(bundle_from_directory(rego_dir)))
    members["fr/main/main.rego"] = members["fr/main/main.rego"].replace(b"false", b"true")
    forged = _hostile_archive(list(members.items()), manifest=False)

    with pytest.raises(BundleArchiveError, match="revision does not match"):
        bundle_from_archive(forged)
    assert bundle_from_archive(forged, verify_revision=False).modules["fr/main/main.rego"]


def test_nested_data_json_lands_at_its_directory_path():
    archive = _hostile_archive(
        [("data.json", b'{"fr": {"a": 1}}'), ("fr/limits/data.json", b'{"max": 3}')]
    )

    bundle = bundle_from_archive(archive, verify_revision=False)

    assert bundle.data == {"fr": {"a": 1, "limits": {"max": 3}}}


def test_dot_slash_prefixes_are_accepted():
    archive = _hostile_archive([("./fr/a.rego", b"package fr.a\n"), ("./data.json", b"{}")])

    bundle = bundle_from_archive(archive, verify_revision=False)

    assert bundle.modules == {"fr/a.rego": "package fr.a\n"}
