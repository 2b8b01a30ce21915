"""SQL that puts a tenant-owned table under row-level security keyed on ``app.agency_id``."""

from __future__ import annotations

_PREDICATE = "agency_id = NULLIF(current_setting('app.agency_id', true), '')"


def rls_enable_sql(table: str) -> str:
    """Return SQL enabling and forcing agency isolation on ``table``."""
    return (
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;"
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY;"
        f"CREATE POLICY agency_isolation ON {table} USING ({_PREDICATE}) "
        f"WITH CHECK ({_PREDICATE});"
    )


def rls_disable_sql(table: str) -> str:
    """Return SQL undoing :func:`rls_enable_sql`."""
    return (
        f"DROP POLICY IF EXISTS agency_isolation ON {table};"
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;"
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;"
    )
