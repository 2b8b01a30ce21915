"""Who may do and see what inside an agency: the one table of role rules.

For every action, a role reaches either every object of its agency (``ALL``), only the objects it
created or asked for (``OWN``), or nothing (absent from the row). The agency itself is enforced
twice below this (selectors filter by it, PostgreSQL's row-level security by the transaction's
agency), so another agency's object is never found at all: it answers 404 whatever the role.
Services call :func:`action_require` (or :func:`action_scope` for lists) before they act; the
README's role table is generated from :data:`ACTIONS` and ``tests/access`` checks every cell.

Some rules sit beside the table because they depend on more than a role: a second review must
be a supervisor's and never the requester's (``matching.reviews``), and reviews, face choices
and searches need a second factor and current training.
"""

from __future__ import annotations

from enum import StrEnum

from tenants import errors
from tenants.errors import ApiError
from tenants.models import Role, User


class Scope(StrEnum):
    OWN = "own"
    ALL = "all"


_I, _AN, _S = Role.INVESTIGATOR.value, Role.ANALYST.value, Role.SUPERVISOR.value
_C, _AD, _AU = Role.COMPLIANCE_OFFICER.value, Role.AGENCY_ADMIN.value, Role.AUDITOR.value
_ALL, _OWN = Scope.ALL, Scope.OWN

# Investigative work: the requester, and supervisors over everyone's.
_CASEWORK = {_I: _OWN, _AN: _OWN, _S: _ALL}
# The record of it (status, decision, reasons, limits; never names or images): oversight of it.
_RECORD = {**_CASEWORK, _C: _ALL, _AU: _ALL}

ACTIONS: dict[str, dict[str, Scope]] = {
    "search.submit": {_I: _ALL, _AN: _ALL},  # the policy decides each (B-02: these roles only)
    "search.read": _RECORD,
    "searches.list": _RECORD,
    "candidates.read": _CASEWORK,
    "search.face_choose": _CASEWORK,
    "candidate.review": _CASEWORK,
    "search.review_complete": _CASEWORK,
    "lead.outcome_record": _CASEWORK,
    "decisions.list": _RECORD,
    "authority_record.enter": {_I: _ALL, _AN: _ALL, _S: _ALL},
    "authority_records.list": _RECORD,
    "authority_record.verify": {_S: _ALL},
    "authority_record.revoke": {_S: _ALL, _C: _ALL},
    "follow_ups.list": {_S: _ALL, _C: _ALL},
    "follow_up.complete": {_S: _ALL, _C: _ALL},
    "subject.enroll": {_AD: _ALL},
    "subject.correct": {_AD: _ALL},
    "enrollment_batches.list": {_AD: _ALL, _C: _ALL, _AU: _ALL},
    "subjects.list": {_AD: _ALL, _C: _ALL, _AU: _ALL},
    "held_photo.resolve": {_AD: _ALL},
    "users.manage": {_AD: _ALL},
    "webhooks.manage": {_AD: _ALL},
    "policy.evaluate": {_C: _ALL, _AU: _ALL},
    "policy.author": {_C: _ALL},
    "legal_event.record": {_AD: _ALL, _C: _ALL},
    "legal_hold.manage": {_C: _ALL},
    "deletion_certificates.list": {_AD: _ALL, _C: _ALL, _AU: _ALL},
}

SUMMARIES: dict[str, str] = {
    "search.submit": "submit a search",
    "search.read": "read a search's record: status, decision, reasons, limits",
    "searches.list": "list searches",
    "candidates.read": "see candidates' names, similarities and photos",
    "search.face_choose": "choose the face to search",
    "candidate.review": "review a candidate",
    "search.review_complete": "close a search's review",
    "lead.outcome_record": "record what became of a possible match",
    "decisions.list": "list policy decisions",
    "authority_record.enter": "enter a warrant, exigent approval or agreement",
    "authority_records.list": "list and read authority records",
    "authority_record.verify": "verify an authority record (or approve an exigent one)",
    "authority_record.revoke": "revoke an authority record",
    "follow_ups.list": "list post-hoc reviews owed",
    "follow_up.complete": "complete a post-hoc review",
    "subject.enroll": "enroll subjects in a gallery",
    "subject.correct": "correct a subject's display name (never its photos or faces)",
    "enrollment_batches.list": "list enrollment batches",
    "subjects.list": "list a gallery's subjects",
    "held_photo.resolve": "choose the face of a held enrollment photo, or discard it",
    "users.manage": "list, disable and enable the agency's users",
    "webhooks.manage": "manage webhooks",
    "policy.evaluate": "dry-run the policy",
    "policy.author": "draft, approve and activate policy revisions",
    "legal_event.record": "record legal events (which purge subjects), one by one or from a file",
    "legal_hold.manage": "place and lift legal holds on subjects' purges",
    "deletion_certificates.list": "list deletion certificates",
}

_REFUSALS: dict[str, str] = {
    "candidates.read": "Your role does not see candidates of this search.",
    "candidate.review": "Your role does not review the candidates of this search.",
    "search.review_complete": "Your role does not review the candidates of this search.",
    "search.face_choose": "Only the requester or a supervisor chooses the face.",
}


def action_scope(*, user: User, action: str) -> Scope | None:
    """Return the widest scope the user's roles give for ``action`` (None: no reach)."""
    granted = {ACTIONS[action].get(role) for role in user.roles} - {None}
    if Scope.ALL in granted:
        return Scope.ALL
    if Scope.OWN in granted:
        return Scope.OWN
    return None


def action_allowed(*, user: User, action: str, owner_id: int | None = None) -> bool:
    """Return whether ``user`` may do ``action`` on an object of their agency owned by ``owner_id``.

    ``owner_id`` is who created or asked for the object; ``None`` for actions on no object
    (submitting, listing), which an ``OWN`` scope allows (lists then narrow to one's own).
    """
    scope = action_scope(user=user, action=action)
    if scope is None:
        return False
    return scope is Scope.ALL or owner_id is None or owner_id == user.pk


def action_require(*, user: User, action: str, owner_id: int | None = None) -> None:
    """Refuse with 403 unless ``user`` may do ``action`` (see :func:`action_allowed`)."""
    if not action_allowed(user=user, action=action, owner_id=owner_id):
        message = _REFUSALS.get(action, f"Your role may not {SUMMARIES[action]}.")
        raise ApiError(errors.PERMISSION_DENIED, message, http_status=403)


def role_table_markdown() -> str:
    """Return the table as the README shows it: one row per action, one column per role."""
    roles = [r for r in Role.values if r != Role.NATIONAL_ADMIN.value]
    lines = ["| action | " + " | ".join(roles) + " |", "|---|" + "---|" * len(roles)]
    for action, scopes in ACTIONS.items():
        cells = [scopes[r].value if r in scopes else "—" for r in roles]
        lines.append(f"| {SUMMARIES[action]} (`{action}`) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def list_scope(*, user: User, entity: str) -> Scope:
    """Return the widest scope the user's roles give over a list of ``entity``; refuse if none."""
    scope = action_scope(user=user, action=f"{entity}.list")
    if scope is None:
        raise ApiError(errors.PERMISSION_DENIED, "Your role may not list these.", http_status=403)
    return scope
