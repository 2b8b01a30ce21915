"""What deploy/README.md says about spreading agencies over Citus nodes holds for the schema.

No Citus cluster runs here, so this checks Citus' documented rules against the real schema:
every row-level-secured table carries ``agency_id`` (the distribution column) and a policy on
it alone; directory tables (reference tables) never point at agency tables; and the README's
table of distributed and reference tables, and of the keys to widen first, matches the schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from tests.deploy.files import database_host

README = Path(settings.BASE_DIR) / "deploy" / "README.md"

TABLES = """
SELECT c.oid, c.relname, c.relforcerowsecurity
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
"""
KEYS = """
SELECT con.conrelid, con.contype, con.confrelid,
       ARRAY(SELECT a.attname::text FROM pg_attribute a
             WHERE a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey))
FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
WHERE n.nspname = 'public' AND con.contype IN ('p', 'u', 'f')
"""


@dataclass
class Schema:
    """The catalogue facts Citus' rules are about."""

    names: dict[int, str]
    distributed: set[str]
    keys: list[tuple[int, str, int, list[str]]]
    policies: dict[str, list[str]]
    agency_column: set[str]


@pytest.fixture(scope="module")
def schema(django_db_setup: None) -> Schema:
    owner = settings.DATABASES["owner"]
    info = {"host": database_host(owner), "user": owner["USER"], "dbname": owner["NAME"]}
    with psycopg.connect(**info) as conn:
        tables = conn.execute(TABLES).fetchall()
        keys = [(r, k, t, list(c)) for r, k, t, c in conn.execute(KEYS)]
        policies: dict[str, list[str]] = {}
        for table, qual in conn.execute("SELECT tablename, qual FROM pg_policies"):
            policies.setdefault(table, []).append(qual or "")
        agency_column = {
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.columns WHERE column_name = "
                "'agency_id' AND is_nullable = 'NO' AND table_schema = 'public'"
            )
        }
    return Schema(
        names={oid: name for oid, name, _ in tables},
        distributed={name for _, name, forced in tables if forced},
        keys=keys,
        policies=policies,
        agency_column=agency_column,
    )


def _readme_rows() -> dict[str, tuple[str, str]]:
    """Rows of the README's Citus table: table → (placement, keys to widen)."""
    section = README.read_text().split("#### Tables on Citus", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+?) \| ([^|]*?) \|$", section, re.M)
    return {name: (placement, widen) for name, placement, widen in rows}


# Tables the guide names as blockers to distribution, each with what must change first; a new
# blocker fails these tests until the guide says what to do about it.
CITUS_BLOCKERS = {"policy_policyrevision": "The national policy baseline."}


def test_every_blocker_is_explained_in_the_guide() -> None:
    guide = (Path(settings.BASE_DIR) / "deploy" / "README.md").read_text()
    for table, heading in CITUS_BLOCKERS.items():
        assert f"**{heading}** `{table}`" in guide, table


def test_every_secured_table_has_the_distribution_column_and_a_policy_on_it(
    schema: Schema,
) -> None:
    assert len(schema.distributed) >= 10
    assert schema.distributed - set(CITUS_BLOCKERS) <= schema.agency_column
    for table in schema.distributed - set(CITUS_BLOCKERS):
        assert schema.policies.get(table), f"{table} has no policy"
        # Every policy is keyed on the distribution column; the agency's own isolation reads
        # the per-transaction setting (an oversight read admits granted agencies by the same
        # column, through the grants).
        for qual in schema.policies[table]:
            assert "agency_id" in qual, (table, qual)
        assert any("app.agency_id" in q for q in schema.policies[table]), table


def test_no_reference_table_points_at_an_agency_table(schema: Schema) -> None:
    for relid, kind, target, _ in schema.keys:
        source = schema.names.get(relid, "")
        if kind == "f" and source and source not in schema.distributed:
            destination = schema.names[target]
            if destination in CITUS_BLOCKERS:
                continue  # moves with its blocker (see the guide)
            assert destination not in schema.distributed, f"{source} -> {destination}"


def test_the_readme_names_the_distributed_and_reference_tables(schema: Schema) -> None:
    rows = _readme_rows()
    assert set(rows) == set(schema.names.values())
    placed = {name for name, (placement, _) in rows.items() if placement.startswith("distributed")}
    assert placed == schema.distributed


def test_the_readme_lists_every_key_that_must_include_agency_id_first(schema: Schema) -> None:
    """Citus needs the distribution column in every primary and unique key of a distributed
    table and in every foreign key between two of them; the README says which to widen."""
    lacking: set[str] = set()
    for relid, kind, target, columns in schema.keys:
        table = schema.names.get(relid)
        if table not in schema.distributed or "agency_id" in columns:
            continue
        if kind in ("p", "u") or schema.names.get(target) in schema.distributed:
            lacking.add(table)
    widen = {name for name, (_, keys) in _readme_rows().items() if keys.strip() not in ("", "—")}
    assert widen == lacking
