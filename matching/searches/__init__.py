"""The search: submit (policy gate), execute (detect, encode, match), face choice, revocation,
retention and recovery of lost work.

Lock order. Every transaction that touches a search takes its locks in this order, and none
waits for a lock while holding a later one:

0. submit only: the submitting user's advisory lock (``submit:<agency>:<user>``), so the
   capacity check and the insert it allows cannot interleave with the same user's next submit;
1. authority records: ``FOR SHARE`` (submit, so a revocation cannot commit between the check
   and the search's write) or ``FOR UPDATE`` (revocation);
2. the search row, ``FOR UPDATE OF`` the search alone (claim, completion, face choice,
   revocation, recovery) -- never the gallery, agency or user rows it joins;
3. completion only: the chosen candidates' subjects, ``FOR SHARE`` in id order, so a purge
   (which holds its subject ``FOR UPDATE``) either finishes first and its subject is dropped,
   or waits for the completion to commit; a transaction locking several subjects (an import
   of legal events) takes them in id order too;
4. last, the agency's audit chain (a transaction-scoped advisory lock taken by the first
   ``audit_record``), so every audit event is written after the change it records. Before it
   takes that lock, ``audit_record`` checks the transaction's deferred foreign keys, so the
   key-share locks they need are taken first and never waited for while holding the chain.

What each transaction locks:

- submit: user lock → records (share) → [policy engine call] → inserts (search, decision,
  probe, follow-ups) → audit chain;
- claim: search → audit chain (the records are read, not locked: a revocation that commits
  later finds the search running and cancels it);
- heartbeat: the search row, by a single ``UPDATE`` guarded by the lease owner;
- completion: search → subjects (share) → candidate inserts → audit chain;
- purge: subject(s) → faces, photos (deleted) → certificate → audit chain;
- revocation: record → searches relying on it → audit chain;
- recovery (beat): searches whose lease or dispatch deadline passed, ``SKIP LOCKED`` → audit.

A search's status changes only through ``search_transition`` (``transitions.py``), which checks
``SEARCH_TRANSITIONS`` beside ``SearchStatus`` and writes the audit event with the change.
"""

from matching.searches.capacity import SEARCH_CAPACITY_REACHED, SearchCapacityError
from matching.searches.execute import (
    FACE_CHOICE_STALE,
    INTERNAL_ERROR,
    NO_ALLOW_DECISION,
    NO_FACE_DETECTED,
    WORKER_LOST,
    search_execute,
    search_fail_unexpected,
)
from matching.searches.face_choice import search_face_choose
from matching.searches.recovery import enrollments_recover, searches_recover
from matching.searches.results import (
    search_candidates_view,
    search_candidates_visible,
    search_read_require,
)
from matching.searches.retention import probes_purge_due
from matching.searches.revocation import (
    ACTIVE_STATES,
    AUTHORITY_REVOKED,
    FINISHED_STATES,
    searches_stop_for_revoked_authority,
)
from matching.searches.submit import (
    AUTHORITY_UNVERIFIED,
    GALLERY_NOT_FOUND,
    Authorities,
    SearchRequest,
    search_submit,
)
from matching.searches.transitions import SearchTransitionError, search_transition

__all__ = [
    "ACTIVE_STATES",
    "AUTHORITY_REVOKED",
    "AUTHORITY_UNVERIFIED",
    "FACE_CHOICE_STALE",
    "FINISHED_STATES",
    "GALLERY_NOT_FOUND",
    "INTERNAL_ERROR",
    "NO_ALLOW_DECISION",
    "NO_FACE_DETECTED",
    "SEARCH_CAPACITY_REACHED",
    "WORKER_LOST",
    "Authorities",
    "SearchCapacityError",
    "SearchRequest",
    "SearchTransitionError",
    "enrollments_recover",
    "probes_purge_due",
    "search_candidates_view",
    "search_candidates_visible",
    "search_execute",
    "search_face_choose",
    "search_fail_unexpected",
    "search_read_require",
    "search_submit",
    "search_transition",
    "searches_recover",
    "searches_stop_for_revoked_authority",
]
