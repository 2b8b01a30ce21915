"""Put the files in policy/rego in force as the baseline where the one in force is an older seed.

The release adds E-09 (``exigent_approval_not_for_this_search``): an exigent approval holds only
for the case, the officer and the purpose it was granted for. A database seeded before carries
the earlier files as its active baseline; this stores the current files as the next baseline
revision and supersedes the old one, as the seed was stored (no author: it is the release's
text). A baseline that compliance officers have since revised is left alone: the change then
goes through their four-eyes review like any other.
"""

from typing import Any

from django.conf import settings
from django.db import migrations

TEST_SUFFIX = "_test.rego"


def baseline_from_files(apps: Any, schema_editor: Any) -> None:
    """Store the files as the next active baseline if the one in force is an earlier seed."""
    from django.utils import timezone

    from policy.bundles.bundle import Bundle, bundle_from_directory

    revision_model = apps.get_model("policy", "PolicyRevision")
    activation_model = apps.get_model("policy", "PolicyActivation")
    db = schema_editor.connection.alias
    revisions = revision_model.objects.using(db)
    current = revisions.filter(scope="baseline", status="active").first()
    files = bundle_from_directory(settings.POLICY_REGO_DIR, include_tests=True)
    if current is None or current.digest == files.revision or current.author_id is not None:
        return
    now = timezone.now()
    current.status = "superseded"
    current.superseded_at = now
    current.save(update_fields=["status", "superseded_at"])
    number = max(r.number for r in revisions.filter(scope="baseline")) + 1
    revision = revisions.create(
        scope="baseline",
        number=number,
        status="active",
        parent=current,
        modules=files.modules,
        data=files.data,
        digest=files.revision,
        change_note="Release baseline: the files in policy/rego, with E-09 "
        "(exigent approvals hold only for their case, officer and purpose).",
        checks={},
        checks_digest="",
        activated_at=now,
    )
    in_force = list(revisions.filter(status="active").order_by("scope", "agency_id"))
    modules: dict[str, str] = {}
    for active in in_force:
        modules.update({p: t for p, t in active.modules.items() if not p.endswith(TEST_SUFFIX)})
    activation_model.objects.using(db).create(
        revision=revision,
        bundle_revision=Bundle(modules=modules, data=files.data).revision,
        revision_ids=sorted(str(r.id) for r in in_force),
    )


class Migration(migrations.Migration):
    dependencies = [("policy", "0008_policy_revision_rules")]

    operations = [migrations.RunPython(baseline_from_files, migrations.RunPython.noop)]
