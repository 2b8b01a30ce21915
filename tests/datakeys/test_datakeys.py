"""Envelope encryption: one data key per object, outside PostgreSQL, destroyed on deletion."""

from __future__ import annotations

import base64
import os
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.test import override_settings

from datakeys.services import (
    DataKeyDestroyedError,
    SealedBytesError,
    datakey_destroy_on_commit,
    datakeys_sweep,
    key_store,
    sealed_bytes_add,
    sealed_bytes_create,
    sealed_bytes_open,
)
from datakeys.store import DataKeyCorruptError, KeyStore
from tests.conftest import photo

AGENCY = "keys_test"


@pytest.fixture
def private_store(tmp_path: Path) -> Iterator[Path]:
    """Point the key store and the KEK at a directory of this test only."""
    kek = base64.b64encode(os.urandom(32)).decode()
    with override_settings(DATAKEY_STORE_DIR=tmp_path / "store", DATAKEY_KEK=kek):
        yield tmp_path / "store"


def test_a_part_sealed_under_an_objects_key_opens_as_that_part_and_goes_with_it(
    private_store: Path,
) -> None:
    image = photo("obama.jpg")
    sealed = sealed_bytes_create(agency_id=AGENCY, purpose="held:1", plaintext=image)
    part = sealed_bytes_add(
        agency_id=AGENCY, purpose="held:1:faces", key_id=sealed.key_id, plaintext=b"[[0.5]]"
    )
    assert b"[[0.5]]" not in part

    def opened(purpose: str, blob: bytes) -> bytes:
        return sealed_bytes_open(agency_id=AGENCY, purpose=purpose, key_id=sealed.key_id, blob=blob)

    assert opened("held:1:faces", part) == b"[[0.5]]"
    assert opened("held:1", sealed.blob) == image
    with pytest.raises(SealedBytesError):
        opened("held:1", part)
    assert key_store().destroy(agency_id=AGENCY, key_id=sealed.key_id)
    with pytest.raises(DataKeyDestroyedError):
        opened("held:1:faces", part)
    with pytest.raises(DataKeyDestroyedError):
        sealed_bytes_add(
            agency_id=AGENCY, purpose="held:1:more", key_id=sealed.key_id, plaintext=b"x"
        )


def test_sealed_bytes_open_only_as_what_they_were_sealed_for(private_store: Path) -> None:
    image = photo("obama.jpg")
    sealed = sealed_bytes_create(agency_id=AGENCY, purpose="probe:1", plaintext=image)
    assert image[100:148] not in sealed.blob
    assert (
        sealed_bytes_open(
            agency_id=AGENCY, purpose="probe:1", key_id=sealed.key_id, blob=sealed.blob
        )
        == image
    )
    with pytest.raises(SealedBytesError):
        sealed_bytes_open(
            agency_id=AGENCY, purpose="probe:2", key_id=sealed.key_id, blob=sealed.blob
        )
    tampered = bytearray(sealed.blob)
    tampered[-1] ^= 1
    with pytest.raises(SealedBytesError):
        sealed_bytes_open(
            agency_id=AGENCY, purpose="probe:1", key_id=sealed.key_id, blob=bytes(tampered)
        )
    other = sealed_bytes_create(agency_id=AGENCY, purpose="probe:1", plaintext=b"x")
    with pytest.raises(SealedBytesError):
        sealed_bytes_open(
            agency_id=AGENCY, purpose="probe:1", key_id=other.key_id, blob=sealed.blob
        )


def test_another_agency_cannot_use_the_key(private_store: Path) -> None:
    sealed = sealed_bytes_create(agency_id=AGENCY, purpose="p", plaintext=b"face")
    with pytest.raises(DataKeyDestroyedError):
        sealed_bytes_open(agency_id="other", purpose="p", key_id=sealed.key_id, blob=sealed.blob)
    source = private_store / AGENCY / f"{sealed.key_id}.key"
    (private_store / "other").mkdir(mode=0o700)
    (private_store / "other" / source.name).write_bytes(source.read_bytes())
    with pytest.raises(DataKeyCorruptError):
        sealed_bytes_open(agency_id="other", purpose="p", key_id=sealed.key_id, blob=sealed.blob)


def test_key_files_are_private_and_hold_only_the_wrapped_key(private_store: Path) -> None:
    sealed = sealed_bytes_create(agency_id=AGENCY, purpose="p", plaintext=b"face")
    path = private_store / AGENCY / f"{sealed.key_id}.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(private_store.stat().st_mode) == 0o700
    key = key_store().get(agency_id=AGENCY, key_id=sealed.key_id)
    assert key not in path.read_bytes()


def test_a_destroyed_key_leaves_the_bytes_unreadable(private_store: Path) -> None:
    sealed = sealed_bytes_create(agency_id=AGENCY, purpose="p", plaintext=b"face")
    assert key_store().destroy(agency_id=AGENCY, key_id=sealed.key_id)
    assert not (private_store / AGENCY / f"{sealed.key_id}.key").exists()
    with pytest.raises(DataKeyDestroyedError):
        sealed_bytes_open(agency_id=AGENCY, purpose="p", key_id=sealed.key_id, blob=sealed.blob)
    assert not key_store().destroy(agency_id=AGENCY, key_id=sealed.key_id)


def test_destruction_waits_for_the_commit(
    db: None, private_store: Path, django_capture_on_commit_callbacks: Any
) -> None:
    kept = sealed_bytes_create(agency_id=AGENCY, purpose="p", plaintext=b"kept")
    gone = sealed_bytes_create(agency_id=AGENCY, purpose="p", plaintext=b"gone")

    class Rollback(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Rollback), transaction.atomic():
            datakey_destroy_on_commit(agency_id=AGENCY, key_id=kept.key_id)
            raise Rollback
        with transaction.atomic():
            datakey_destroy_on_commit(agency_id=AGENCY, key_id=gone.key_id)
            assert key_store().get(agency_id=AGENCY, key_id=gone.key_id)
    assert len(callbacks) == 1
    assert (
        sealed_bytes_open(agency_id=AGENCY, purpose="p", key_id=kept.key_id, blob=kept.blob)
        == b"kept"
    )
    with pytest.raises(DataKeyDestroyedError):
        key_store().get(agency_id=AGENCY, key_id=gone.key_id)


def test_the_sweep_destroys_only_old_unreferenced_keys(private_store: Path) -> None:
    referenced = sealed_bytes_create(agency_id=AGENCY, purpose="p", plaintext=b"a")
    orphan = sealed_bytes_create(agency_id=AGENCY, purpose="p", plaintext=b"b")
    fresh = sealed_bytes_create(agency_id=AGENCY, purpose="p", plaintext=b"c")
    old = time.time() - 7200
    for key_id in (referenced.key_id, orphan.key_id):
        os.utime(private_store / AGENCY / f"{key_id}.key", (old, old))
    assert datakeys_sweep(agency_id=AGENCY, referenced=[referenced.key_id]) == 1
    remaining = set(key_store().key_ids(agency_id=AGENCY))
    assert remaining == {referenced.key_id, fresh.key_id}


def test_a_missing_kek_is_a_configuration_error_outside_embedded_mode(tmp_path: Path) -> None:
    with (
        override_settings(
            DATAKEY_STORE_DIR=tmp_path / "s",
            DATAKEY_KEK="",
            DATAKEY_KEK_FILE=tmp_path / "absent.key",
            SECRETS_GENERATE=False,
        ),
        pytest.raises(ImproperlyConfigured, match="DATAKEY_KEK"),
    ):
        sealed_bytes_create(agency_id=AGENCY, purpose="p", plaintext=b"x")


def test_agency_ids_cannot_escape_the_store(private_store: Path) -> None:
    store = key_store()
    assert isinstance(store, KeyStore)
    with pytest.raises(ValueError, match="agency"):
        store.get(agency_id="../x", key_id=uuid.uuid4())
