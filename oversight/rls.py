"""The database predicate admitting an oversight auditor to exactly the agencies granted.

A transaction acting for an auditor sets ``app.oversight_user`` (``oversight.context``) and no
agency. A second, SELECT-only policy on each readable table then admits a row when a grant of
that auditor names the row's agency and is in force at the transaction's start. Policies are
permissive, so agency isolation is unchanged; and because the policy is ``FOR SELECT`` an
auditor's transaction can write nothing into an overseen agency's tables.
"""

from __future__ import annotations

SETTING = "app.oversight_user"

# Readable in scope: the audit trail, its checkpoints, searches' metadata, their follow-up
# tasks (post-hoc reviews and the like) and decisions.
# Deletion certificates get the same policy in the migration creating them (matching 0015).
# Never faces, photos, probes, subjects or candidates (images, embeddings, names).
READABLE_TABLES = (
    "audit_auditevent",
    "audit_auditcheckpoint",
    "matching_search",
    "matching_followup",
    "policy_policydecision",
)

FUNCTION_SQL = """
CREATE FUNCTION oversight_admits(row_agency text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, public AS $$
    SELECT EXISTS (
        SELECT 1 FROM oversight_oversightgrant g
        WHERE g.auditor_id = NULLIF(current_setting('app.oversight_user', true), '')::bigint
          AND g.agency_id = row_agency
          AND g.revoked_at IS NULL
          AND g.starts_at <= now() AND now() < g.ends_at
    )
$$;
"""

FUNCTION_BACKWARD_SQL = "DROP FUNCTION IF EXISTS oversight_admits(text);"


def oversight_policy_sql(table: str) -> str:
    """Return SQL adding the auditor's read policy to ``table``."""
    return (
        f"CREATE POLICY oversight_read ON {table} FOR SELECT "
        f"USING (oversight_admits(agency_id::text));"
    )


def oversight_policy_drop_sql(table: str) -> str:
    """Return SQL undoing :func:`oversight_policy_sql`."""
    return f"DROP POLICY IF EXISTS oversight_read ON {table};"
