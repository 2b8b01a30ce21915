"""Who may list what: the one table of role rules for the API's lists.

A role either sees every row of its agency (``ALL``), only the rows it created or asked for
(``OWN``), or may not list the entity at all. The agency itself is enforced twice below this
(selectors filter by it, PostgreSQL's row-level security by the transaction's agency); this
table narrows within the agency, and is the place to tighten need-to-know later.
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

LIST_SCOPES: dict[str, dict[str, Scope]] = {
    "searches": {_I: Scope.OWN, _AN: Scope.OWN, _S: Scope.ALL, _C: Scope.ALL, _AU: Scope.ALL},
    "authority_records": {
        _I: Scope.OWN,
        _AN: Scope.OWN,
        _S: Scope.ALL,
        _C: Scope.ALL,
        _AU: Scope.ALL,
    },
    "enrollment_batches": {_AD: Scope.ALL, _C: Scope.ALL, _AU: Scope.ALL},
    "subjects": {_AD: Scope.ALL, _C: Scope.ALL, _AU: Scope.ALL},
    "follow_ups": {_S: Scope.ALL, _C: Scope.ALL},
    "decisions": {_I: Scope.OWN, _AN: Scope.OWN, _S: Scope.ALL, _C: Scope.ALL, _AU: Scope.ALL},
}


def list_scope(*, user: User, entity: str) -> Scope:
    """Return the widest scope the user's roles give over ``entity``; refuse if none does."""
    granted = {LIST_SCOPES[entity].get(role) for role in user.roles} - {None}
    if Scope.ALL in granted:
        return Scope.ALL
    if Scope.OWN in granted:
        return Scope.OWN
    raise ApiError(errors.PERMISSION_DENIED, "Your role may not list these.", http_status=403)
