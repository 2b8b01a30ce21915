"""Drop the per-agency HNSW indexes: nearest faces come from an exact scan of the gallery.

The graph index is no longer on the search path (``matching.gallery_vectors``), and keeping it
would cost a full build after every archive import and a slow index clean-up after every
erasure. Going back rebuilds the indexes with the parameters they had.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

PARTITIONS = """
SELECT c.relname FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
WHERE p.relname = 'matching_face'
"""


def _partitions(schema_editor: BaseDatabaseSchemaEditor) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(PARTITIONS)
        return [row[0] for row in cursor.fetchall()]


def hnsw_drop(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for table in _partitions(schema_editor):
        schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_hnsw"')


def hnsw_create(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for table in _partitions(schema_editor):
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{table}_hnsw" ON "{table}" '
            "USING hnsw (embedding vector_l2_ops) WITH (m = 16, ef_construction = 64)"
        )


class Migration(migrations.Migration):
    dependencies = [("matching", "0012_several_faces_held_photos")]

    operations = [migrations.RunPython(hnsw_drop, hnsw_create)]
