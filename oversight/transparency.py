"""An agency's transparency report for a period: its figures, the policy in force, its chain.

Who may have one is who may read the agency's statistics: an oversight auditor with a grant in
force naming the agency, or the agency's leadership (``statistics.LEADERSHIP_ROLES``). The
report is built in one transaction that reads the figures in the reader's scope, re-computes
the stretch of the agency's audit chain that covers the period (from the latest signed
checkpoint at or before its start to its last event: ``audit_segment_verify``; the events
before that checkpoint are vouched for by its signature, and ``manage.py audit_verify``
re-computes the whole chain), and records the report as an ``oversight.transparency_report``
event in the agency's chain; a report that cannot be recorded is not produced.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from audit.verification import audit_segment_verify
from oversight import errors
from oversight.models import OversightGrant
from oversight.reads import oversight_grant_for
from oversight.statistics import (
    Statistics,
    statistics_agencies,
    statistics_of_agency,
    statistics_scope,
)
from policy.revisions.models import PolicyActivation, PolicyRevision
from tenants.directory import directory_policy_people
from tenants.errors import ApiError
from tenants.models import Agency, AgencyKind, User

ACTION = "oversight.transparency_report"
FORMATS = ("html", "pdf", "json")
MAX_PERIOD_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    """From ``since`` (included) to ``until`` (excluded), both aware."""

    since: datetime
    until: datetime

    @classmethod
    def of_days(cls, first: datetime | None, last: datetime | None) -> Period:
        """Return the whole UTC days ``first`` to ``last`` (default: this year to today)."""
        today = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        start = first or today.replace(month=1, day=1)
        end = (last or today) + timedelta(days=1)
        return cls.checked(start, end)

    @classmethod
    def checked(cls, since: datetime, until: datetime) -> Period:
        """Return the period, or refuse one that is naive, empty, reversed or too long."""
        if since.tzinfo is None or until.tzinfo is None or until <= since:
            raise ApiError(
                errors.PERIOD_INVALID,
                "The period needs a start before its end.",
            )
        if (until - since).days > MAX_PERIOD_DAYS:
            raise ApiError(
                errors.PERIOD_INVALID,
                f"A report covers at most {MAX_PERIOD_DAYS} days.",
            )
        return cls(since, until)

    @property
    def last_day(self) -> datetime:
        """The last day the period covers (its end is the midnight after it)."""
        return self.until - timedelta(microseconds=1)


@dataclass(frozen=True)
class RevisionInForce:
    """A baseline or overlay revision that was in force during the period, and who approved it."""

    id: str
    scope: str
    agency_id: str | None
    number: int
    digest: str
    change_note: str
    author: str | None
    approved_by: str | None
    approved_at: datetime | None
    activated_by: str | None
    activated_at: datetime | None
    in_force_from: datetime
    in_force_until: datetime | None


@dataclass(frozen=True)
class ChainResult:
    """The stretch of the agency's chain re-computed for the period, and the period in it.

    ``events`` were read and checked: those after the checkpoint numbered
    ``from_checkpoint_seq`` (signed at ``from_checkpoint_signed_at``; both None when the
    stretch starts at the chain's first event) through ``through_seq``. ``checkpoints`` counts
    the signed checkpoints inside the stretch that it matched.
    """

    ok: bool
    events: int
    checkpoints: int
    first_bad_seq: int | None
    problem: str
    period_events: int
    period_first_seq: int | None
    period_last_seq: int | None
    from_checkpoint_seq: int | None = None
    from_checkpoint_signed_at: datetime | None = None
    through_seq: int = 0

    @property
    def first_seq(self) -> int:
        """The first event number the stretch re-computed."""
        return (self.from_checkpoint_seq or 0) + 1

    @property
    def period_affected(self) -> bool:
        """Whether some event of the period is at or after the first bad event."""
        if self.first_bad_seq is None:
            return False
        return self.period_last_seq is None or self.first_bad_seq <= self.period_last_seq


@dataclass
class TransparencyReport:
    """Everything one report shows; the same data makes the page, the PDF and the JSON."""

    id: str
    agency_id: str
    agency_name: str
    period: Period
    generated_at: datetime
    generated_by: str
    reader_body: str | None
    statistics: Statistics
    chain: ChainResult
    revisions: list[RevisionInForce] = field(default_factory=list)
    review_outcomes: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """Return the report as the API serves it."""
        stats = self.statistics
        return {
            "id": self.id,
            "agency": {"id": self.agency_id, "name": self.agency_name},
            "period": {
                "since": self.period.since.isoformat(),
                "until": self.period.until.isoformat(),
            },
            "generated_at": self.generated_at.isoformat(),
            "generated_by": self.generated_by,
            "reader_body": self.reader_body,
            "statistics": {
                "searches": stats.searches,
                "decisions": stats.decisions,
                "denials": stats.denials,
                "denial_rate": stats.denial_rate,
                "exigent": stats.exigent,
                "reviewed": stats.reviewed,
                "post_hoc_reviews_open": stats.post_hoc_reviews_open,
                "post_hoc_reviews_overdue": stats.post_hoc_reviews_overdue,
                "by_month": stats.by_month,
                "by_purpose": stats.by_purpose,
                "by_outcome": stats.by_outcome,
                "by_reason": stats.by_reason,
                "candidates_per_search": stats.candidates_per_search,
                "review_outcomes": self.review_outcomes,
            },
            "policy_revisions": [
                {
                    "id": r.id,
                    "scope": r.scope,
                    "agency_id": r.agency_id,
                    "number": r.number,
                    "digest": r.digest,
                    "change_note": r.change_note,
                    "author": r.author,
                    "approved_by": r.approved_by,
                    "approved_at": r.approved_at.isoformat() if r.approved_at else None,
                    "activated_by": r.activated_by,
                    "activated_at": r.activated_at.isoformat() if r.activated_at else None,
                    "in_force_from": r.in_force_from.isoformat(),
                    "in_force_until": r.in_force_until.isoformat() if r.in_force_until else None,
                }
                for r in self.revisions
            ],
            "audit_chain": {
                "ok": self.chain.ok,
                "events": self.chain.events,
                "checkpoints": self.chain.checkpoints,
                "first_bad_seq": self.chain.first_bad_seq,
                "problem": self.chain.problem,
                "period_events": self.chain.period_events,
                "period_first_seq": self.chain.period_first_seq,
                "period_last_seq": self.chain.period_last_seq,
                "period_affected": self.chain.period_affected,
                "from_checkpoint": (
                    {
                        "seq": self.chain.from_checkpoint_seq,
                        "signed_at": self.chain.from_checkpoint_signed_at.isoformat(),
                    }
                    if self.chain.from_checkpoint_signed_at is not None
                    else None
                ),
                "first_seq": self.chain.first_seq,
                "through_seq": self.chain.through_seq,
            },
        }


def _in_force_intervals(period: Period) -> dict[str, tuple[datetime, datetime | None]]:
    """Return, per revision id, when it was in force, for those in force during the period.

    Each activation names every revision in force from its time until the next activation.
    """
    activations = list(
        PolicyActivation.objects.order_by("activated_at", "id").values_list(
            "activated_at", "revision_ids"
        )
    )
    found: dict[str, tuple[datetime, datetime | None]] = {}
    for index, (start, revision_ids) in enumerate(activations):
        end = activations[index + 1][0] if index + 1 < len(activations) else None
        if not isinstance(revision_ids, list):
            continue
        for revision_id in revision_ids:
            seen = found.get(str(revision_id))
            first = seen[0] if seen else start
            found[str(revision_id)] = (min(first, start), end)
    return {
        rid: (start, end)
        for rid, (start, end) in found.items()
        if start < period.until and (end is None or end > period.since)
    }


def _revisions_in_force(agency_id: str, period: Period) -> list[RevisionInForce]:
    intervals = _in_force_intervals(period)
    revisions = list(
        PolicyRevision.objects.filter(id__in=list(intervals)).filter(
            Q(agency_id__isnull=True) | Q(agency_id=agency_id)
        )
    )
    people = directory_policy_people(
        user_ids=sorted(
            {
                pk
                for r in revisions
                for pk in (r.author_id, r.reviewer_id, r.activated_by_id)
                if pk is not None
            }
        )
    )
    rows = [
        RevisionInForce(
            id=str(r.id),
            scope=r.scope,
            agency_id=r.agency_id,
            number=r.number,
            digest=r.digest,
            change_note=r.change_note,
            author=people.get(r.author_id) if r.author_id else None,
            approved_by=people.get(r.reviewer_id) if r.reviewer_id else None,
            approved_at=r.reviewed_at,
            activated_by=people.get(r.activated_by_id) if r.activated_by_id else None,
            activated_at=r.activated_at,
            in_force_from=intervals[str(r.id)][0],
            in_force_until=intervals[str(r.id)][1],
        )
        for r in revisions
    ]
    return sorted(rows, key=lambda r: (r.scope, r.in_force_from, r.number))


def _review_outcomes(agency_id: str, period: Period) -> dict[str, int]:
    """Count reviewers' verdicts on candidates in the period (from the audit trail)."""
    verdicts = (
        AuditEvent.objects.filter(
            agency_id=agency_id,
            action="candidate.reviewed",
            occurred_at__gte=period.since,
            occurred_at__lt=period.until,
        )
        .values_list("data__review", flat=True)
        .order_by()
    )
    counts: dict[str, int] = {}
    for verdict in verdicts:
        name = str(verdict or "?")
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def _chain(agency_id: str, period: Period) -> ChainResult:
    verified = audit_segment_verify(agency_id=agency_id, since=period.since, until=period.until)
    start = verified.start
    span = AuditEvent.objects.filter(
        agency_id=agency_id, occurred_at__gte=period.since, occurred_at__lt=period.until
    ).aggregate(n=Count("id"), first=Min("seq"), last=Max("seq"))
    return ChainResult(
        ok=verified.ok,
        events=verified.events,
        checkpoints=verified.checkpoints,
        first_bad_seq=verified.first_bad_seq,
        problem=verified.problem,
        period_events=int(span["n"] or 0),
        period_first_seq=span["first"],
        period_last_seq=span["last"],
        from_checkpoint_seq=start.seq if start is not None else None,
        from_checkpoint_signed_at=(
            datetime.fromtimestamp(start.signed_at_us / 1_000_000, tz=UTC)
            if start is not None
            else None
        ),
        through_seq=verified.through_seq,
    )


def _grant(user: User, agency_id: str) -> OversightGrant | None:
    if user.agency is not None and user.agency.kind == AgencyKind.OVERSIGHT:
        return oversight_grant_for(auditor=user, agency_id=agency_id)
    return None


def transparency_report_build(
    *, user: User, agency_id: str, period: Period, output: str = "html"
) -> TransparencyReport:
    """Build the agency's report for the period and record it in the agency's chain."""
    if output not in FORMATS:
        raise ApiError(errors.REPORT_FORMAT_INVALID, f"The format is one of {', '.join(FORMATS)}.")
    if agency_id not in statistics_agencies(user=user):
        raise ApiError(
            errors.AGENCY_NOT_IN_SCOPE,
            "That agency's transparency report is not yours to see.",
            http_status=404,
        )
    grant = _grant(user, agency_id)
    agency_name = Agency.objects.filter(id=agency_id).values_list("name", flat=True).first()
    report_id = str(uuid.uuid4())
    with transaction.atomic(), statistics_scope(user, agency_id):
        stats = statistics_of_agency(agency_id=agency_id, since=period.since, until=period.until)
        reviews = _review_outcomes(agency_id, period)
        revisions = _revisions_in_force(agency_id, period)
        chain = _chain(agency_id, period)
        report = TransparencyReport(
            id=report_id,
            agency_id=agency_id,
            agency_name=agency_name or agency_id,
            period=period,
            generated_at=timezone.now(),
            generated_by=user.username,
            reader_body=grant.body_id if grant else None,
            statistics=stats,
            chain=chain,
            revisions=revisions,
            review_outcomes=reviews,
        )
        audit_record(
            agency_id=agency_id,
            actor=user,
            action=ACTION,
            object_type="transparency_report",
            object_id=report_id,
            data={
                "format": output,
                "since": period.since.isoformat(),
                "until": period.until.isoformat(),
                "grant": str(grant.id) if grant else None,
                "body": grant.body_id if grant else None,
                "searches": stats.searches,
                "decisions": stats.decisions,
                "revisions": [r.id for r in revisions],
                "chain_ok": chain.ok,
                "chain_events": chain.events,
                "chain_from_seq": chain.from_checkpoint_seq,
                "chain_through_seq": chain.through_seq,
                "first_bad_seq": chain.first_bad_seq,
            },
        )
    return report
