"""Put the files in policy/rego in force as the baseline where the one in force is an older seed.

The release changes the rules' METADATA comments only: J-05's description is valid YAML (it
held ": " unquoted, so the reason page showed it as text), and long authorities and
descriptions are folded over several comment lines (``>-``: the same parsed text). No rule
decides differently, but the text, and so the revision's digest, changed: a database seeded
before gets the files as its next baseline revision (``release_baseline_store``); one whose
baseline compliance officers have revised is left to their review.
"""

from typing import Any

from django.db import migrations


def baseline_from_files(apps: Any, schema_editor: Any) -> None:
    from policy.revisions.release_baseline import release_baseline_store

    release_baseline_store(
        apps,
        schema_editor,
        change_note="Release baseline: the files in policy/rego, METADATA comments only "
        "(J-05's description parses as YAML; long authorities and descriptions folded, "
        "same text). No rule changed.",
    )


class Migration(migrations.Migration):
    dependencies = [("policy", "0009_baseline_exigent_grant")]

    operations = [migrations.RunPython(baseline_from_files, migrations.RunPython.noop)]
