"""Put the files in ``policy/rego`` in force as the baseline where the one in force is a seed.

A release that changes the baseline files ships a data migration calling
``release_baseline_store``. A database seeded before carries the earlier files as its active
baseline; this stores the current files as the next baseline revision and supersedes the old
one, as the seed was stored (no author: it is the release's text), and records the activation.
A baseline that compliance officers have since revised is left alone: the change then goes
through their four-eyes review like any other. A database whose baseline in force already is
these files gets nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

TEST_SUFFIX = "_test.rego"


def release_baseline_store(apps: Any, schema_editor: Any, *, change_note: str) -> bool:
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
        return False
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
        change_note=change_note,
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
    return True
