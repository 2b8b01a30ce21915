# ruff: noqa: S608  (identifiers come from migrations, never from input)
"""SQL for references that can only point at a row of the referencing row's own agency.

A plain foreign key is checked by PostgreSQL as the table owner, past row-level security, so it
accepts another agency's id. A composite key ``(agency_id, ref)`` against the target's
``UNIQUE (agency_id, id)`` accepts only a row of the same agency (deferred, like Django's own
constraints, so deleting in dependency order within one transaction still works).
"""

from __future__ import annotations


def agency_key_sql(table: str) -> tuple[str, str]:
    """Return SQL adding (and removing) ``UNIQUE (agency_id, id)`` on ``table``."""
    name = f"{table}_agency_key"
    return (
        f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE (agency_id, id);",
        f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name};",
    )


def same_agency_reference_sql(table: str, column: str, target: str) -> tuple[str, str]:
    """Return SQL making ``table.column`` reference only ``target`` rows of its own agency.

    The column's single-column key is dropped: the composite one implies it, and keeping both
    would tell apart "another agency's row" from "no such row" by which one fails.
    """
    name = f"{table}_{column}_same_agency"[:63]
    single = f"{table}_{column}_fk"[:63]
    drop_single = f"""
DO $$
DECLARE
    found_name text;
BEGIN
    FOR found_name IN
        SELECT c.conname FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.conrelid = '{table}'::regclass AND c.contype = 'f'
          AND array_length(c.conkey, 1) = 1 AND a.attname = '{column}'
    LOOP
        EXECUTE format('ALTER TABLE {table} DROP CONSTRAINT %I', found_name);
    END LOOP;
END $$;
"""
    return (
        drop_single
        + f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY (agency_id, {column}) "
        f"REFERENCES {target} (agency_id, id) DEFERRABLE INITIALLY DEFERRED;",
        f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name};"
        f"ALTER TABLE {table} ADD CONSTRAINT {single} FOREIGN KEY ({column}) "
        f"REFERENCES {target} (id) DEFERRABLE INITIALLY DEFERRED;",
    )
