"""PostgreSQL as Django ships it, counting what each connection may have made durable.

A request that loses its database connection may be run again only if nothing of it can have
been committed. ``tenants.outage`` compares ``durable_writes`` before and after a run: it counts
every COMMIT sent for a transaction that wrote (even one whose answer never came back: its
outcome is unknown) and every writing statement run in autocommit. Read-only transactions do not
count.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base

# Statements that change no data. Anything else (including WITH, which may hold an UPDATE)
# counts as a write.
_READ_PREFIXES = ("SELECT", "SHOW", "SET ", "EXPLAIN")


class DatabaseWrapper(base.DatabaseWrapper):
    """Count COMMITs of writing transactions and autocommit writes before they are sent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.durable_writes = 0
        self._wrote_in_transaction = False
        self.execute_wrappers.append(self._note_write)

    def _note_write(
        self, execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        if not str(sql).lstrip().upper().startswith(_READ_PREFIXES):
            if self.in_atomic_block:
                self._wrote_in_transaction = True
            else:
                self.durable_writes += 1
        return execute(sql, params, many, context)

    def commit(self) -> None:
        if self._wrote_in_transaction:
            self.durable_writes += 1
        self._wrote_in_transaction = False
        super().commit()

    def rollback(self) -> None:
        self._wrote_in_transaction = False
        super().rollback()

    def close(self) -> None:
        if not self.in_atomic_block:
            self._wrote_in_transaction = False
        super().close()
