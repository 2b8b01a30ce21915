"""A database seeded with an earlier release's baseline gets the current files in force."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connections, transaction

from policy.bundles.bundle import TEST_SUFFIX, Bundle, bundle_from_directory
from policy.revisions.models import PolicyActivation, PolicyRevision
from tests.conftest import Tenant

MIGRATION = importlib.import_module("policy.migrations.0009_baseline_exigent_grant")
METADATA_MIGRATION = importlib.import_module("policy.migrations.0010_baseline_metadata_yaml")
EXIGENT = "fr/baseline/exigent.rego"
JURISDICTION = "fr/baseline/jurisdiction.rego"
J05_FOLDED = (
    "# description: >-\n"
    "#   a valid domestic agreement made an out-of-territory probe usable (§9.8: not for foreign "
    "probes).\n"
)
J05_BEFORE = (
    "# description: a valid domestic agreement made an out-of-territory probe usable "
    "(§9.8: not for foreign probes).\n"
)


class _RolledBack(Exception):
    """Raised to undo what the test stored."""


def _without_e09(modules: dict[str, str]) -> None:
    text = modules[EXIGENT]
    start = text.index("# METADATA\n# title: E-09")
    end = text.index("# METADATA\n# title: E-08")
    modules[EXIGENT] = text[:start] + text[end:]


def _older_release(
    *, author_id: int | None, change: Callable[[dict[str, str]], None] = _without_e09
) -> PolicyRevision:
    """Put in force, in place of the current baseline, an earlier one (default: without E-09)."""
    files = bundle_from_directory(settings.POLICY_REGO_DIR, include_tests=True)
    modules = dict(files.modules)
    change(modules)
    revisions = PolicyRevision.objects.using("owner")
    current = revisions.get(scope="baseline", status="active")
    current.status = "superseded"
    current.save(update_fields=["status"])
    number = max(r.number for r in revisions.filter(scope="baseline")) + 1
    return revisions.create(
        scope="baseline",
        number=number,
        status="active",
        modules=modules,
        data=files.data,
        digest=Bundle(modules=modules, data=files.data).revision,
        checks={},
        checks_digest="",
        author_id=author_id,
        change_note="An earlier release.",
    )


def _migrate() -> None:
    MIGRATION.baseline_from_files(apps, SimpleNamespace(connection=connections["owner"]))


def test_an_earlier_seed_in_force_is_superseded_by_the_files(committed: None) -> None:
    files = bundle_from_directory(settings.POLICY_REGO_DIR, include_tests=True)
    with pytest.raises(_RolledBack), transaction.atomic(using="owner"):
        older = _older_release(author_id=None)
        _migrate()
        revisions = PolicyRevision.objects.using("owner")
        older.refresh_from_db(using="owner")
        assert older.status == "superseded" and older.superseded_at is not None
        current = revisions.get(scope="baseline", status="active")
        assert current.number == older.number + 1
        assert current.parent_id == older.id
        assert current.modules == files.modules and current.digest == files.revision
        assert "exigent_approval_not_for_this_search" in current.modules[EXIGENT]
        activation = PolicyActivation.objects.using("owner").filter(revision=current).get()
        in_force = list(revisions.filter(status="active"))
        assert activation.revision_ids == sorted(str(r.id) for r in in_force)
        served: dict[str, str] = {}
        for active in in_force:
            served.update({p: t for p, t in active.modules.items() if not p.endswith(TEST_SUFFIX)})
        assert activation.bundle_revision == Bundle(modules=served, data=files.data).revision
        _migrate()  # run again: nothing more to do
        assert revisions.filter(scope="baseline", number__gt=current.number).count() == 0
        raise _RolledBack


def test_a_baseline_revised_by_compliance_officers_is_left_to_their_review(
    committed: None, tenant_a: Tenant
) -> None:
    officer = tenant_a.users["compliance_officer"]
    with pytest.raises(_RolledBack), transaction.atomic(using="owner"):
        reviewed = _older_release(author_id=officer.pk)
        _migrate()
        current = PolicyRevision.objects.using("owner").get(scope="baseline", status="active")
        assert current.id == reviewed.id
        raise _RolledBack


def test_a_database_seeded_from_these_files_gets_no_new_revision(committed: None) -> None:
    before = PolicyRevision.objects.using("owner").filter(scope="baseline").count()
    with pytest.raises(_RolledBack), transaction.atomic(using="owner"):
        _migrate()
        assert PolicyRevision.objects.using("owner").filter(scope="baseline").count() == before
        raise _RolledBack


def _earlier_metadata(modules: dict[str, str]) -> None:
    """J-05's description as the seed held it: one line, a ": " unquoted (not YAML)."""
    assert J05_FOLDED in modules[JURISDICTION]
    modules[JURISDICTION] = modules[JURISDICTION].replace(J05_FOLDED, J05_BEFORE)


def test_a_seed_with_the_earlier_metadata_gets_the_files_as_its_next_baseline(
    committed: None,
) -> None:
    files = bundle_from_directory(settings.POLICY_REGO_DIR, include_tests=True)
    with pytest.raises(_RolledBack), transaction.atomic(using="owner"):
        older = _older_release(author_id=None, change=_earlier_metadata)
        assert older.digest != files.revision
        METADATA_MIGRATION.baseline_from_files(
            apps, SimpleNamespace(connection=connections["owner"])
        )
        revisions = PolicyRevision.objects.using("owner")
        current = revisions.get(scope="baseline", status="active")
        assert (current.parent_id, current.number) == (older.id, older.number + 1)
        assert current.modules == files.modules and current.digest == files.revision
        assert current.author_id is None and "METADATA" in current.change_note
        assert PolicyActivation.objects.using("owner").filter(revision=current).exists()
        raise _RolledBack
