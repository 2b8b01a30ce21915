"""Policy revisions: checks on both engines, four-eyes, activation without a restart, rollback."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from policy.bundles.bundle import bundle_from_directory
from policy.engines import engine_get
from policy.engines.following import ActiveRevisionEngine
from policy.models import PolicyRevision, RevisionScope, RevisionStatus
from policy.revisions import errors
from policy.revisions.errors import RevisionError
from policy.revisions.selectors import decision_revisions, revision_active
from policy.revisions.services import (
    revision_activate,
    revision_draft_create,
    revision_draft_update,
    revision_review,
    revision_rollback,
    revision_submit,
)
from policy.services import policy_decide
from tenants.context import agency_transaction
from tenants.models import User
from tenants.services import user_create
from tests.conftest import Tenant

CASES = Path(settings.BASE_DIR) / "policy" / "fixtures" / "cases"
RAISED_MINIMUM = 21


def case_input(name: str, agency_id: str) -> dict[str, Any]:
    document: dict[str, Any] = copy.deepcopy(json.loads((CASES / name).read_text())["input"])
    document["agency"]["id"] = document["user"]["agency_id"] = agency_id
    document["gallery"]["owner_agency_id"] = agency_id
    return document


def second_officer(tenant: Tenant) -> User:
    """Return another compliance officer of the tenant's agency (created once)."""
    username = f"{tenant.agency.id}_compliance_officer_2"
    with agency_transaction(tenant.agency.id):
        found = User.objects.filter(username=username).first()
    return found or user_create(
        agency=tenant.agency, username=username, roles=["compliance_officer"]
    )


@pytest.fixture
def national(tenant_a: Tenant, committed: None) -> Iterator[Tenant]:
    """Make tenant A's agency the national compliance office for the test."""
    with override_settings(POLICY_NATIONAL_AGENCIES=[tenant_a.agency.id]):
        yield tenant_a


def through_four_eyes(
    revision: PolicyRevision, author: User, reviewer: User, justification: str = ""
) -> PolicyRevision:
    submitted = revision_submit(user=author, revision=revision, justification=justification)
    approved = revision_review(
        user=reviewer, revision=submitted, approve=True, comment="Reviewed the text and the replay."
    )
    return revision_activate(user=reviewer, revision=approved)


def test_the_seed_revision_is_the_files_and_decisions_are_made_under_it(
    national: Tenant,
) -> None:
    seed = revision_active(scope=RevisionScope.BASELINE, agency_id=None)
    assert seed is not None
    files = bundle_from_directory(settings.POLICY_REGO_DIR, include_tests=True)
    assert seed.modules == files.modules
    record = policy_decide(
        agency_id=national.agency.id,
        policy_input=case_input("tps_ica_robbery_allowed.json", national.agency.id),
    )
    assert record.bundle_revision == bundle_from_directory(settings.POLICY_REGO_DIR).revision
    linked = decision_revisions(
        bundle_revision=record.bundle_revision, agency_id=national.agency.id
    )
    assert [r.id for r in linked] == [seed.id]


def test_the_database_refuses_to_change_or_delete_a_revision_past_draft(
    national: Tenant,
) -> None:
    seed = revision_active(scope=RevisionScope.BASELINE, agency_id=None)
    assert seed is not None
    with (
        pytest.raises(DatabaseError, match="immutable"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE policy_policyrevision SET modules = '{}'::jsonb WHERE id = %s", [seed.id]
        )
    with (
        pytest.raises(DatabaseError, match="cannot be deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM policy_policyrevision WHERE id = %s", [seed.id])
    with (
        pytest.raises(DatabaseError, match="cannot go from"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE policy_policyrevision SET status = 'draft' WHERE id = %s", [seed.id])


def test_a_syntax_error_is_reported_at_its_line_and_cannot_be_submitted(
    national: Tenant,
) -> None:
    officer = national.users["compliance_officer"]
    draft = revision_draft_create(user=officer, scope=RevisionScope.BASELINE)
    modules = dict(draft.modules)
    path = "fr/baseline/youth.rego"
    lines = modules[path].splitlines()
    lines.insert(10, "broken := {{")
    modules[path] = "\n".join(lines) + "\n"
    saved = revision_draft_update(
        user=officer, revision=draft, modules=modules, data=draft.data, change_note="broken"
    )
    assert saved.checks["passed"] is False
    finding = saved.checks["findings"][0]
    assert (finding["check"], finding["path"]) == ("parse", path)
    assert finding["line"] >= 11
    assert finding["column"] > 0
    with pytest.raises(RevisionError) as refused:
        revision_submit(user=officer, revision=saved)
    assert refused.value.code == errors.REVISION_CHECKS_FAILED
    assert PolicyRevision.objects.get(id=draft.id).status == RevisionStatus.DRAFT


def test_an_engine_disagreement_cannot_be_submitted(national: Tenant) -> None:
    officer = national.users["compliance_officer"]
    draft = revision_draft_create(user=officer, scope=RevisionScope.BASELINE)
    modules = dict(draft.modules)
    main = modules["fr/main/main.rego"]
    anchor = '"obligations": _baseline.obligations,'
    assert anchor in main
    # OPA sums floats exactly, regorus in binary floating point: the decisions differ.
    modules["fr/main/main.rego"] = main.replace(
        anchor, '"obligations": object.union(_baseline.obligations, {"x": sum([0.1, 0.2])}),'
    )
    saved = revision_draft_update(
        user=officer, revision=draft, modules=modules, data=draft.data, change_note="engines differ"
    )
    assert saved.checks["passed"] is False
    assert any(f["check"] == "engines" for f in saved.checks["findings"])
    with pytest.raises(RevisionError) as refused:
        revision_submit(user=officer, revision=saved)
    assert refused.value.code == errors.REVISION_CHECKS_FAILED


def test_a_deny_reason_without_authority_breaks_an_invariant(national: Tenant) -> None:
    officer = national.users["compliance_officer"]
    draft = revision_draft_create(user=officer, scope=RevisionScope.BASELINE)
    data = copy.deepcopy(draft.data)
    modules = dict(draft.modules)
    reasons = modules["fr/baseline/reasons.rego"]
    marker = '"authority": "'
    start = reasons.index(marker) + len(marker)
    end = reasons.index('"', start)
    modules["fr/baseline/reasons.rego"] = reasons[:start] + reasons[end:]
    saved = revision_draft_update(
        user=officer, revision=draft, modules=modules, data=data, change_note="authority dropped"
    )
    assert saved.checks["passed"] is False
    assert any(
        f["check"] == "invariant" and "authority" in f["message"] for f in saved.checks["findings"]
    )


def test_four_eyes_activation_without_restart_and_rollback(national: Tenant) -> None:
    author = national.users["compliance_officer"]
    reviewer = second_officer(national)
    engine = engine_get()
    assert isinstance(engine, ActiveRevisionEngine)
    seed = revision_active(scope=RevisionScope.BASELINE, agency_id=None)
    assert seed is not None
    allowed = case_input("tps_ica_robbery_allowed.json", national.agency.id)
    allowed["justification"] = "  Robbery suspect 1 AB  "  # 20 characters once trimmed
    before = policy_decide(agency_id=national.agency.id, policy_input=allowed)
    assert before.allow is True

    draft = revision_draft_create(
        user=author, scope=RevisionScope.BASELINE, change_note="Longer justifications"
    )
    data = copy.deepcopy(draft.data)
    data["fr"]["config"]["justification_min_chars"] = RAISED_MINIMUM
    raised = revision_draft_update(
        user=author, revision=draft, modules=draft.modules, data=data, change_note="Longer"
    )
    failing = [(t["ref"], t["path"]) for t in raised.checks["tests"] if not t["passed"]]
    assert failing == [
        (
            "data.fr.baseline_test.test_a03_boundary_19_versus_20_trimmed_characters",
            "fr/baseline/request_test.rego",
        )
    ]
    modules = dict(raised.modules)
    old_line = 'allowed(patch(base, {"justification": "  Robbery suspect 1 AB  "}))'
    assert old_line in modules["fr/baseline/request_test.rego"]
    modules["fr/baseline/request_test.rego"] = modules["fr/baseline/request_test.rego"].replace(
        old_line, 'allowed(patch(base, {"justification": "  Robbery suspect 1 ABC  "}))'
    )
    raised = revision_draft_update(
        user=author, revision=raised, modules=modules, data=data, change_note="Longer"
    )
    assert raised.checks["passed"] is True, raised.checks["findings"]

    with pytest.raises(RevisionError) as other_scope:
        revision_draft_update(
            user=reviewer,
            revision=raised,
            modules=raised.modules,
            data=data,
            change_note="not mine",
        )
    assert other_scope.value.code == errors.REVISION_NOT_EDITABLE
    submitted = revision_submit(user=author, revision=raised)
    with pytest.raises(RevisionError) as self_approval:
        revision_review(user=author, revision=submitted, approve=True, comment="Looks right.")
    assert self_approval.value.code == errors.REVISION_SELF_APPROVAL
    approved = revision_review(
        user=reviewer, revision=submitted, approve=True, comment="Matches the board's direction."
    )
    try:
        active = revision_activate(user=reviewer, revision=approved)
        assert active.status == RevisionStatus.ACTIVE
        assert PolicyRevision.objects.get(id=seed.id).status == RevisionStatus.SUPERSEDED

        after = policy_decide(agency_id=national.agency.id, policy_input=allowed)
        assert engine_get() is engine  # the same engine object: no restart, no new process
        assert after.allow is False
        assert "justification_insufficient" in [r["code"] for r in after.reasons]
        assert after.bundle_revision != before.bundle_revision
        linked = decision_revisions(
            bundle_revision=after.bundle_revision, agency_id=national.agency.id
        )
        assert [r.id for r in linked] == [active.id]
    finally:
        restore = revision_rollback(user=author, target=seed)
        assert restore.rollback_of_id == seed.id
        with pytest.raises(RevisionError) as self_rollback:
            revision_submit(user=author, revision=restore)
            revision_review(user=author, revision=restore, approve=True, comment="self")
        assert self_rollback.value.code == errors.REVISION_SELF_APPROVAL
        restore = PolicyRevision.objects.get(id=restore.id)
        approved_back = revision_review(
            user=reviewer, revision=restore, approve=True, comment="Restore the previous rule."
        )
        revision_activate(user=reviewer, revision=approved_back)
    restored = policy_decide(agency_id=national.agency.id, policy_input=allowed)
    assert restored.allow is True
    assert restored.bundle_revision == before.bundle_revision


def test_an_overlay_goes_through_its_own_agencys_officers_only(
    national: Tenant, tenant_b: Tenant
) -> None:
    owner = tenant_b.users["compliance_officer"]
    colleague = second_officer(tenant_b)
    outsider = national.users["compliance_officer"]
    with pytest.raises(RevisionError) as refused:
        revision_draft_create(user=outsider, scope=RevisionScope.OVERLAY, agency=tenant_b.agency)
    assert refused.value.code == errors.REVISION_NOT_PERMITTED
    draft = revision_draft_create(user=owner, scope=RevisionScope.OVERLAY, agency=tenant_b.agency)
    assert draft.checks == {}
    saved = revision_draft_update(
        user=owner,
        revision=draft,
        modules=draft.modules,
        data={},
        change_note="No public web probes",
    )
    assert saved.checks["passed"] is True, saved.checks["findings"]
    with agency_transaction(national.agency.id):
        assert not PolicyRevision.objects.filter(id=draft.id).exists()  # row-level security
    submitted = revision_submit(user=owner, revision=saved)
    with pytest.raises(RevisionError) as not_theirs:
        revision_review(user=outsider, revision=submitted, approve=True, comment="ok from A")
    assert not_theirs.value.code == errors.REVISION_NOT_PERMITTED
    approved = revision_review(
        user=colleague, revision=submitted, approve=True, comment="Local directive 12."
    )
    overlay_input = case_input("tps_ica_robbery_allowed.json", tenant_b.agency.id)
    overlay_input["probe"]["source"] = "public_web"
    active = revision_activate(user=colleague, revision=approved)
    try:
        decided = policy_decide(agency_id=tenant_b.agency.id, policy_input=overlay_input)
        assert "local_example" in [r["code"] for r in decided.reasons]
        elsewhere = case_input("tps_ica_robbery_allowed.json", national.agency.id)
        elsewhere["probe"]["source"] = "public_web"
        other = policy_decide(agency_id=national.agency.id, policy_input=elsewhere)
        assert "local_example" not in [r["code"] for r in other.reasons]
    finally:
        # An overlay is withdrawn by activating an approved overlay that denies nothing more.
        empty = revision_draft_create(
            user=owner, scope=RevisionScope.OVERLAY, agency=tenant_b.agency
        )
        prefix = f"fr/overlays/{tenant_b.agency.id}/"
        quiet = {
            f"{prefix}overlay.rego": f"package fr.overlays.{tenant_b.agency.id}\n\ndeny := set()\n",
            f"{prefix}overlay_test.rego": f"package fr.overlays.{tenant_b.agency.id}_test\n\n"
            f"test_nothing if count(data.fr.overlays."
            f"{tenant_b.agency.id}.deny) == 0\n",
        }
        empty = revision_draft_update(
            user=owner, revision=empty, modules=quiet, data={}, change_note="withdraw"
        )
        assert empty.checks["passed"] is True, empty.checks["findings"]
        through_four_eyes(empty, owner, colleague)
    assert active.agency_id == tenant_b.agency.id


def test_a_failing_check_result_is_per_test_and_per_engine(national: Tenant) -> None:
    officer = national.users["compliance_officer"]
    draft = revision_draft_create(user=officer, scope=RevisionScope.BASELINE)
    modules = dict(draft.modules)
    modules["fr/baseline/engines_test.rego"] = (
        "package fr.baseline.engines_test\n\ntest_float_sum if sum([0.1, 0.2]) == 0.3\n"
    )
    saved = revision_draft_update(
        user=officer, revision=draft, modules=modules, data=draft.data, change_note="float"
    )
    failing = [t for t in saved.checks["tests"] if not t["passed"]]
    assert [t["ref"] for t in failing] == ["data.fr.baseline.engines_test.test_float_sum"]
    assert (failing[0]["regorus"], failing[0]["opa"]) == (False, True)
    assert failing[0]["path"] == "fr/baseline/engines_test.rego"
    assert failing[0]["line"] == 3


def test_a_decision_made_while_revisions_cannot_be_read_is_a_deny(
    national: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    import policy.revisions.selectors as selectors

    def broken() -> tuple[str, ...]:
        raise DatabaseError("relation is unavailable")

    monkeypatch.setattr(selectors, "active_revision_key", broken)
    engine = ActiveRevisionEngine(check_seconds=0)
    decided = engine.decide(case_input("tps_ica_robbery_allowed.json", national.agency.id))
    assert decided.allow is False
    assert "policy revisions unavailable" in decided.error


def test_deny_to_allow_flips_in_the_replay_need_a_written_justification(
    national: Tenant,
) -> None:
    from policy.models import PolicyReplay

    officer = national.users["compliance_officer"]
    draft = revision_draft_create(user=officer, scope=RevisionScope.BASELINE)
    saved = revision_draft_update(
        user=officer,
        revision=draft,
        modules=draft.modules,
        data=draft.data,
        change_note="same text",
    )
    with agency_transaction(national.agency.id):
        PolicyReplay.objects.create(
            agency_id=national.agency.id,
            revision=saved,
            requested_by=officer,
            days=30,
            status="done",
            totals={"deny_to_allow": 2, "allow_to_deny": 0},
        )
    with pytest.raises(RevisionError) as refused:
        revision_submit(user=officer, revision=saved, justification="because")
    assert refused.value.code == errors.REVISION_JUSTIFICATION_REQUIRED
    submitted = revision_submit(
        user=officer,
        revision=saved,
        justification="The board's direction of 2026-11 allows these two searches.",
    )
    assert submitted.status == RevisionStatus.SUBMITTED
    assert submitted.justification.startswith("The board's direction")
