"""The portal's policy authoring pages: the revisions, and one revision with its checks.

Views only translate between HTTP and the services: the same four-eyes rules as the API.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View

from policy.revisions.errors import RevisionError
from policy.revisions.models import PolicyReplay, PolicyRevision, RevisionScope
from policy.revisions.replay import replay_request
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
from tenants.context import agency_transaction
from tenants.models import Role

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
    """One revision: its text with line numbers, the check results beside the lines, actions."""

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
            modules.append({"path": path, "lines": rows})
        unplaced = [note for key, notes in by_line.items() if key not in placed for note in notes]
        return {
            "revision": revision,
            "status_label": REVISION_STATUS_LABELS.get(revision.status, revision.status),
            "modules": modules,
            "checks": checks,
            "unplaced": unplaced,
            "data_text": json.dumps(revision.data, indent=2, ensure_ascii=False),
            "is_author": revision.author_id == self.user.pk,
            "replay": self.latest_replay(revision),
        }

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
                try:
                    data = json.loads(request.POST.get("data", "{}"))
                except ValueError:
                    messages.error(request, _("The data document is not valid JSON."))
                    return redirect("portal:policy_revision", revision_id=revision.id)
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
