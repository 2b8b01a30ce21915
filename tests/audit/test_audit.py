"""The audit trail: chained by PostgreSQL, vouched for by MACs, pinned by signed checkpoints.

Tampering tests write to a chain of their own (an agency id no other test uses) and commit, so
``manage.py audit_verify`` sees exactly what an auditor would.
"""

from __future__ import annotations

import functools
import itertools
import json
import stat
import threading
import uuid
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from audit.chain import GENESIS_HASH, EventContent, epoch_microseconds, event_hash, event_mac
from audit.checkpoints import audit_checkpoint_write
from audit.keys import audit_mac_key
from audit.models import AuditCheckpoint, AuditEvent
from audit.services import audit_record
from audit.verification import (
    CHECKPOINT_BAD_SIGNATURE,
    CHECKPOINT_MISMATCH,
    HASH_MISMATCH,
    MAC_MISMATCH,
    SEQUENCE_GAP,
    TRUNCATED,
    audit_chain_verify,
    audit_segment_verify,
)
from tenants.context import agency_transaction
from tests.conftest import Tenant, wait_for

INSERT_SQL = (
    "INSERT INTO audit_auditevent (agency_id, uid, seq, occurred_at, actor_id, actor, action, "
    "object_type, object_id, data, mac, prev_hash, hash) "
    "VALUES (%s, %s, %s, %s, NULL, %s, %s, %s, %s, %s::jsonb, %s, %s, %s)"
)


def own_chain(events: int) -> str:
    """Commit ``events`` events to a chain no other test writes to; return its agency id."""
    agency_id = f"chain_{uuid.uuid4().hex[:10]}"
    for n in range(events):
        audit_record(
            agency_id=agency_id,
            action="test.event",
            actor="tester",
            object_type="thing",
            object_id=str(n),
            data={"n": n, "note": 'é\n"q"'},
        )
    return agency_id


def own_events(agency_id: str, events: int) -> None:
    """Commit ``events`` more events to a chain of ``own_chain``."""
    for n in range(events):
        audit_record(
            agency_id=agency_id, action="test.later", object_type="thing", object_id=str(n)
        )


def verify_command(agency_id: str) -> str:
    """Run ``manage.py audit_verify --agency``; return its output, raise on a failed chain."""
    out = StringIO()
    call_command("audit_verify", agency=agency_id, stdout=out)
    return out.getvalue()


def verify_fails(agency_id: str) -> str:
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 1 chains failed"):
        call_command("audit_verify", agency=agency_id, stdout=out)
    return out.getvalue()


def events_of(agency_id: str) -> list[AuditEvent]:
    with agency_transaction(agency_id):
        return list(AuditEvent.objects.filter(agency_id=agency_id).order_by("seq"))


def owner_execute(*statements: tuple[str, list[Any]]) -> None:
    """Run statements as the owner (the superuser in embedded mode), committed."""
    with transaction.atomic(using="owner"), connections["owner"].cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)


def test_events_chain_each_to_the_previous_one(committed: None) -> None:
    agency_id = own_chain(3)
    events = events_of(agency_id)
    assert events[0].prev_hash == GENESIS_HASH
    assert [e.seq for e in events] == [1, 2, 3]
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    assert audit_chain_verify(agency_id=agency_id).ok
    assert "ok, 3 events" in verify_command(agency_id)


def test_the_returned_event_carries_what_the_database_assigned(db: None) -> None:
    agency_id = f"chain_{uuid.uuid4().hex[:10]}"
    first = audit_record(agency_id=agency_id, action="test.one")
    second = audit_record(agency_id=agency_id, action="test.two")
    assert (first.seq, second.seq) == (1, 2)
    assert second.prev_hash == first.hash
    assert [e.hash for e in events_of(agency_id)] == [first.hash, second.hash]


def test_the_reference_definition_recomputes_the_trigger_hash(committed: None) -> None:
    """The hashed bytes in ``audit.chain`` (and the README) are the ones PostgreSQL hashes."""
    agency_id = own_chain(2)
    for event in events_of(agency_id):
        with agency_transaction(agency_id), connection.cursor() as cursor:
            cursor.execute("SELECT data::text FROM audit_auditevent WHERE id = %s", [event.id])
            (data_text,) = cursor.fetchone()
        content = EventContent(
            agency_id=event.agency_id,
            uid=str(event.uid),
            occurred_at_us=epoch_microseconds(event.occurred_at),
            actor_id=event.actor_id,
            actor=event.actor,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            data_text=data_text,
        )
        assert event.mac == event_mac(audit_mac_key(), content)
        assert event.hash == event_hash(
            prev_hash=event.prev_hash, seq=event.seq, mac=event.mac, content=content
        )


def test_a_raw_insert_cannot_choose_its_number_or_hashes(db: None, tenant_a: Tenant) -> None:
    """As the app role: whatever seq, prev_hash and hash an INSERT supplies are overwritten."""
    agency_id = tenant_a.agency.id
    audit_record(agency_id=agency_id, action="test.before")
    with agency_transaction(agency_id), connection.cursor() as cursor:
        cursor.execute(
            INSERT_SQL,
            [
                agency_id,
                str(uuid.uuid4()),
                999_999,
                "2026-01-01T00:00Z",
                "x",
                "test.raw",
                "",
                "",
                "{}",
                "",
                "f" * 64,
                "e" * 64,
            ],
        )
        last, before = AuditEvent.objects.filter(agency_id=agency_id).order_by("-seq")[:2]
    assert last.seq == before.seq + 1
    assert last.prev_hash == before.hash
    assert last.hash not in ("e" * 64, "")


def test_a_forged_event_by_the_app_role_is_detected(committed: None) -> None:
    """Finding: the app role appended a correctly chained forged review and it verified ok."""
    agency_id = own_chain(4)
    with agency_transaction(agency_id), connection.cursor() as cursor:
        cursor.execute(
            INSERT_SQL,
            [
                agency_id,
                str(uuid.uuid4()),
                0,
                "2026-11-30T12:00Z",
                "supervisor",
                "candidate.reviewed",
                "candidate",
                "1",
                '{"disposition": "possible_match"}',
                "0" * 64,
                "",
                "",
            ],
        )
    audit_record(agency_id=agency_id, action="test.after")
    report = audit_chain_verify(agency_id=agency_id)
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 5, MAC_MISMATCH)
    assert "first bad event seq 5: MAC mismatch" in verify_fails(agency_id)


def test_a_copied_mac_cannot_be_replayed(committed: None) -> None:
    """Re-inserting a genuine event's content and MAC is refused; changing its uid breaks it."""
    agency_id = own_chain(2)
    genuine = events_of(agency_id)[0]
    row: list[Any] = [
        agency_id,
        str(genuine.uid),
        0,
        genuine.occurred_at,
        genuine.actor,
        genuine.action,
        genuine.object_type,
        genuine.object_id,
        json.dumps(genuine.data),
        genuine.mac,
        "",
        "",
    ]
    with (
        pytest.raises(DatabaseError, match="uid"),
        agency_transaction(agency_id),
        connection.cursor() as cursor,
    ):
        cursor.execute(INSERT_SQL, row)
    row[1] = str(uuid.uuid4())
    with agency_transaction(agency_id), connection.cursor() as cursor:
        cursor.execute(INSERT_SQL, row)
    assert audit_chain_verify(agency_id=agency_id).problem == MAC_MISMATCH


def test_the_app_role_cannot_switch_the_chain_trigger_off(db: None, tenant_a: Tenant) -> None:
    with pytest.raises(DatabaseError, match="owner"), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_chain_append")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET action = 'forged'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent",
        "UPDATE audit_auditcheckpoint SET seq = 1",
        "DELETE FROM audit_auditcheckpoint",
    ],
)
def test_the_app_role_cannot_change_or_remove_events(
    db: None, tenant_a: Tenant, statement: str
) -> None:
    with (
        pytest.raises(DatabaseError),
        agency_transaction(tenant_a.agency.id),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET action = 'forged'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent",
        "TRUNCATE audit_auditcheckpoint",
    ],
)
def test_even_the_owner_cannot_change_or_remove_events(
    committed: None, tenant_a: Tenant, statement: str
) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(using="owner"),
        connections["owner"].cursor() as cursor,
    ):
        cursor.execute("SELECT set_config('app.agency_id', %s, true)", [tenant_a.agency.id])
        cursor.execute(statement)


def test_an_edited_event_is_found(committed: None) -> None:
    agency_id = own_chain(3)
    owner_execute(
        ("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_no_update_delete", []),
        (
            "UPDATE audit_auditevent SET data = '{\"forged\": true}' "
            "WHERE agency_id = %s AND seq = 2",
            [agency_id],
        ),
        ("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_no_update_delete", []),
    )
    assert "first bad event seq 2: content hash mismatch" in verify_fails(agency_id)


def _edit(agency_id: str, seq: int) -> None:
    owner_execute(
        ("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_no_update_delete", []),
        (
            "UPDATE audit_auditevent SET data = '{\"forged\": true}' "
            "WHERE agency_id = %s AND seq = %s",
            [agency_id, seq],
        ),
        ("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_no_update_delete", []),
    )


def test_a_periods_stretch_starts_at_the_checkpoint_before_it(committed: None) -> None:
    """Edits before the checkpoint are the full verification's to find; after it, the stretch's."""
    agency_id = own_chain(4)
    checkpoint = audit_checkpoint_write(agency_id=agency_id)
    assert checkpoint is not None and checkpoint.seq == 4
    since = timezone.now()
    own_events(agency_id, 3)
    until = timezone.now() + timedelta(days=1)
    segment = audit_segment_verify(agency_id=agency_id, since=since, until=until)
    assert segment.ok and segment.start is not None and segment.start.seq == 4
    assert (segment.events, segment.through_seq, segment.checkpoints) == (3, 7, 0)
    _edit(agency_id, 2)
    # The checkpoint's signature vouches for seq 1 to 4; re-computing them is audit_verify's job.
    assert audit_segment_verify(agency_id=agency_id, since=since, until=until).ok
    full = audit_chain_verify(agency_id=agency_id)
    assert (full.ok, full.first_bad_seq, full.problem) == (False, 2, HASH_MISMATCH)
    # A period starting before any checkpoint starts from the first event and finds it.
    earlier = audit_segment_verify(
        agency_id=agency_id, since=since - timedelta(days=1), until=until
    )
    assert earlier.start is None
    assert (earlier.ok, earlier.first_bad_seq, earlier.events) == (False, 2, 2)
    _edit(agency_id, 6)
    inside = audit_segment_verify(agency_id=agency_id, since=since, until=until)
    assert (inside.ok, inside.first_bad_seq, inside.problem) == (False, 6, HASH_MISMATCH)
    # A period ending before the last events stops at its own last one.
    assert audit_checkpoint_write(agency_id=agency_id) is not None  # head 7, signed now
    ended = audit_segment_verify(agency_id=agency_id, since=since, until=since)
    assert ended.ok and (ended.events, ended.through_seq) == (0, 4)


def test_truncation_by_the_owner_is_detected(committed: None) -> None:
    """Finding: deleting the last 10 events as owner, triggers disabled, verified ok."""
    agency_id = own_chain(15)
    assert audit_checkpoint_write(agency_id=agency_id) is not None
    owner_execute(
        ("ALTER TABLE audit_auditevent DISABLE TRIGGER USER", []),
        ("DELETE FROM audit_auditevent WHERE agency_id = %s AND seq > 5", [agency_id]),
        ("ALTER TABLE audit_auditevent ENABLE TRIGGER USER", []),
    )
    report = audit_chain_verify(agency_id=agency_id)
    assert (report.ok, report.events, report.first_bad_seq, report.problem) == (
        False,
        5,
        6,
        TRUNCATED,
    )
    assert "first bad event seq 6: chain ends before a signed checkpoint" in verify_fails(agency_id)


def test_truncation_is_detected_from_the_log_when_checkpoint_rows_go_too(
    committed: None,
) -> None:
    agency_id = own_chain(12)
    audit_checkpoint_write(agency_id=agency_id)
    owner_execute(
        ("ALTER TABLE audit_auditevent DISABLE TRIGGER USER", []),
        ("ALTER TABLE audit_auditcheckpoint DISABLE TRIGGER USER", []),
        ("DELETE FROM audit_auditevent WHERE agency_id = %s AND seq > 2", [agency_id]),
        ("DELETE FROM audit_auditcheckpoint WHERE agency_id = %s", [agency_id]),
        ("ALTER TABLE audit_auditcheckpoint ENABLE TRIGGER USER", []),
        ("ALTER TABLE audit_auditevent ENABLE TRIGGER USER", []),
    )
    with agency_transaction(agency_id):
        assert not AuditCheckpoint.objects.filter(agency_id=agency_id).exists()
    assert audit_chain_verify(agency_id=agency_id).problem == TRUNCATED


def test_deleting_one_event_and_rechaining_the_rest_is_detected(committed: None) -> None:
    """Finding: delete one event, re-hash the rest (here: through the chain trigger itself)."""
    agency_id = own_chain(4)
    for later in (6, 3):
        audit_checkpoint_write(agency_id=agency_id)
        for n in range(later):
            audit_record(agency_id=agency_id, action="test.later", data={"n": n})
    audit_checkpoint_write(agency_id=agency_id)
    tail = [e for e in events_of(agency_id) if e.seq > 4]
    reinsert = [
        (
            "INSERT INTO audit_auditevent (agency_id, uid, occurred_at, actor_id, actor, action, "
            "object_type, object_id, data, mac) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, "
            "%s)",
            [
                e.agency_id,
                str(e.uid),
                e.occurred_at,
                e.actor_id,
                e.actor,
                e.action,
                e.object_type,
                e.object_id,
                json.dumps(e.data),
                e.mac,
            ],
        )
        for e in tail
        if e.seq != 7
    ]
    owner_execute(
        ("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_no_update_delete", []),
        ("DELETE FROM audit_auditevent WHERE agency_id = %s AND seq > 4", [agency_id]),
        *reinsert,
        ("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_no_update_delete", []),
    )
    assert [e.seq for e in events_of(agency_id)] == list(range(1, 13))
    report = audit_chain_verify(agency_id=agency_id)
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 5, CHECKPOINT_MISMATCH)
    assert "first bad event seq 5: chain differs from a signed checkpoint" in verify_fails(
        agency_id
    )


def test_a_forged_checkpoint_is_refused(committed: None) -> None:
    agency_id = own_chain(3)
    with agency_transaction(agency_id):
        AuditCheckpoint.objects.create(
            agency_id=agency_id,
            seq=3,
            hash=events_of(agency_id)[-1].hash,
            signed_at="2026-11-30T12:00Z",
            key_id="0" * 16,
            signature="ab" * 64,
        )
    report = audit_chain_verify(agency_id=agency_id)
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 3, CHECKPOINT_BAD_SIGNATURE)


def test_a_gap_left_by_a_deleted_event_is_found(committed: None) -> None:
    agency_id = own_chain(4)
    owner_execute(
        ("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_no_update_delete", []),
        ("DELETE FROM audit_auditevent WHERE agency_id = %s AND seq = 3", [agency_id]),
        ("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_no_update_delete", []),
    )
    assert audit_chain_verify(agency_id=agency_id).problem == SEQUENCE_GAP


def test_concurrent_writers_get_one_gapless_chain(committed: None) -> None:
    agency_id = f"chain_{uuid.uuid4().hex[:10]}"

    def write(worker: int) -> None:
        try:
            for n in range(8):
                audit_record(
                    agency_id=agency_id, action="test.concurrent", data={"worker": worker, "n": n}
                )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [e.seq for e in events_of(agency_id)] == list(range(1, 25))
    assert audit_chain_verify(agency_id=agency_id).ok


@pytest.mark.worker
def test_the_beat_task_signs_every_agencys_head(
    committed: None, celery_worker: object, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    from audit.tasks import audit_checkpoint_all

    assert settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]["task"] == (
        "audit.tasks.audit_checkpoint_all"
    )
    audit_record(agency_id=tenant_a.agency.id, action="test.head")
    audit_record(agency_id=tenant_b.agency.id, action="test.head")
    heads = {t.agency.id: events_of(t.agency.id)[-1] for t in (tenant_a, tenant_b)}

    def signed(agency_id: str) -> AuditCheckpoint | None:
        with agency_transaction(agency_id):
            return AuditCheckpoint.objects.filter(
                agency_id=agency_id, seq=heads[agency_id].seq
            ).first()

    audit_checkpoint_all.delay()
    for agency_id, head in heads.items():
        checkpoint = wait_for(functools.partial(signed, agency_id))
        assert checkpoint.hash == head.hash
        assert "ok" in verify_command(agency_id)
    assert audit_checkpoint_all() == 0


def test_keys_are_private_files_and_the_public_key_exports(committed: None, tmp_path: Path) -> None:
    agency_id = own_chain(2)
    audit_checkpoint_write(agency_id=agency_id)
    for path in (settings.AUDIT_SIGNING_KEY_FILE, settings.AUDIT_MAC_KEY_FILE):
        assert stat.S_IMODE(Path(path).stat().st_mode) == 0o600
    out = StringIO()
    call_command("audit_public_key", stdout=out, stderr=StringIO())
    assert out.getvalue().startswith("-----BEGIN PUBLIC KEY-----")
    exported = tmp_path / "checkpoints.pub"
    exported.write_text(out.getvalue())
    result = StringIO()
    call_command("audit_verify", agency=agency_id, public_key=exported, stdout=result)
    assert "ok, 2 events, 1 checkpoints" in result.getvalue()
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    stranger = tmp_path / "stranger.pub"
    stranger.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(CommandError):
        call_command("audit_verify", agency=agency_id, public_key=stranger, stdout=StringIO())
