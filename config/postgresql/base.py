"""PostgreSQL as Django ships it, plus a count of the COMMITs each connection has sent.

A request that loses its database connection may be run again only if nothing of it can have
been committed. ``tenants.outage`` compares ``commits_sent`` before and after a request: a
COMMIT that was sent (even one whose answer never came back) makes a re-run unsafe.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    """Count every COMMIT before it is sent: its outcome is unknown if the answer is lost."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commits_sent = 0

    def commit(self) -> None:
        self.commits_sent += 1
        super().commit()
