"""The portal's policy authoring pages: the revisions, one revision with its checks, its
differences from the revision in force and its decisions, and one page per reason code.

Views only translate between HTTP and the services: the same four-eyes rules as the API.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View

from policy.api_lists import decision_list
from policy.revisions.diff import data_text, revision_diff
from policy.revisions.errors import RevisionError
from policy.revisions.history import reason_decision_count, revision_decisions
from policy.revisions.models import PolicyReplay, PolicyRevision, RevisionScope, RevisionStatus
from policy.revisions.replay import replay_request
from policy.revisions.rule_text import CODE_RE, reason_rules
from policy.revisions.selectors import active_revisions, revision_active
from policy.revisions.services import (
    officer_may_author,
    revision_activate,
    revision_draft_create,
    revision_draft_update,
    revision_review,
    revision_rollback,
    revision_submit,
)
from portal.mixins import StaffMixin
from portal.reasons import REASON_MESSAGES
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.models import Role
from tenants.need_to_know import list_scope

HISTORY_LATEST = 20
REASON_WINDOW_DAYS = 30

REVISION_STATUS_LABELS = {
    "draft": gettext_lazy("Draft"),
    "submitted": gettext_lazy("Submitted"),
    "approved": gettext_lazy("Approved"),
    "active": pgettext_lazy("policy revision status", "Active"),
    "superseded": gettext_lazy("Superseded"),
    "rejected": gettext_lazy("Rejected"),
}


class _OfficerMixin(StaffMixin):
    def officer_only(self) -> None:
        if Role.COMPLIANCE_OFFICER.value not in (self.user.roles or []):
            raise Http404

    def listable_decisions(self) -> Any:
        """Return the agency's decisions the officer may list (lazy), or None if none."""
        try:
            scope = list_scope(user=self.user, entity="decisions")
        except ApiError:
            return None
        return decision_list(agency=self.agency, user=self.user, scope=scope, filters={})


class PolicyRevisionListView(_OfficerMixin, View):
    """Every revision the officer may author, newest first, and a way to start a draft."""

    def get(self, request: HttpRequest) -> HttpResponse:
        self.officer_only()
        with agency_transaction(self.agency.id):
            rows = list(
                PolicyRevision.objects.select_related("author", "reviewer").order_by(
                    "scope", "-number"
                )
            )
        rows = [
            r
            for r in rows
            if officer_may_author(user=self.user, scope=r.scope, agency_id=r.agency_id)
        ]
        national = self.agency.id in settings.POLICY_NATIONAL_AGENCIES
        for row in rows:
            row.status_label = REVISION_STATUS_LABELS.get(row.status, row.status)  # type: ignore[attr-defined]
        return render(request, "portal/policy_revisions.html", {"rows": rows, "national": national})

    def post(self, request: HttpRequest) -> HttpResponse:
        self.officer_only()
        scope = request.POST.get("scope", "")
        try:
            revision = revision_draft_create(
                user=self.user,
                scope=scope,
                agency=self.agency if scope == RevisionScope.OVERLAY else None,
            )
        except RevisionError as exc:
            messages.error(request, exc.message)
            return redirect("portal:policy_revisions")
        return redirect("portal:policy_revision", revision_id=revision.id)


class PolicyRevisionDetailView(_OfficerMixin, View):
    """One revision: its text, the check results at their lines, actions.

    A draft its author may edit shows each module in the editor (which marks the findings in
    its gutter) and, above it, only the lines the checks flagged; every other revision shows
    the read-only text with line numbers and the findings beside their lines.
    """

    def revision(self, revision_id: uuid.UUID) -> PolicyRevision:
        self.officer_only()
        with agency_transaction(self.agency.id):
            revision = (
                PolicyRevision.objects.select_related("author", "reviewer", "activated_by")
                .filter(id=revision_id)
                .first()
            )
        if revision is None or not officer_may_author(
            user=self.user, scope=revision.scope, agency_id=revision.agency_id
        ):
            raise Http404
        return revision

    def get(self, request: HttpRequest, revision_id: uuid.UUID) -> HttpResponse:
        revision = self.revision(revision_id)
        return render(request, "portal/policy_revision.html", self.page(revision))

    def page(self, revision: PolicyRevision) -> dict[str, Any]:
        checks = revision.checks or {}
        by_line: dict[tuple[str, int], list[str]] = {}
        for finding in checks.get("findings", []):
            by_line.setdefault((finding["path"], finding["line"]), []).append(
                f"{finding['check']}: {finding['message']}"
            )
        for test in checks.get("tests", []):
            if not test["passed"]:
                engines = ", ".join(e for e in ("regorus", "opa") if not test[e])
                by_line.setdefault((test["path"], test["line"]), []).append(
                    _("test failed on %(engines)s: %(ref)s")
                    % {"engines": engines, "ref": test["ref"]}
                )
        modules = []
        placed: set[tuple[str, int]] = set()
        for path, text in sorted(revision.modules.items()):
            lines = text.splitlines() or [""]
            last = len(lines)
            rows = []
            for n, line in enumerate(lines, start=1):
                notes = list(by_line.get((path, n), []))
                placed.add((path, n))
                if n == last:  # an error at the end of the file belongs to its last line
                    for (where, at), more in by_line.items():
                        if where == path and at > last:
                            notes += more
                            placed.add((where, at))
                rows.append({"number": n, "text": line, "notes": notes})
            notes_json = json.dumps(
                [{"line": r["number"], "message": m} for r in rows for m in r["notes"]],
                ensure_ascii=False,
            )
            flagged = [r for r in rows if r["notes"]]
            modules.append(
                {"path": path, "lines": rows, "flagged": flagged, "notes_json": notes_json}
            )
        unplaced = [note for key, notes in by_line.items() if key not in placed for note in notes]
        return {
            "revision": revision,
            "status_label": REVISION_STATUS_LABELS.get(revision.status, revision.status),
            "modules": modules,
            "checks": checks,
            "unplaced": unplaced,
            "data_text": data_text(revision.data),
            "is_author": revision.author_id == self.user.pk,
            "replay": self.latest_replay(revision),
            **self.compared(revision),
            **self.history(revision),
        }

    def compared(self, revision: PolicyRevision) -> dict[str, Any]:
        """The differences from the revision in force (from its parent, for that one)."""
        with agency_transaction(self.agency.id):
            base = revision_active(scope=revision.scope, agency_id=revision.agency_id)
            if base is not None and base.id == revision.id:
                base = revision.parent
        if base is None:
            return {"base": None, "diffs": []}
        diffs = revision_diff(
            old_modules=base.modules,
            old_data=base.data,
            new_modules=revision.modules,
            new_data=revision.data,
        )
        is_active = base.status == RevisionStatus.ACTIVE
        return {"base": base, "base_is_active": is_active, "diffs": diffs}

    def history(self, revision: PolicyRevision) -> dict[str, Any]:
        """The decisions made under this revision that the officer may list."""
        decisions = self.listable_decisions()
        was_in_force = revision.status in (RevisionStatus.ACTIVE, RevisionStatus.SUPERSEDED)
        if decisions is None or not was_in_force:
            return {"decisions": [], "decision_count": 0, "was_in_force": was_in_force}
        with agency_transaction(self.agency.id):
            made = revision_decisions(decisions, revision)
            return {
                "decision_count": made.count(),
                "decisions": list(made[:HISTORY_LATEST]),
                "was_in_force": True,
            }

    def invalid_data(
        self, request: HttpRequest, revision: PolicyRevision, posted: str, exc: ValueError
    ) -> HttpResponse:
        """Show the page again with the posted data document and where it stops parsing."""
        page = self.page(revision)
        page["data_text"] = posted
        if isinstance(exc, json.JSONDecodeError):
            page["data_error"] = _(
                "The data document is not valid JSON: line %(line)s, column %(column)s: %(msg)s."
            ) % {"line": exc.lineno, "column": exc.colno, "msg": exc.msg}
        else:
            page["data_error"] = _("The data document is not valid JSON.")
        return render(request, "portal/policy_revision.html", page, status=400)

    def latest_replay(self, revision: PolicyRevision) -> PolicyReplay | None:
        with agency_transaction(self.agency.id):
            return (
                PolicyReplay.objects.filter(revision=revision, agency_id=self.agency.id)
                .order_by("-created_at")
                .first()
            )

    def post(self, request: HttpRequest, revision_id: uuid.UUID) -> HttpResponse:
        revision = self.revision(revision_id)
        action = request.POST.get("action", "")
        comment = request.POST.get("comment", "")
        try:
            if action == "save":
                modules = dict(revision.modules)
                path = request.POST.get("path", "")
                if path in modules:
                    modules[path] = request.POST.get("text", "").replace("\r\n", "\n")
                posted = request.POST.get("data", "{}")
                try:
                    data = json.loads(posted)
                except ValueError as exc:
                    return self.invalid_data(request, revision, posted, exc)
                revision_draft_update(
                    user=self.user,
                    revision=revision,
                    modules=modules,
                    data=data,
                    change_note=comment or revision.change_note,
                )
            elif action == "submit":
                revision_submit(user=self.user, revision=revision, justification=comment)
            elif action in ("approve", "reject"):
                revision_review(
                    user=self.user, revision=revision, approve=action == "approve", comment=comment
                )
            elif action == "activate":
                revision_activate(user=self.user, revision=revision)
            elif action == "replay":
                try:
                    days = int(request.POST.get("days", "30"))
                except ValueError:
                    days = 0
                replay_request(user=self.user, revision=revision, days=days)
            elif action == "rollback":
                draft = revision_rollback(user=self.user, target=revision)
                return redirect("portal:policy_revision", revision_id=draft.id)
            else:
                raise Http404
        except RevisionError as exc:
            messages.error(request, f"{exc.message} ({exc.code})")
        return redirect("portal:policy_revision", revision_id=revision.id)


class PolicyReasonView(_OfficerMixin, View):
    """One reason code: its message, authority, the rules giving it, how often it was given."""

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        self.officer_only()
        if not CODE_RE.match(code):
            raise Http404
        with agency_transaction(self.agency.id):
            in_force = [r for r in active_revisions() if r.agency_id in (None, self.agency.id)]
        modules: dict[str, str] = {}
        for revision in in_force:
            modules.update(revision.modules)
        rules = reason_rules(modules, code)
        message = REASON_MESSAGES.get(code)
        if not rules and message is None:
            raise Http404
        custom = rules[0].custom if rules else {}
        decisions = self.listable_decisions()
        count: int | None = None
        if decisions is not None:
            since = timezone.now() - timedelta(days=REASON_WINDOW_DAYS)
            with agency_transaction(self.agency.id):
                count = reason_decision_count(decisions, code=code, since=since)
        return render(
            request,
            "portal/policy_reason.html",
            {
                "code": code,
                "message": message if message is not None else rules[0].metadata.get("title", ""),
                "rule_id": custom.get("rule", ""),
                "kind": custom.get("kind", ""),
                "authority": custom.get("authority", ""),
                "description": rules[0].metadata.get("description", "") if rules else "",
                "rules": rules,
                "revisions": in_force,
                "count": count,
                "days": REASON_WINDOW_DAYS,
            },
        )
