"""Statistics of FR use for oversight bodies and agency leadership, scoped like every read.

An oversight auditor gets the agencies its grants admit now (PostgreSQL enforces it; each
agency's chain records the read); an agency's supervisors, compliance officers, auditors and
administrators get their own agency. Figures come from searches' metadata, policy decisions,
follow-up tasks and the audit trail: never from faces, probes or candidates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from audit.models import AuditEvent
from matching.models import FollowUp, FollowUpKind, Search, SearchStatus
from oversight import errors
from oversight.context import oversight_transaction
from oversight.reads import oversight_grant_for, oversight_grants_in_force
from oversight.services import oversight_access_record
from policy.models import PolicyDecision
from tenants.context import agency_transaction
from tenants.errors import ApiError
from tenants.models import AgencyKind, Role, User

LEADERSHIP_ROLES = (Role.SUPERVISOR, Role.COMPLIANCE_OFFICER, Role.AUDITOR, Role.AGENCY_ADMIN)
REVIEWED_STATES = (SearchStatus.REVIEWED,)
CANDIDATE_BUCKETS = ("0", "1", "2-5", "6-10", "11-20", ">20")
# Similarity of the candidates returned (the audit event of each completed search lists them,
# as numbers only), by band; the floor the policy sets is 0.80 unless it sets a higher one.
SIMILARITY_BANDS = ((0.85, "0.80-0.85"), (0.90, "0.85-0.90"), (0.95, "0.90-0.95"))
SIMILARITY_TOP = ">=0.95"
FINAL_DISPOSITIONS = ("possible_match", "not_a_match", "inconclusive")
LEAD_OUTCOMES = ("confirmed", "excluded", "charged")


@dataclass
class Statistics:
    """Counts by dimension, and the rates derived from them."""

    agencies: list[str]
    since: datetime | None
    until: datetime | None
    by_purpose: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_reason: dict[str, int] = field(default_factory=dict)
    by_agency: dict[str, int] = field(default_factory=dict)
    by_month: dict[str, int] = field(default_factory=dict)
    decisions: int = 0
    denials: int = 0
    exigent: int = 0
    post_hoc_reviews_overdue: int = 0
    post_hoc_reviews_open: int = 0
    reviewed: int = 0
    candidates_per_search: dict[str, int] = field(default_factory=dict)
    similarity: dict[str, int] = field(default_factory=dict)
    dispositions: dict[str, int] = field(default_factory=dict)
    lead_outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def searches(self) -> int:
        return sum(self.by_agency.values())

    @property
    def denial_rate(self) -> float:
        return round(self.denials / self.decisions, 4) if self.decisions else 0.0

    def series(self) -> dict[str, dict[str, int]]:
        """Return every chartable dimension, in display order."""
        return {
            "by_month": self.by_month,
            "by_purpose": self.by_purpose,
            "by_outcome": self.by_outcome,
            "by_reason": self.by_reason,
            "by_agency": self.by_agency,
            "candidates_per_search": self.candidates_per_search,
            "similarity": self.similarity,
            "dispositions": self.dispositions,
            "lead_outcomes": self.lead_outcomes,
        }

    def rows(self) -> Iterator[tuple[str, str, int | float]]:
        """Yield (dimension, key, value): the CSV download, one figure a line."""
        for dimension, counts in self.series().items():
            for key, value in counts.items():
                yield dimension, key, value
        yield "totals", "searches", self.searches
        yield "totals", "decisions", self.decisions
        yield "totals", "denials", self.denials
        yield "totals", "denial_rate", self.denial_rate
        yield "totals", "exigent_searches", self.exigent
        yield "totals", "reviewed_searches", self.reviewed
        yield "totals", "post_hoc_reviews_open", self.post_hoc_reviews_open
        yield "totals", "post_hoc_reviews_overdue", self.post_hoc_reviews_overdue


def _bucket(count: int) -> str:
    if count <= 1:
        return str(max(count, 0))
    for upper, name in ((5, "2-5"), (10, "6-10"), (20, "11-20")):
        if count <= upper:
            return name
    return ">20"


def statistics_agencies(*, user: User) -> list[str]:
    """Return the agencies whose statistics ``user`` may see now."""
    agency = user.agency
    if agency is None:
        return []
    if agency.kind == AgencyKind.OVERSIGHT:
        return sorted({g.agency_id for g in oversight_grants_in_force(auditor=user)})
    if any(user.has_role(r) for r in LEADERSHIP_ROLES):
        return [agency.id]
    return []


@contextmanager
def statistics_scope(user: User, agency_id: str) -> Iterator[None]:
    """Open the transaction in which ``user`` reads ``agency_id`` (as auditor or as leadership)."""
    assert user.agency is not None  # noqa: S101 - checked by statistics_agencies
    if user.agency.kind == AgencyKind.OVERSIGHT:
        with oversight_transaction(auditor_id=user.pk):
            yield
    else:
        with agency_transaction(agency_id):
            yield


def _window(queryset: Any, field_name: str, since: datetime | None, until: datetime | None) -> Any:
    if since:
        queryset = queryset.filter(**{f"{field_name}__gte": since})
    if until:
        queryset = queryset.filter(**{f"{field_name}__lt": until})
    return queryset


def _add(target: dict[str, int], rows: Any, key: str) -> None:
    for row in rows:
        name = str(row[key])
        target[name] = target.get(name, 0) + int(row["n"])


def _band(similarity: float) -> str:
    for upper, name in SIMILARITY_BANDS:
        if similarity < upper:
            return name
    return SIMILARITY_TOP


@dataclass
class _Tally:
    reasons: Counter[str] = field(default_factory=Counter)
    buckets: Counter[str] = field(default_factory=Counter)
    bands: Counter[str] = field(default_factory=Counter)
    dispositions: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)


def statistics_compute(
    *,
    user: User,
    agencies: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Statistics:
    """Return the statistics of the agencies asked for (default: all the user may see)."""
    allowed = statistics_agencies(user=user)
    chosen = sorted(set(agencies)) if agencies else allowed
    if not chosen or not set(chosen) <= set(allowed):
        raise ApiError(
            errors.AGENCY_NOT_IN_SCOPE,
            "Those agencies' statistics are not yours to see.",
            http_status=404,
        )
    stats = Statistics(agencies=chosen, since=since, until=until)
    tally = _Tally()
    for agency_id in chosen:
        grant = (
            oversight_grant_for(auditor=user, agency_id=agency_id)
            if user.agency and user.agency.kind == AgencyKind.OVERSIGHT
            else None
        )
        with statistics_scope(user, agency_id):
            total = _agency_add(stats, tally, agency_id, since, until)
            if grant is not None:
                oversight_access_record(
                    auditor=user,
                    grant=grant,
                    resource="statistics",
                    filters={
                        "since": since.isoformat() if since else None,
                        "until": until.isoformat() if until else None,
                    },
                    rows=total,
                )
    return _finished(stats, tally)


def statistics_of_agency(
    *, agency_id: str, since: datetime | None = None, until: datetime | None = None
) -> Statistics:
    """Return one agency's statistics, read in the caller's open scope (``statistics_scope``).

    The caller has checked the reader may see the agency and records the read itself.
    """
    stats = Statistics(agencies=[agency_id], since=since, until=until)
    tally = _Tally()
    _agency_add(stats, tally, agency_id, since, until)
    return _finished(stats, tally)


def _agency_add(
    stats: Statistics,
    tally: _Tally,
    agency_id: str,
    since: datetime | None,
    until: datetime | None,
) -> int:
    """Add one agency's figures to ``stats``; return its number of searches."""
    now = timezone.now()
    searches = _window(Search.objects.filter(agency_id=agency_id), "created_at", since, until)
    _add(stats.by_purpose, searches.values("purpose").annotate(n=Count("id")), "purpose")
    _add(stats.by_outcome, searches.values("status").annotate(n=Count("id")), "status")
    total: int = searches.count()
    stats.by_agency[agency_id] = total
    months = (
        searches.annotate(month=TruncMonth("created_at")).values("month").annotate(n=Count("id"))
    )
    for row in months:
        name = row["month"].strftime("%Y-%m")
        stats.by_month[name] = stats.by_month.get(name, 0) + row["n"]
    stats.exigent += searches.filter(exigent__isnull=False).count()
    stats.reviewed += searches.filter(status__in=REVIEWED_STATES).count()
    decisions = _window(
        PolicyDecision.objects.filter(agency_id=agency_id), "created_at", since, until
    )
    stats.decisions += decisions.count()
    for reason_list in decisions.filter(allow=False).values_list("reasons", flat=True):
        stats.denials += 1
        tally.reasons.update(
            r.get("code", "?")
            for r in reason_list
            if isinstance(r, dict) and r.get("kind") == "deny"
        )
    reviews = FollowUp.objects.filter(
        agency_id=agency_id, kind=FollowUpKind.POST_HOC_REVIEW, completed_at__isnull=True
    )
    reviews = _window(reviews, "created_at", since, until)
    stats.post_hoc_reviews_open += reviews.count()
    stats.post_hoc_reviews_overdue += reviews.filter(due_at__lt=now).count()
    completed = _window(
        AuditEvent.objects.filter(agency_id=agency_id, action="search.completed"),
        "occurred_at",
        since,
        until,
    )
    for data in completed.values_list("data", flat=True):
        count = data.get("candidates") if isinstance(data, dict) else None
        if isinstance(count, int):
            tally.buckets[_bucket(count)] += 1
        similarities = data.get("similarities") if isinstance(data, dict) else None
        for value in similarities if isinstance(similarities, list) else []:
            if isinstance(value, int | float):
                tally.bands[_band(float(value))] += 1
    reviewed = _window(
        AuditEvent.objects.filter(agency_id=agency_id, action="candidate.reviewed"),
        "occurred_at",
        since,
        until,
    )
    for disposition in reviewed.values_list("data__disposition", flat=True):
        if disposition in FINAL_DISPOSITIONS:
            tally.dispositions[str(disposition)] += 1
    recorded = _window(
        AuditEvent.objects.filter(agency_id=agency_id, action="lead.outcome_recorded"),
        "occurred_at",
        since,
        until,
    ).order_by("seq")
    latest: dict[tuple[str, Any], str] = {}  # an outcome may be corrected: the last one counts
    for object_id, data in recorded.values_list("object_id", "data"):
        if isinstance(data, dict) and data.get("outcome") in LEAD_OUTCOMES:
            latest[(object_id, data.get("rank"))] = str(data["outcome"])
    tally.outcomes.update(latest.values())
    return total


def _finished(stats: Statistics, tally: _Tally) -> Statistics:
    stats.by_reason = dict(tally.reasons.most_common())
    stats.by_month = dict(sorted(stats.by_month.items()))
    stats.candidates_per_search = {b: tally.buckets.get(b, 0) for b in CANDIDATE_BUCKETS}
    bands = [name for _, name in SIMILARITY_BANDS] + [SIMILARITY_TOP]
    stats.similarity = {b: tally.bands.get(b, 0) for b in bands}
    stats.dispositions = {d: tally.dispositions.get(d, 0) for d in FINAL_DISPOSITIONS}
    stats.lead_outcomes = {o: tally.outcomes.get(o, 0) for o in LEAD_OUTCOMES}
    stats.by_purpose = dict(sorted(stats.by_purpose.items(), key=lambda kv: -kv[1]))
    stats.by_outcome = dict(sorted(stats.by_outcome.items(), key=lambda kv: -kv[1]))
    return stats
